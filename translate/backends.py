"""backendRefs → a Lattice forward action, the target groups it needs, and reference problems.

* Service backends (group "" / core, kind Service; the default): one TG per (route, Service, port)
  with targets from EndpointSlices; protocol from the route kind and the Service's winning
  TargetGroupPolicy. ServiceImport backends resolve to a `TargetGroupLookup` (never owned).
* A cross-namespace backendRef needs a ReferenceGrant in the backend's namespace; without one it
  gets ResolvedRefs=False/RefNotPermitted and no traffic (the check runs on every translation, so a
  revoked grant removes the backend).
* Invalid backends (unknown kind, missing Service or port, not permitted) carry no traffic. Lattice
  cannot return a 500 for a *share* of requests, so a partly invalid rule forwards only to its valid
  backends (status says which were dropped); a rule with no valid backend, no backendRefs at all, or
  only zero weights returns a fixed 500 (Gateway API: 500 for invalid/missing backends; for all-zero
  weights the API leaves the code open and we pick 500, Lattice's only other fixed code being 404).
* Weights: Gateway API 0..1,000,000 (default 1), Lattice 0..999. Weights are passed through when
  they fit and scaled proportionally otherwise (non-zero stays ≥ 1); weight 0 is kept as 0 so a
  canary can be staged without traffic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from translate import grants, naming, tags, targetgroups, targets
from translate.context import Context
from translate.errors import RuleRejected
from translate.fingerprint import fingerprint, target_group_fingerprint
from translate.frozen import FrozenDict, freeze
from translate.model import ANNOTATION_PREFIX, AWS_GROUP, GATEWAY_GROUP, Source, TargetGroup, TargetGroupLookup
from translate.snapshot import annotations_of, spec_of
from translate.status.conditions import (
    R_BACKEND_NOT_FOUND,
    R_CONFLICTING_IMPORT_ANNOTATIONS,
    R_INVALID_EXTERNAL_TG,
    R_INVALID_KIND,
    R_REF_NOT_PERMITTED,
    R_UNSUPPORTED_VALUE,
)

# A ServiceImport backendRef: the AWS controller's group, the MCS API's, or none at all, which is
# how the AWS controller's own multi-cluster examples write it (it checks the kind only).
IMPORT_GROUPS = ("", AWS_GROUP, "multicluster.x-k8s.io")
MAX_WEIGHT = 999
MAX_FORWARD_TGS = 10
TG_ARN_RE = re.compile(r"^arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:targetgroup/tg-[0-9a-z]{17}$")
FIXED_500 = freeze({"fixedResponse": {"statusCode": 500}})


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    message: str


@dataclass(slots=True)
class Forward:
    action: FrozenDict
    problems: list[Problem] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)
    lookups: list[TargetGroupLookup] = field(default_factory=list)


def scale_weights(weights: Sequence[int]) -> list[int]:
    top = max(weights, default=0)
    if top <= MAX_WEIGHT:
        return list(weights)
    return [0 if w == 0 else max(1, round(w * MAX_WEIGHT / top)) for w in weights]


def _service_import(ctx: Context, ns: str, name: str, ref_desc: str) -> tuple[TargetGroupLookup | None, Problem | None]:
    imp = ctx.snapshot.get("ServiceImport", ns, name)
    if imp is None:
        return None, Problem(R_BACKEND_NOT_FOUND, f"ServiceImport {ns}/{name} not found ({ref_desc})")
    ann = annotations_of(imp)
    arn = ann.get(ANNOTATION_PREFIX + "target-group-arn")
    mode2 = {k: ann.get(ANNOTATION_PREFIX + k) for k in ("export-name", "aws-vpc", "aws-eks-cluster-name")}
    if arn and any(mode2.values()):
        return None, Problem(
            R_CONFLICTING_IMPORT_ANNOTATIONS,
            f"ServiceImport {ns}/{name}: target-group-arn cannot be combined with export-name/aws-vpc/aws-eks-cluster-name",
        )
    placeholder = naming.lookup_placeholder(ns, name)
    src = Source("ServiceImport", ns, name)
    if arn:
        if not TG_ARN_RE.match(arn):
            return None, Problem(R_INVALID_EXTERNAL_TG, f"ServiceImport {ns}/{name}: {arn!r} is not a target group ARN")
        return TargetGroupLookup(placeholder, src, arn=arn), None
    lookup_tags = {
        tags.SOURCE_TYPE: "ServiceExport",
        tags.SERVICE_NAME: mode2["export-name"] or name,
        tags.SERVICE_NAMESPACE: ns,
    }
    if mode2["aws-eks-cluster-name"]:
        lookup_tags[tags.CLUSTER_NAME] = mode2["aws-eks-cluster-name"]
    return TargetGroupLookup(placeholder, src, tags=freeze(lookup_tags), vpc_identifier=mode2["aws-vpc"] or None), None


@dataclass(frozen=True, slots=True)
class _Backend:
    """What a (Service, port, route kind) contributes to a TG, shared by every route using it."""

    ip_type: str
    proto: targetgroups.Protocol
    config: FrozenDict
    config_fingerprint: str
    targets: tuple[Any, ...]
    targets_fingerprint: str
    backend: Source


def _service_backend(
    ctx: Context, route_kind: str, svc: Mapping[str, Any], svc_ns: str, svc_name: str, port: int | None
) -> _Backend | Problem:
    key = ("backend", route_kind, svc_ns, svc_name, port)
    hit: _Backend | Problem | None = ctx.memo.get(key)
    if hit is not None:
        return hit
    result = _compute_backend(ctx, route_kind, svc, svc_ns, svc_name, port)
    ctx.memo[key] = result
    return result


def _compute_backend(
    ctx: Context, route_kind: str, svc: Mapping[str, Any], svc_ns: str, svc_name: str, port: int | None
) -> _Backend | Problem:
    if spec_of(svc).get("type") == "ExternalName":
        # A DNS alias, no endpoints: a Lattice IP target group could only stay empty. The Gateway
        # API says implementations SHOULD NOT support ExternalName Services (CVE-2021-25740).
        return Problem(R_UNSUPPORTED_VALUE,
                       f"Service {svc_ns}/{svc_name} is of type ExternalName, which has no endpoints to "
                       "register in a Lattice target group; point the backendRef at a Service with a selector "
                       "or EndpointSlices")
    ip_type = targets.address_type(ctx.snapshot, svc, svc_ns, svc_name)
    if ip_type is None:
        return Problem(R_UNSUPPORTED_VALUE,
                       f"Service {svc_ns}/{svc_name}: dual stack Service (IPv4 and IPv6 endpoints) is not supported")
    port_name: str | None = None
    if port is not None:
        port_name = targets.service_port_name(svc, port)
        if port_name is None:
            return Problem(R_BACKEND_NOT_FOUND, f"Service {svc_ns}/{svc_name} has no port {port}")
    policy = ctx.policies.target_group.get(("Service", svc_ns, svc_name))
    policy_spec = spec_of(policy) if policy is not None else None
    proto = targetgroups.route_protocol(route_kind, policy_spec)
    ckey = ("tgconfig", proto, ip_type, id(policy))
    hit_cfg = ctx.memo.get(ckey)
    if hit_cfg is None:
        config = targetgroups.config(proto, vpc_id=ctx.config.vpc_id, ip_address_type=ip_type, policy_spec=policy_spec)
        hit_cfg = ctx.memo[ckey] = (config, fingerprint(config))
    tkey = ("targets", svc_ns, svc_name, port_name, ip_type)
    hit = ctx.memo.get(tkey)
    if hit is None:
        tgts = targets.targets_for(ctx.snapshot, svc_ns, svc_name, port_name=port_name, ip_address_type=ip_type)
        hit = (tgts, fingerprint([[t.id, t.port] for t in tgts]))
        ctx.memo[tkey] = hit
    if not hit[0] and port_name is not None:
        others = targets.unmatched_port_names(ctx.snapshot, svc_ns, svc_name, port_name, ip_type)
        if others is not None:
            shown = ", ".join(repr(n) for n in others)
            return Problem(R_BACKEND_NOT_FOUND,
                           f"Service {svc_ns}/{svc_name} port {port} is named {port_name!r}, but its EndpointSlices "
                           f"only have ports named {shown}: no endpoint serves it (EndpointSlice port names must "
                           "match the Service's port names)")
    return _Backend(ip_type, proto, hit_cfg[0], hit_cfg[1], hit[0], hit[1], Source("Service", svc_ns, svc_name))


def _service_tg(
    ctx: Context,
    cache: dict[str, TargetGroup],
    route_src: Source,
    svc: Mapping[str, Any],
    svc_ns: str,
    svc_name: str,
    port: int | None,
    user_tags: FrozenDict,
    domain: str | None,
) -> tuple[TargetGroup | None, Problem | None]:
    b = _service_backend(ctx, route_src.kind, svc, svc_ns, svc_name, port)
    if isinstance(b, Problem):
        return None, b
    cfg = ctx.config
    name = naming.target_group_name(
        cluster=cfg.cluster_name,
        vpc=cfg.vpc_id,
        source_kind=route_src.kind,
        source_namespace=route_src.namespace,
        source_name=route_src.name,
        service_namespace=svc_ns,
        service_name=svc_name,
        port=port,
        protocol=b.proto.protocol,
        protocol_version=b.proto.version,
        ip_address_type=b.ip_type,
        custom_domain=domain,
    )
    existing = cache.get(name)
    if existing is not None:
        return existing, None
    tag_map = tags.route_target_group_tags(
        user_tags,
        managed=ctx.managed_by,
        cluster=cfg.cluster_name,
        service_namespace=svc_ns,
        service_name=svc_name,
        source_kind=route_src.kind,
        protocol_version=b.proto.version or "",
        route_namespace=route_src.namespace,
        route_name=route_src.name,
    )
    fp = target_group_fingerprint(name, "IP", b.config_fingerprint, tag_map)
    tg = TargetGroup(
        name=name, source=route_src, backend=b.backend, type="IP", config=b.config, targets=b.targets,
        tags=tag_map, fingerprint=fp, targets_fingerprint=b.targets_fingerprint,
    )
    cache[name] = tg
    return tg, None


def make_target_group(
    name: str, source: Source, backend: Source, config: FrozenDict, tgts: tuple[Any, ...], tag_map: FrozenDict
) -> TargetGroup:
    return TargetGroup(
        name=name, source=source, backend=backend, type="IP", config=config, targets=tgts, tags=tag_map,
        fingerprint=target_group_fingerprint(name, "IP", fingerprint(config), tag_map),
        targets_fingerprint=fingerprint([[t.id, t.port] for t in tgts]),
    )


def _desc(kind: str, ns: str, name: str) -> str:
    return f"backendRef {kind} {ns}/{name}"


def forward(
    ctx: Context,
    cache: dict[str, TargetGroup],
    route_src: Source,
    backend_refs: Sequence[Mapping[str, Any]] | None,
    user_tags: FrozenDict,
    domain: str | None = None,
) -> Forward:
    """Resolve one rule's backendRefs. Raises RuleRejected only when Lattice cannot express it.

    `cache` holds the route's TGs by name, so a Service used by several rules yields one TG.
    """
    out = Forward(action=FIXED_500)
    entries: dict[str, int] = {}  # targetGroupIdentifier → summed weight (same backend twice)
    route_ns = route_src.namespace
    for ref in backend_refs or ():
        get = ref.get
        # Values are strings per the CRD schema (translate trusts API server validation).
        group = get("group") or ""
        if group == "core":
            group = ""
        kind = get("kind") or "Service"
        name = get("name") or ""
        ns = get("namespace") or route_ns
        weight = get("weight")
        weight = 1 if weight is None else int(weight)
        port = get("port")
        if get("filters"):
            raise RuleRejected(R_UNSUPPORTED_VALUE, f"{_desc(kind, ns, name)}: backendRef filters are not supported by Lattice")
        if kind == "Service" and not group:
            to_group = ""
        elif kind == "ServiceImport" and group in IMPORT_GROUPS:
            to_group = group or AWS_GROUP  # a ReferenceGrant names the kind with its group
        else:
            out.problems.append(Problem(R_INVALID_KIND, f"{_desc(kind, ns, name)}: kind {group + '/' if group else ''}{kind} is not supported"))
            continue
        if ns != route_ns and not grants.permitted(
            ctx.snapshot,
            from_group=GATEWAY_GROUP,
            from_kind=route_src.kind,
            from_namespace=route_src.namespace,
            to_group=to_group,
            to_kind=kind,
            to_namespace=ns,
            to_name=name,
        ):
            out.problems.append(Problem(R_REF_NOT_PERMITTED, f"{_desc(kind, ns, name)}: no ReferenceGrant in {ns} allows it"))
            continue
        if kind == "ServiceImport":
            lookup, problem = _service_import(ctx, ns, name, _desc(kind, ns, name))
            if problem:
                out.problems.append(problem)
                continue
            assert lookup is not None
            out.lookups.append(lookup)
            entries[lookup.name] = entries.get(lookup.name, 0) + weight
            continue
        svc = ctx.snapshot.get("Service", ns, name)
        if svc is None:
            out.problems.append(Problem(R_BACKEND_NOT_FOUND, f"{_desc(kind, ns, name)}: Service not found"))
            continue
        tg, problem = _service_tg(ctx, cache, route_src, svc, ns, name, int(port) if port is not None else None, user_tags, domain)
        if problem:
            out.problems.append(problem)
            continue
        assert tg is not None
        out.target_groups.append(tg)
        entries[tg.name] = entries.get(tg.name, 0) + weight
    if len(entries) > MAX_FORWARD_TGS:
        raise RuleRejected(R_UNSUPPORTED_VALUE, f"{len(entries)} backends; Lattice forwards to at most {MAX_FORWARD_TGS}")
    if not entries or all(w == 0 for w in entries.values()):
        return out
    names = sorted(entries)
    weights = scale_weights([entries[n] for n in names])
    # Built frozen directly (keys already in sorted order): this runs once per rule.
    entries_frozen = tuple(
        FrozenDict((("targetGroupIdentifier", n), ("weight", w))) for n, w in zip(names, weights)
    )
    out.action = FrozenDict((("forward", FrozenDict((("targetGroups", entries_frozen),))),))
    return out
