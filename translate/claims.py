"""What only one route may hold in Lattice: a service name and a custom domain.

Lattice service names are unique per account, and a hostname can lead to one Lattice service only
(one DNS name, one custom domain). When routes contend for either, the Gateway API's precedence
between routes decides, as it does for matching ties: the oldest route by creationTimestamp, then
the first in alphabetical order by "{namespace}/{name}" (then kind, for an HTTPRoute and a
GRPCRoute of the same name). The winner keeps what it claims; every later route gets Accepted=False
reason Conflicted on each parent, a Warning Event saying who holds it, and no Lattice service (so
it attaches to no listener). A route that lost its name claims no hostname, and the other way round.

Only hostnames that became a service's custom domain are contested: the other hostnames of a route
are not programmed in Lattice (the route says so with a HostnamesNotProgrammed event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from translate.model import Event
from translate.routes import RouteResult
from translate.snapshot import meta
from translate.status.conditions import R_CONFLICTED, conflicted


def precedence(route: Mapping[str, Any]) -> tuple[str, str, str]:
    """Sort key: earlier wins (creationTimestamp is RFC 3339 UTC, so text order is time order)."""
    md = meta(route)
    return (str(md.get("creationTimestamp") or ""), f"{md.get('namespace') or 'default'}/{md.get('name') or ''}",
            str(route.get("kind") or ""))


def settle(results: list[tuple[Mapping[str, Any], RouteResult]]) -> None:
    """Decide every contested name and custom domain among `results` (route, its translation);
    the losers' results are changed in place."""
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    for _route, r in sorted(results, key=lambda t: precedence(t[0])):
        svc = r.service
        if svc is None or r.outcome is None:
            continue
        holder = names.get(svc.name)
        if holder is not None:
            _lose(r, f"Lattice service name {svc.name} is already used by {holder}")
            continue
        domain = svc.custom_domain_name
        holder = domains.get(domain) if domain else None
        if holder is not None:
            _lose(r, f"hostname {domain} is already served by {holder}, which is older; "
                     "a hostname leads to one Lattice service")
            continue
        names[svc.name] = svc.source.key
        if domain:
            domains[domain] = svc.source.key


def _lose(r: RouteResult, message: str) -> None:
    assert r.outcome is not None
    r.outcome = replace(
        r.outcome,
        parents=conflicted(r.outcome.parents, message),
        events=(*r.outcome.events, Event(type="Warning", reason=R_CONFLICTED, message=message)),
    )
    r.service, r.target_groups, r.lookups, r.attachments = None, [], [], []
