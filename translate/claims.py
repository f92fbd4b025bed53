"""What only one route may hold in Lattice: a service name and a custom domain.

Lattice service names are unique per account, and a hostname can lead to one Lattice service only
(one DNS name, one custom domain). When routes contend for either, the Gateway API's precedence
between routes decides, as it does for matching ties: the oldest route by creationTimestamp, then
the first in alphabetical order by "{namespace}/{name}" (then kind, for an HTTPRoute and a
GRPCRoute of the same name).

**Contested claims** (a service name; a hostname the route names in `spec.hostnames`): the winner
keeps what it claims; every later route gets Accepted=False reason Conflicted on each parent, a
Warning Event saying who holds it, and no Lattice service (so it attaches to no listener). A route
that lost its name claims no hostname, and the other way round.

**Inherited claims** (the custom domain would be the hostname of the listener the route attaches
to, which the route does not name itself: it has no `spec.hostnames`, or a wildcard that the
listener hostname narrows) are not contested: such routes are all accepted, as the Gateway API
says. An explicit claim of the hostname beats every inherited one; among inherited claims the
precedence above decides. The holder gets the custom domain; each other route stays Accepted=True
and is programmed under its own Lattice DNS name without a custom domain, with a
HostnamesNotProgrammed Warning Event (and its Accepted message) naming the route that holds the
hostname. When the holder goes away the next one by the same rules gains the custom domain. As for
any custom-domain change (customDomainName is create-only), its Lattice service is then replaced
make-before-break (lattice/plan.py): the new service is created next to the old one, which is
deleted once the new one is ready. The decision is a pure function of the routes' precedence and
specs, never of what Lattice holds, so it cannot flip back and forth between passes.

Only hostnames that became a service's custom domain are contested: the other hostnames of a route
are not programmed in Lattice (the route says so with a HostnamesNotProgrammed event).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

from translate.model import Event
from translate.routes import RouteResult
from translate.snapshot import meta
from translate.status.conditions import R_CONFLICTED, conflicted

# (the route, its translation, the route holding the hostname it would inherit) → its translation
# without that custom domain.
Retranslate = Callable[[Mapping[str, Any], RouteResult, str], RouteResult]


def precedence(route: Mapping[str, Any]) -> tuple[str, str, str]:
    """Sort key: earlier wins (creationTimestamp is RFC 3339 UTC, so text order is time order)."""
    md = meta(route)
    return (str(md.get("creationTimestamp") or ""), f"{md.get('namespace') or 'default'}/{md.get('name') or ''}",
            str(route.get("kind") or ""))


def settle(results: list[tuple[Mapping[str, Any], RouteResult]], without_domain: Retranslate) -> None:
    """Decide every contested name and custom domain among `results` (route, its translation);
    the losers' results are changed in place. `without_domain` translates a route again without
    the custom domain it would inherit (a pure function of the route and the holder)."""
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    inherited: list[tuple[Mapping[str, Any], RouteResult]] = []
    ordered = sorted(results, key=lambda t: precedence(t[0]))
    for route, r in ordered:
        svc = r.service
        if svc is None or r.outcome is None:
            continue
        holder = names.get(svc.name)
        if holder is not None:
            _lose(r, f"Lattice service name {svc.name} is already used by {holder}")
            continue
        domain = svc.custom_domain_name
        if domain and r.inherited_domain:
            inherited.append((route, r))  # decided after every explicit claim
        elif domain:
            holder = domains.get(domain)
            if holder is not None:
                _lose(r, f"hostname {domain} is already served by {holder}, which is older; "
                         "a hostname leads to one Lattice service")
                continue
            domains[domain] = svc.source.key
        names[svc.name] = svc.source.key
    for route, r in inherited:  # still in precedence order
        assert r.service is not None and r.service.custom_domain_name
        domain = r.service.custom_domain_name
        holder = domains.get(domain)
        if holder is None:
            domains[domain] = r.service.source.key
            continue
        again = without_domain(route, r, holder)
        for f in fields(RouteResult):
            setattr(r, f.name, getattr(again, f.name))


def _lose(r: RouteResult, message: str) -> None:
    assert r.outcome is not None
    r.outcome = replace(
        r.outcome,
        parents=conflicted(r.outcome.parents, message),
        events=(*r.outcome.events, Event(type="Warning", reason=R_CONFLICTED, message=message)),
    )
    r.service, r.target_groups, r.lookups, r.attachments = None, [], [], []
