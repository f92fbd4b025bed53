"""Custom-domain change make-before-break, ownership between two of our routes, and routes that
wait for their service network: the real client/inventory/sync stack against the emulator."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from lattice.sync import WAITING_REQUEUE
from tests.integration.lattice.conftest import MANAGED_BY, converge, example_objects, translate_objects
from tests.integration.lattice.helpers import edited, find, route
from tests.integration.lattice.test_converge import make_sn
from translate import tags as T
from translate.model import Source

RATES = route("default", "rates")
OLD, NEW = "rates.old.example.com", "rates.new.example.com"


def hotel(hostname: str | None) -> tuple[list[dict[str, Any]], Any]:
    objs = edited(example_objects("my-hotel"))
    if hostname:
        find(objs, "HTTPRoute", "rates")["spec"]["hostnames"] = [hostname]
    return objs, translate_objects(objs)


def serving(part: dict[str, Any], route_name: str = "rates") -> list[str]:
    """Services of the route that can take traffic: ACTIVE, with a listener, associated (ACTIVE)."""
    out = []
    for s in part.get("services", []):
        if (s.get("tags") or {}).get(T.ROUTE_NAME) != route_name or s.get("status") != "ACTIVE":
            continue
        has_listener = any(lst.get("serviceId") == s["id"] for lst in part.get("listeners", []))
        associated = any(a.get("serviceId") == s["id"] and a.get("status") == "ACTIVE"
                         for a in part.get("serviceNetworkServiceAssociations", []))
        if has_listener and associated:
            out.append(s["name"])
    return out


def route_services(part: dict[str, Any], route_name: str = "rates") -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in part.get("services", [])
            if (s.get("tags") or {}).get(T.ROUTE_NAME) == route_name and s.get("status") != "DELETE_IN_PROGRESS"}


def route_tgs(part: dict[str, Any], route_name: str = "rates") -> set[str]:
    return {t["name"] for t in part.get("targetGroups", [])
            if (t.get("tags") or {}).get(T.ROUTE_NAME) == route_name and t.get("status") != "DELETE_IN_PROGRESS"}


async def _step_until_converged(sync, t, samples: list[list[str]], ctl, passes: int = 80) -> list[Any]:
    results = []
    for _ in range(passes):
        res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
        results.append(res)
        assert not res.errors and not res.conflicts, (res.errors, res.conflicts)
        samples.append(serving(await ctl.partition()))
        if res.converged:
            return results
        await asyncio.sleep(min(res.requeue_after or 0.05, 0.05))
    raise AssertionError(f"did not converge: {results[-1]}")


async def test_custom_domain_change_is_make_before_break(make_sync, ctl, lattice_emulator):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    _, t_old = hotel(OLD)
    await converge(sync, t_old)
    before = await ctl.partition()
    (old_name,) = route_services(before)
    assert serving(before) == [old_name]
    old_tgs = route_tgs(before)

    # creates and deletes take a while, as in Lattice: the transitional states are visible
    lattice_emulator.config.update({"delays": {"create": 0.1, "delete": 0.1}})
    _, t_new = hotel(NEW)
    (svc,) = t_new.services_of(RATES)
    samples: list[list[str]] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            samples.append(serving(await ctl.partition()))
            await asyncio.sleep(0.005)

    await ctl.reset_calls()
    watcher = asyncio.create_task(watch())
    try:
        results = await _step_until_converged(sync, t_new, samples, ctl)
    finally:
        stop.set()
        await watcher
    calls = (await ctl.calls())["calls"]
    assert len(samples) > 10
    assert all(samples), "a moment without any working service for the route"
    assert calls["CreateService"] == 1 and calls["DeleteService"] >= 1  # retried while its association goes

    after = await ctl.partition()
    (new_name,) = route_services(after)
    assert new_name == svc.replacement_name and route_services(after)[new_name]["customDomainName"] == NEW
    assert route_tgs(after) == {tg.name for tg in t_new.target_groups_of(RATES)}
    assert not (route_tgs(after) & old_tgs)
    # the result moves to the new service only once it is ready (annotations follow it)
    assert results[0].services["rates-default"].name == old_name
    final = results[-1].services["rates-default"]
    assert final.name == new_name and final.arn == route_services(after)[new_name]["arn"]
    assert final.dns_name == route_services(after)[new_name]["dnsEntry"]["domainName"]

    # converged: the next reconcile costs nothing and still reports the new service
    await ctl.reset_calls()
    res = await sync.apply_source(RATES, t_new.services_of(RATES), t_new.target_groups_of(RATES))
    assert res.converged and sum(res.calls.values()) == 0 and (await ctl.calls())["total"] == 0
    assert res.services["rates-default"].name == new_name

    # and back to the old domain: the primary name is free again, the same dance the other way
    samples.clear()
    _, t_back = hotel(OLD)
    await _step_until_converged(sync, t_back, samples, ctl)
    assert all(samples)
    assert list(route_services(await ctl.partition())) == ["rates-default"]


async def test_custom_domain_change_resumes_after_a_crash_without_duplicates(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    _, t_old = hotel(OLD)
    await converge(sync, t_old)
    _, t_new = hotel(NEW)
    (svc,) = t_new.services_of(RATES)
    # the first step dies half-way: the new service exists, its listener could not be made
    await ctl.inject_error("CreateListener", "AccessDeniedException", count=100)
    res = await sync.apply_source(RATES, t_new.services_of(RATES), t_new.target_groups_of(RATES))
    assert res.errors and res.services["rates-default"].name == "rates-default"
    assert set(route_services(await ctl.partition())) == {"rates-default", svc.replacement_name}
    await ctl.clear_faults()
    # a new process (fresh inventory) picks the change up by tags and continues under the same name
    restarted = await make_sync()
    samples: list[list[str]] = []
    await _step_until_converged(restarted, t_new, samples, ctl)
    assert all(samples)
    part = await ctl.partition()
    assert list(route_services(part)) == [svc.replacement_name]
    assert len([lst for lst in part["listeners"]
                if lst["serviceId"] == route_services(part)[svc.replacement_name]["id"]]) == 1


# -- two of our routes whose service names collide --------------------------------------------------------


def _colliding(t) -> tuple[Source, Any, tuple[Any, ...]]:
    """Route `rates-a` in namespace `default` and route `rates` in namespace `a-default` both name
    their service `rates-a-default`; here the second one's model, next to the first's."""
    (svc,) = t.services_of(RATES)
    other = Source("HTTPRoute", "a-default", "rates")
    tgs = tuple(replace(tg, name=tg.name + "x", source=other,
                        tags={**tg.tags, T.ROUTE_NAMESPACE: "a-default"}) for tg in t.target_groups_of(RATES))
    rename = {tg.name[:-1]: tg.name for tg in tgs}

    def fix(action):
        fwd = action.get("forward")
        if not fwd:
            return action
        return {"forward": {"targetGroups": [{**x, "targetGroupIdentifier": rename[x["targetGroupIdentifier"]]}
                                             for x in fwd["targetGroups"]]}}

    listeners = tuple(replace(lst, default_action=fix(lst.default_action),
                              rules=tuple(replace(r, action=fix(r.action)) for r in lst.rules))
                      for lst in svc.listeners)
    svc2 = replace(svc, source=other, listeners=listeners,
                   tags=T.route_service_tags(T.FrozenDict(), MANAGED_BY, "HTTPRoute", "a-default", "rates"))
    return other, svc2, tgs


async def test_two_of_our_routes_with_one_service_name_do_not_fight(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    _, t = hotel(None)
    await converge(sync, t)
    other, svc2, tgs2 = _colliding(t)
    before = await ctl.partition()
    for s in (sync, await make_sync()):  # the same process, and one that learns it from tags at start
        res = await s.apply_source(other, (svc2,), tgs2)
        assert [c.name for c in res.conflicts] == ["rates-default"], res.conflicts
        assert "already used by HTTPRoute default/rates" in res.conflicts[0].message
        assert res.writes == 0 and res.services == {} and not res.errors
        # deleting the second route never deletes the first one's service
        res = await s.apply_source(other, (), ())
        assert res.writes == 0
    after = await ctl.partition()
    for kind in ("services", "listeners", "rules", "targetGroups", "serviceNetworkServiceAssociations"):
        assert after[kind] == before[kind], kind
    # the first route is still converged at no cost
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert res.converged and sum(res.calls.values()) == 0


async def test_target_group_of_another_route_of_ours_is_not_touched(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    _, t = hotel(None)
    await converge(sync, t)
    other = Source("HTTPRoute", "a-default", "rates")
    tg = t.target_groups_of(RATES)[0]
    stolen = replace(tg, source=other, targets=(), tags={**tg.tags, T.ROUTE_NAMESPACE: "a-default"})
    before = await ctl.partition()
    res = await sync.apply_source(other, (), (stolen,))
    assert [(c.kind, c.name) for c in res.conflicts] == [("target_group", tg.name)]
    assert res.writes == 0 and res.target_groups == {}
    assert (await ctl.partition())["targetGroups"] == before["targetGroups"]


# -- a route before its service network ---------------------------------------------------------------------


async def test_route_waits_for_its_service_network_then_associates(make_sync, ctl):
    sync = await make_sync()
    _, t = hotel(None)
    services, tgs = t.services_of(RATES), t.target_groups_of(RATES)
    res = None
    for _ in range(10):
        res = await sync.apply_source(RATES, services, tgs)
        assert not res.errors, res.errors
        if not res.in_progress:
            break
        await asyncio.sleep(0.02)
    assert res.waiting == ["service network my-hotel not found"] and not res.converged
    assert res.requeue_after == WAITING_REQUEUE
    part = await ctl.partition()
    # everything but the association is there already
    assert list(route_services(part)) == ["rates-default"] and route_tgs(part) == {x.name for x in tgs}
    assert len([lst for lst in part["listeners"]]) == 1 and not part["serviceNetworkServiceAssociations"]
    # a waiting route does not list service networks on every reconcile
    res = await sync.apply_source(RATES, services, tgs)
    assert res.waiting and sum(res.calls.values()) == 0

    # someone creates the network; the Gateway's reconcile looks it up (one listing) ...
    other = await make_sync()
    await other.client.call("CreateServiceNetwork", name="my-hotel")
    (sn,) = t.service_networks
    got = await sync.ensure_service_network(sn)
    assert got.found, got.errors
    # ... and the route's next apply finds it in the inventory: only the association is made
    res = await sync.apply_source(RATES, services, tgs)
    assert not res.waiting and not res.errors
    assert "ListServiceNetworks" not in res.calls
    assert dict(res.calls) == {"CreateServiceNetworkServiceAssociation": 1}
    assert [a["serviceNetworkName"] for a in (await ctl.partition())["serviceNetworkServiceAssociations"]] == [
        "my-hotel"]


async def test_a_waiting_route_notices_a_network_made_by_someone_else(make_sync, ctl):
    """Without any Gateway reconcile: the route's own (rare) listing finds it."""
    sync = await make_sync(sync={"sn_relist_interval": 0.05})
    _, t = hotel(None)
    services, tgs = t.services_of(RATES), t.target_groups_of(RATES)
    res = await sync.apply_source(RATES, services, tgs)
    assert res.waiting
    await (await make_sync()).client.call("CreateServiceNetwork", name="my-hotel")
    await asyncio.sleep(0.06)
    for _ in range(10):
        res = await sync.apply_source(RATES, services, tgs)
        if res.converged:
            break
        await asyncio.sleep(0.02)
    assert res.converged and set(res.services["rates-default"].associations) == {"my-hotel"}
