"""A read-only view of the Kubernetes objects translate looks at, with the lookups it needs.

Objects are plain dicts exactly as the API server returns them (`apiVersion`, `kind`, `metadata`,
`spec`, `status`). translate never mutates them. The snapshot is built once per reconcile (the
controller from its informer stores, `latticegw plan` from YAML) and indexes:

* by kind, sorted by (namespace, name): iteration order never depends on input order;
* by (kind, namespace, name);
* EndpointSlices by (namespace, `kubernetes.io/service-name` label);
* ReferenceGrants by namespace.

Two objects with the same kind/namespace/name: the one with the lexically greatest canonical JSON
wins, so the result does not depend on the order they were given in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

Obj = Mapping[str, Any]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"

# Kinds translate understands. Others are ignored by the snapshot (the plan CLI rejects them).
KNOWN_KINDS = frozenset(
    {
        "GatewayClass",
        "Gateway",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "ReferenceGrant",
        "Service",
        "EndpointSlice",
        "Secret",  # kubernetes.io/tls Secrets named by listener certificateRefs
        "Namespace",
        "TargetGroupPolicy",
        "VpcAssociationPolicy",
        "AccessLogPolicy",
        "IAMAuthPolicy",
        "ServiceNetwork",
        "ServiceExport",
        "ServiceImport",
    }
)
CLUSTER_SCOPED = frozenset({"GatewayClass", "Namespace", "ServiceNetwork"})


def _order_key(obj: Obj) -> bytes:
    """Total order between two versions of one object (only used to break duplicates)."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(obj).encode()


def meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Obj) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Obj) -> str:
    if obj.get("kind") in CLUSTER_SCOPED:
        return ""
    return str(meta(obj).get("namespace") or "default")


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return meta(obj).get("annotations") or {}


def labels_of(obj: Obj) -> Mapping[str, str]:
    return meta(obj).get("labels") or {}


def generation_of(obj: Obj) -> int | None:
    g = meta(obj).get("generation")
    return g if isinstance(g, int) else None


def spec_of(obj: Obj) -> Mapping[str, Any]:
    s = obj.get("spec")
    # Exact-type check first: isinstance() against the Mapping ABC is slow and this runs per route.
    return s if type(s) is dict or isinstance(s, Mapping) else {}


class Snapshot:
    """Immutable collection of objects with lookups. Build with `Snapshot.of(objects)`."""

    __slots__ = ("_by_kind", "_by_key", "_slices", "_grants")

    def __init__(self, objects: Iterable[Obj] = ()) -> None:
        by_key: dict[tuple[str, str, str], Obj] = {}
        for obj in objects:
            if type(obj) is not dict and not isinstance(obj, Mapping):  # exact type first: the ABC check is slow
                continue
            kind = obj.get("kind")
            if kind not in KNOWN_KINDS:
                continue
            # namespace_of/name_of inlined: this runs once per object of every snapshot
            md = obj.get("metadata") or {}
            key = (kind, "" if kind in CLUSTER_SCOPED else str(md.get("namespace") or "default"), str(md.get("name") or ""))
            prev = by_key.get(key)
            if prev is None or _order_key(obj) > _order_key(prev):
                by_key[key] = obj
        by_kind: dict[str, list[tuple[tuple[str, str], Obj]]] = {}
        slices: dict[tuple[str, str], list[tuple[str, Obj]]] = {}
        grants: dict[str, list[tuple[str, Obj]]] = {}
        for (kind, ns, name), obj in by_key.items():
            by_kind.setdefault(kind, []).append(((ns, name), obj))
            if kind == "EndpointSlice":
                svc = labels_of(obj).get(SERVICE_NAME_LABEL)
                if svc:
                    slices.setdefault((ns, svc), []).append((name, obj))
            elif kind == "ReferenceGrant":
                grants.setdefault(ns, []).append((name, obj))
        self._by_key = by_key
        self._by_kind = {k: tuple(o for _, o in sorted(v, key=lambda t: t[0])) for k, v in by_kind.items()}
        self._slices = {k: tuple(o for _, o in sorted(v, key=lambda t: t[0])) for k, v in slices.items()}
        self._grants = {k: tuple(o for _, o in sorted(v, key=lambda t: t[0])) for k, v in grants.items()}

    @classmethod
    def of(cls, objects: Iterable[Obj]) -> "Snapshot":
        return cls(objects)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """One object; `namespace` is ignored ("") for cluster-scoped kinds."""
        if kind in CLUSTER_SCOPED:
            namespace = ""
        return self._by_key.get((kind, namespace, name))

    def list(self, kind: str) -> tuple[Obj, ...]:
        """All objects of a kind, sorted by (namespace, name)."""
        return self._by_kind.get(kind, ())

    def endpoint_slices(self, namespace: str, service_name: str) -> tuple[Obj, ...]:
        """EndpointSlices labelled `kubernetes.io/service-name=<service_name>` in `namespace`."""
        return self._slices.get((namespace, service_name), ())

    def reference_grants(self, namespace: str) -> tuple[Obj, ...]:
        """ReferenceGrants living in `namespace` (the namespace of the referenced object)."""
        return self._grants.get(namespace, ())

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        """Labels of a Namespace object, or None when the snapshot does not hold it."""
        ns = self.get("Namespace", "", namespace)
        if ns is None:
            return None
        labels = dict(labels_of(ns))
        # The API server always sets this label; objects from YAML may not have it.
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels

    def __len__(self) -> int:
        return len(self._by_key)
