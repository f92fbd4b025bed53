"""Targets of a Kubernetes Service: pod IPs and ports from its EndpointSlices.

As the AWS controller does: every address of every endpoint that is not terminating (readiness is
Lattice's health check's job, and the pod readiness gate reports it back), from slices labelled
`kubernetes.io/service-name`, of the TG's address family. When the backendRef names a Service port,
only the EndpointSlice port with the same *name* as that Service port counts (EndpointSlice ports
carry the resolved target port, which is what Lattice must send traffic to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translate.model import Target
from translate.snapshot import Snapshot, spec_of

ADDRESS_TYPES = {"IPV4": "IPv4", "IPV6": "IPv6"}


FAMILIES = {"IPv4": "IPV4", "IPv6": "IPV6"}


def address_type(snapshot: Snapshot, service: Mapping[str, Any], namespace: str, service_name: str) -> str | None:
    """The TG `ipAddressType` for a Service ("IPV4" | "IPV6"), or None when it is really dual stack.

    `spec.ipFamilies` alone cannot say: the API server defaults a headless Service without a
    selector to RequireDualStack with both families even on a single-stack cluster, and its
    (hand-made) EndpointSlices carry one family. So a Service listing several families is decided by
    the address types of its EndpointSlices: one family there is that family; both is dual stack,
    which Lattice target groups cannot express; none yet is the primary family.
    """
    families = [f for f in (spec_of(service).get("ipFamilies") or ["IPv4"]) if f in FAMILIES] or ["IPv4"]
    if len(families) == 1:
        return FAMILIES[families[0]]
    seen = {eps.get("addressType") or "IPv4" for eps in snapshot.endpoint_slices(namespace, service_name)}
    seen &= FAMILIES.keys()  # FQDN slices carry no address Lattice could register
    if len(seen) > 1:
        return None
    return FAMILIES[seen.pop() if seen else families[0]]


def service_port_name(service: Mapping[str, Any], port: int) -> str | None:
    """The name of the Service port whose `port` is `port` ("" if unnamed); None if there is none."""
    for p in spec_of(service).get("ports") or ():
        if p.get("port") == port:
            return str(p.get("name") or "")
    return None


def unmatched_port_names(
    snapshot: Snapshot, namespace: str, service_name: str, port_name: str, ip_address_type: str = "IPV4"
) -> list[str] | None:
    """When the Service's EndpointSlices (of the TG's family) name ports but none `port_name`: the
    names they do carry, sorted. None otherwise (a match, or no slice with ports yet: a Service
    without ready pods has none, which is not a mistake).

    The EndpointSlice controller names slice ports after the Service's ports, so a mismatch means
    hand-made EndpointSlices (a Service without selector) whose port names differ: targets_for()
    then finds no targets at all.
    """
    family = ADDRESS_TYPES.get(ip_address_type, "IPv4")
    names: set[str] = set()
    for eps in snapshot.endpoint_slices(namespace, service_name):
        if (eps.get("addressType") or "IPv4") != family:
            continue
        for p in eps.get("ports") or ():
            if isinstance(p.get("port"), int):
                names.add(str(p.get("name") or ""))
    if not names or port_name in names:
        return None
    return sorted(names)


def targets_for(
    snapshot: Snapshot,
    namespace: str,
    service_name: str,
    *,
    port_name: str | None,
    ip_address_type: str = "IPV4",
    port_names: frozenset[str] | None = None,
) -> tuple[Target, ...]:
    """Targets of one Service. `port_name` None means every port (or those in `port_names`)."""
    family = ADDRESS_TYPES.get(ip_address_type, "IPv4")
    # (id, port) pairs rather than Target objects until the end: hashing and sorting plain tuples
    # is several times cheaper than the dataclass's generated __hash__/__lt__, and Targets are
    # equal exactly when their (id, port) are.
    out: set[tuple[str, int]] = set()
    for eps in snapshot.endpoint_slices(namespace, service_name):
        if (eps.get("addressType") or "IPv4") != family:
            continue
        ports: list[int] = []
        for p in eps.get("ports") or ():
            pname = str(p.get("name") or "")
            pnum = p.get("port")
            if not isinstance(pnum, int):
                continue
            if port_name is not None and pname != port_name:
                continue
            if port_names is not None and pname not in port_names and str(pnum) not in port_names:
                continue
            ports.append(pnum)
        if not ports:
            continue
        for ep in eps.get("endpoints") or ():
            if (ep.get("conditions") or {}).get("terminating") is True:
                continue
            for addr in ep.get("addresses") or ():
                for pnum in ports:
                    out.add((str(addr), pnum))
    return tuple([Target(id=i, port=p) for i, p in sorted(out)])
