"""Secondary indexes over the informer stores: who refers to whom.

Each index is a pure extractor `obj -> set of index values` plus a reverse map
`value -> set of work-queue keys`, kept current by `Indexes.update(kind, old,
new)`. Values are `(kind, namespace, name)` tuples of the *referenced* object,
so one lookup answers "which routes point at Service default/web?".

Defaults follow the Gateway API: a parentRef's group defaults to
gateway.networking.k8s.io and kind to Gateway; a backendRef's group to "" (core)
and kind to Service; a missing namespace means the referrer's own namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from controller.kube import keys
from translate.model import GATEWAY_GROUP, POLICY_KINDS, ROUTE_KINDS

SERVICE_NAME_LABEL = "kubernetes.io/service-name"

Ref = tuple[str, str, str]  # (kind, namespace, name); namespace "" for cluster-scoped


def _ns(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def route_parents(route: Mapping[str, Any]) -> set[Ref]:
    ns = _ns(route)
    out: set[Ref] = set()
    for ref in (route.get("spec") or {}).get("parentRefs") or ():
        group = ref.get("group", GATEWAY_GROUP)
        kind = ref.get("kind") or "Gateway"
        if group == GATEWAY_GROUP and kind == "Gateway" and ref.get("name"):
            out.add(("Gateway", ref.get("namespace") or ns, ref["name"]))
    return out


def route_backends(route: Mapping[str, Any]) -> set[Ref]:
    ns = _ns(route)
    out: set[Ref] = set()
    for rule in (route.get("spec") or {}).get("rules") or ():
        refs = list(rule.get("backendRefs") or ())
        # GRPC/HTTP filters may mirror to a backend too; those count as references.
        for f in rule.get("filters") or ():
            mirror = (f.get("requestMirror") or {}).get("backendRef")
            if mirror:
                refs.append(mirror)
        for ref in refs:
            kind = ref.get("kind") or "Service"
            if ref.get("name"):
                out.add((kind, ref.get("namespace") or ns, ref["name"]))
    return out


def policy_target(policy: Mapping[str, Any]) -> set[Ref]:
    spec = policy.get("spec") or {}
    refs = list(spec.get("targetRefs") or ())
    if spec.get("targetRef"):
        refs.append(spec["targetRef"])
    out: set[Ref] = set()
    for ref in refs:
        if ref.get("kind") and ref.get("name"):
            kind = ref["kind"]
            ns = "" if kind in ("GatewayClass", "Namespace") else (ref.get("namespace") or _ns(policy))
            out.add((kind, ns, ref["name"]))
    return out


def grant_from_namespaces(grant: Mapping[str, Any]) -> set[Ref]:
    """A ReferenceGrant lets objects *from* these namespaces refer into its own."""
    return {("Namespace", "", f["namespace"]) for f in (grant.get("spec") or {}).get("from") or () if f.get("namespace")}


def gateway_class(gateway: Mapping[str, Any]) -> set[Ref]:
    name = (gateway.get("spec") or {}).get("gatewayClassName")
    return {("GatewayClass", "", name)} if name else set()


def gateway_secrets(gateway: Mapping[str, Any]) -> set[Ref]:
    """The Secrets a Gateway's listeners name in `tls.certificateRefs` (group "", kind Secret)."""
    ns = _ns(gateway)
    out: set[Ref] = set()
    for lst in (gateway.get("spec") or {}).get("listeners") or ():
        for ref in (lst.get("tls") or {}).get("certificateRefs") or ():
            if (ref.get("group") or "") in ("", "core") and (ref.get("kind") or "Secret") == "Secret" and ref.get("name"):
                out.add(("Secret", ref.get("namespace") or ns, ref["name"]))
    return out


def _concrete(hostnames: Iterable[Any]) -> set[str]:
    return {str(h) for h in hostnames or () if h and not str(h).startswith("*")}


def hostname_claims(obj: Mapping[str, Any]) -> set[Ref]:
    """Where a Lattice custom domain can come from, to find routes contending for one (translate's
    claims.py keeps it for the oldest). A route: ("Hostname", "", h) per concrete hostname; a route
    that names none, or a wildcard, may take a concrete listener hostname of its Gateways instead:
    ("HostnameFrom", ns, gateway) per parent. A Gateway: ("Hostname", "", h) per concrete listener
    hostname, so a hostname leads to the Gateways whose routes may inherit it."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Gateway":
        return {("Hostname", "", h) for h in _concrete(lst.get("hostname") for lst in spec.get("listeners") or ())}
    hostnames = [str(h) for h in spec.get("hostnames") or ()]
    out: set[Ref] = {("Hostname", "", h) for h in _concrete(hostnames)}
    if not hostnames or any(h.startswith("*") for h in hostnames):
        out |= {("HostnameFrom", ref[1], ref[2]) for ref in route_parents(obj)}
    return out


def slice_service(eps: Mapping[str, Any]) -> set[Ref]:
    name = ((eps.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL)
    return {("Service", _ns(eps), name)} if name else set()


# index name -> (kinds it covers, extractor)
INDEXES: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], set[Ref]]]] = {
    "route-parent": (ROUTE_KINDS, route_parents),
    "route-backend": (ROUTE_KINDS, route_backends),
    "policy-target": (POLICY_KINDS, policy_target),
    "grant-from": (("ReferenceGrant",), grant_from_namespaces),
    "gateway-class": (("Gateway",), gateway_class),
    "gateway-secret": (("Gateway",), gateway_secrets),
    "slice-service": (("EndpointSlice",), slice_service),
    "hostname": ((*ROUTE_KINDS, "Gateway"), hostname_claims),
}


class Index:
    def __init__(self, extract: Callable[[dict], set[Ref]]) -> None:
        self.extract = extract
        self._keys: dict[Ref, set[str]] = {}

    def update(self, key: str, old: dict | None, new: dict | None) -> None:
        before = self.extract(old) if old is not None else set()
        after = self.extract(new) if new is not None else set()
        for ref in before - after:
            bucket = self._keys.get(ref)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self._keys[ref]
        for ref in after - before:
            self._keys.setdefault(ref, set()).add(key)

    def lookup(self, ref: Ref) -> set[str]:
        return set(self._keys.get(ref, ()))

    def __len__(self) -> int:
        return len(self._keys)


class Indexes:
    def __init__(self) -> None:
        self.by_name: dict[str, Index] = {name: Index(fn) for name, (_, fn) in INDEXES.items()}
        self._by_kind: dict[str, list[Index]] = {}
        for name, (kinds, _) in INDEXES.items():
            for kind in kinds:
                self._by_kind.setdefault(kind, []).append(self.by_name[name])

    def update(self, kind: str, old: dict | None, new: dict | None) -> None:
        indexes = self._by_kind.get(kind)
        if not indexes:
            return
        obj = new if new is not None else old
        assert obj is not None, "an update has an old or a new object"
        key = keys.of(kind, obj)
        for index in indexes:
            index.update(key, old, new)

    def lookup(self, index: str, ref: Ref) -> set[str]:
        return self.by_name[index].lookup(ref)

    def lookup_many(self, index: str, refs: Iterable[Ref]) -> set[str]:
        out: set[str] = set()
        for ref in refs:
            out |= self.by_name[index].lookup(ref)
        return out
