"""Ownership and user tags, exactly as the AWS controller writes them.

A resource is ours only if `application-networking.k8s.aws/ManagedBy` equals
`<account>/<cluster>/<vpc>`; the other keys identify the Kubernetes source so that a name collision
(two routes with the same service name) is detected instead of silently sharing a resource.

User tags come from the `application-networking.k8s.aws/tags` annotation, `k=v,k2=v2`. Like the AWS
controller we keep at most 50, drop keys with the reserved prefixes and enforce Lattice's key/value
size limits; unlike it we report every dropped entry (as a Warning event) instead of ignoring it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from translate.frozen import FrozenDict, freeze
from translate.model import ANNOTATION_PREFIX

A = ANNOTATION_PREFIX
MANAGED_BY = A + "ManagedBy"
ROUTE_NAME = A + "RouteName"
ROUTE_NAMESPACE = A + "RouteNamespace"
ROUTE_TYPE = A + "RouteType"
CLUSTER_NAME = A + "ClusterName"
SERVICE_NAME = A + "ServiceName"
SERVICE_NAMESPACE = A + "ServiceNamespace"
SOURCE_TYPE = A + "SourceTypeKey"
PROTOCOL_VERSION = A + "ProtocolVersion"
ACCESS_LOG_POLICY = A + "AccessLogPolicy"

TAGS_ANNOTATION = A + "tags"
MAX_USER_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
# Lattice allows at most 200 tags per resource; managed tags are fewer than 10.
MAX_TAGS_PER_RESOURCE = 200
RESERVED_PREFIXES = (A, "aws:")
# Lattice/AWS tag character set (letters, digits, spaces and _ . : / = + - @).
_TAG_CHARS = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)

ROUTE_TYPES = {"HTTPRoute": "http", "GRPCRoute": "grpc", "TLSRoute": "tls"}  # RouteType tag value per ROUTE_KINDS entry


def parse_user_tags(annotations: Mapping[str, str]) -> tuple[FrozenDict, tuple[str, ...]]:
    """Parse the tags annotation. Returns (tags, problems) where problems explain dropped entries."""
    raw = annotations.get(TAGS_ANNOTATION)
    if not raw:
        return FrozenDict(), ()
    tags: dict[str, str] = {}
    problems: list[str] = []
    for entry in str(raw).split(","):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            problems.append(f"tag {entry!r} is not key=value")
        elif key.startswith(RESERVED_PREFIXES):
            problems.append(f"tag key {key!r} uses a reserved prefix")
        elif len(key) > MAX_KEY or len(value) > MAX_VALUE:
            problems.append(f"tag {key!r} exceeds {MAX_KEY}-char key or {MAX_VALUE}-char value")
        elif not _TAG_CHARS.match(key) or not _TAG_CHARS.match(value):
            problems.append(f"tag {key!r} has characters AWS does not allow")
        elif key in tags:
            problems.append(f"tag key {key!r} repeated; the first value is kept")
        elif len(tags) >= MAX_USER_TAGS:
            problems.append(f"more than {MAX_USER_TAGS} tags; {key!r} dropped")
        else:
            tags[key] = value
    return freeze(tags), tuple(problems)


def merge(user: Mapping[str, str], managed: Mapping[str, str]) -> FrozenDict:
    """User tags overlaid by managed tags (managed tags can never be overridden by users)."""
    out = dict(user)
    out.update(managed)
    # Values are strings, so a flat FrozenDict with sorted keys is the same as freeze(out), faster.
    return FrozenDict(sorted(out.items()))


def managed_by(value: str) -> dict[str, str]:
    return {MANAGED_BY: value}


def service_tags(managed: str, route_kind: str, namespace: str, name: str) -> dict[str, str]:
    return {
        MANAGED_BY: managed,
        ROUTE_NAME: name,
        ROUTE_NAMESPACE: namespace,
        ROUTE_TYPE: ROUTE_TYPES.get(route_kind, route_kind.lower()),
    }


def target_group_tags(
    *,
    managed: str,
    cluster: str,
    service_namespace: str,
    service_name: str,
    source_kind: str,
    protocol_version: str,
    route_namespace: str | None = None,
    route_name: str | None = None,
) -> dict[str, str]:
    t = {
        MANAGED_BY: managed,
        CLUSTER_NAME: cluster,
        SERVICE_NAME: service_name,
        SERVICE_NAMESPACE: service_namespace,
        SOURCE_TYPE: source_kind,
        PROTOCOL_VERSION: protocol_version,
    }
    if route_name is not None:
        t[ROUTE_NAME] = route_name
        t[ROUTE_NAMESPACE] = route_namespace or ""
    return t


_SERVICE_KEYS = (MANAGED_BY, ROUTE_NAME, ROUTE_NAMESPACE, ROUTE_TYPE)
assert list(_SERVICE_KEYS) == sorted(_SERVICE_KEYS)


def route_service_tags(user: FrozenDict, managed: str, route_kind: str, namespace: str, name: str) -> FrozenDict:
    """`merge(user, service_tags(...))`, without sorting when `user` is empty."""
    values = (managed, name, namespace, ROUTE_TYPES.get(route_kind, route_kind.lower()))
    if not user:
        return FrozenDict(zip(_SERVICE_KEYS, values))
    return merge(user, dict(zip(_SERVICE_KEYS, values)))


def managed_only(user: FrozenDict, managed: str) -> FrozenDict:
    """`merge(user, managed_by(managed))`: the tags of listeners, rules and SN associations."""
    if not user:
        return FrozenDict(((MANAGED_BY, managed),))
    return merge(user, {MANAGED_BY: managed})


# Route TG tag keys in sorted order, so the common case (no user tags) skips merge()'s sort.
_ROUTE_TG_KEYS = (CLUSTER_NAME, MANAGED_BY, PROTOCOL_VERSION, ROUTE_NAME, ROUTE_NAMESPACE, SERVICE_NAME,
                  SERVICE_NAMESPACE, SOURCE_TYPE)
assert list(_ROUTE_TG_KEYS) == sorted(_ROUTE_TG_KEYS)


def route_target_group_tags(
    user: FrozenDict, *, managed: str, cluster: str, service_namespace: str, service_name: str,
    source_kind: str, protocol_version: str, route_namespace: str, route_name: str,
) -> FrozenDict:
    """`merge(user, target_group_tags(...))` for a route's TG, without sorting when `user` is empty."""
    values = (cluster, managed, protocol_version, route_name, route_namespace, service_name, service_namespace,
              source_kind)
    if not user:
        return FrozenDict(zip(_ROUTE_TG_KEYS, values))
    return merge(user, dict(zip(_ROUTE_TG_KEYS, values)))


def access_log_tags(managed: str, policy_namespace: str, policy_name: str) -> dict[str, str]:
    return {MANAGED_BY: managed, ACCESS_LOG_POLICY: f"{policy_namespace}/{policy_name}"}
