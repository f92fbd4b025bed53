"""`translate(snapshot, config) -> Translation`: the single entry point.

Order of work: GatewayClasses → policies → Gateways (listeners) → routes (attach, rules, service,
TGs) → contested service names and custom domains (claims.py) → Gateway status (attachedRoutes, address) →
service networks → ServiceExport TGs → sort everything. Each step is a pure function of the snapshot and what came before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translate import claims, gateway, policies, routes
from translate.config import TranslateConfig
from translate.context import Context
from translate.exports import translate_exports
from translate.model import ROUTE_KINDS, Outcome, Translation
from translate.snapshot import Snapshot, annotations_of


def translate(snapshot: Snapshot, config: TranslateConfig) -> Translation:
    """Translate every object in `snapshot` into the desired Lattice model and outcomes.

    Pure and deterministic: the same objects (in any order) and config give an equal Translation
    whose `to_dict()` serialises to byte-identical JSON.
    """
    outcomes: list[Outcome] = []
    class_names, class_outcomes = gateway.classes(snapshot, config)
    outcomes.extend(class_outcomes)
    pol = policies.resolve(snapshot)
    outcomes.extend(pol.outcomes)
    ctx = Context(snapshot, config, pol)
    gws = gateway.gateways(snapshot, config, class_names)

    results: list[tuple[Mapping[str, Any], routes.RouteResult]] = []
    for kind in ROUTE_KINDS:
        for obj in snapshot.list(kind):
            r = routes.translate_route(ctx, kind, obj, gws)
            if r.outcome is not None:
                results.append((obj, r))
    def without_domain(route: Mapping[str, Any], r: routes.RouteResult, holder: str) -> routes.RouteResult:
        assert r.outcome is not None
        return routes.translate_route(ctx, r.outcome.source.kind, route, gws, inherited_domain_held_by=holder)

    # contested service names and custom domains: the oldest route keeps them (explicit hostnames first)
    claims.settle(results, without_domain)

    for _, r in results:
        for gw_key, listener in r.attachments:
            info = gws[gw_key]
            info.attached[listener] = info.attached.get(listener, 0) + 1
        assert r.outcome is not None
        outcomes.append(r.outcome)
    # A Gateway's address: the Lattice DNS name of its oldest attached route that has one.
    for route, r in sorted(results, key=lambda t: claims.precedence(t[0])):
        dns = annotations_of(route).get(gateway.DOMAIN_ANNOTATION)
        for gw_key, _ in r.attachments if dns else ():
            gws[gw_key].hostname = gws[gw_key].hostname or str(dns)
    outcomes.extend(gateway.outcome(gws[k]) for k in sorted(gws))

    sns, sn_outcomes = gateway.service_networks(ctx, gws)
    outcomes.extend(sn_outcomes)

    services = sorted((r.service for _, r in results if r.service is not None), key=lambda s: s.name)
    tgs = {tg.name: tg for _, r in results for tg in r.target_groups}
    for tg in translate_exports(ctx):
        tgs.setdefault(tg.name, tg)
    lookups = {lk.name: lk for _, r in results for lk in r.lookups}
    outcomes.sort(key=lambda o: (o.source.kind, o.source.namespace, o.source.name))
    return Translation(
        service_networks=tuple(sns),
        services=tuple(services),
        target_groups=tuple(tgs[n] for n in sorted(tgs)),
        target_group_lookups=tuple(lookups[n] for n in sorted(lookups)),
        outcomes=tuple(outcomes),
        _outcome_index={o.source.key: o for o in outcomes},
    )
