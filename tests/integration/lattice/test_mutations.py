"""Mutations: backends, weights, rules, endpoints - each costs only what changed."""

from __future__ import annotations

from tests.integration.lattice.conftest import converge, example_objects, translate_objects
from tests.integration.lattice.helpers import State, edited, find, route
from tests.integration.lattice.test_converge import make_sn, writes

RATES = route("default", "rates")


async def _hotel(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    objs = example_objects("my-hotel")
    await converge(sync, translate_objects(objs))
    return sync, objs


async def _apply(sync, objs, src=RATES):
    t = translate_objects(objs)
    return await converge(sync, _only(t, src), max_passes=20), t


def _only(t, src):
    from dataclasses import replace

    return replace(t, service_networks=(), services=t.services_of(src), target_groups=t.target_groups_of(src))


async def test_change_backend_replaces_only_that_target_group(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    before = State(await ctl.partition())
    objs = edited(objs)
    rates = find(objs, "HTTPRoute", "rates")
    rates["spec"]["rules"][1]["backendRefs"][0]["name"] = "inventory-ver1"  # /review -> inventory-ver1
    await ctl.reset_calls()
    _, t = await _apply(sync, objs)
    calls = await ctl.calls()
    after = State(await ctl.partition())
    new_tgs = {tg.name for tg in t.target_groups_of(RATES)}
    old = "k8s-default-review-rates-fb62455f08"
    assert old in before.tgs and old not in after.tgs  # orphan deleted in the same reconcile
    (added,) = new_tgs - set(before.tgs)
    assert added in after.tgs
    kept = "k8s-default-parking-rates-d22f33e8aa"
    assert after.tgs[kept]["id"] == before.tgs[kept]["id"]  # untouched
    assert after.tgs["k8s-default-inventory-ver1-inventory-295fb0d301"]["id"] == \
        before.tgs["k8s-default-inventory-ver1-inventory-295fb0d301"]["id"]  # other route's TG
    review = next(r for r in after.rules_of("rates-default", "rates-default-80-http").values()
                  if r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"] == "/review")
    assert after.forward(review["action"]) == {added: 1}
    assert after.services["rates-default"]["id"] == before.services["rates-default"]["id"]
    assert calls["calls"].get("CreateService", 0) == 0 and calls["calls"].get("CreateListener", 0) == 0
    assert calls["calls"]["DeleteTargetGroup"] == 1 and calls["calls"]["CreateTargetGroup"] == 1


async def test_change_weights_is_one_call(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "checkout")
    objs = example_objects("checkout-ab")
    await converge(sync, translate_objects(objs))
    objs = edited(objs)
    backends = find(objs, "HTTPRoute", "checkoutroute")["spec"]["rules"][0]["backendRefs"]
    backends[0]["weight"], backends[1]["weight"] = 10, 90
    await ctl.reset_calls()
    await _apply(sync, objs, route("checkout", "checkoutroute"))
    calls = await ctl.calls()
    # the route's one rule matches everything: its listener was created with it as the default action
    assert calls["calls"] == {"UpdateListener": 1}, calls["calls"]
    st = State(await ctl.partition())
    (svc,) = st.services
    (lname,) = st.listeners_of(svc)
    assert sorted(st.forward(st.catch_all(svc, lname)).values()) == [10, 90]


async def test_add_and_remove_rules(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    objs = edited(objs)
    rules = find(objs, "HTTPRoute", "rates")["spec"]["rules"]
    rules.insert(0, {"matches": [{"path": {"type": "PathPrefix", "value": "/parking/valet"}}],
                     "backendRefs": [{"name": "parking", "kind": "Service", "port": 80}]})
    await ctl.reset_calls()
    await _apply(sync, objs)
    calls = await ctl.calls()
    st = State(await ctl.partition())
    rules_now = st.rules_of("rates-default", "rates-default-80-http")
    paths = {r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"]: r["priority"] for r in rules_now.values()}
    assert paths == {"/parking/valet": 1, "/parking": 2, "/review": 3}  # longest prefix first
    assert calls["calls"].get("CreateRule") == 1 and calls["calls"].get("DeleteRule", 0) == 0
    assert calls["calls"].get("BatchUpdateRule") == 1  # the reorder of the two existing rules
    # remove /review (and its backend): the rule and the TG go, nothing else
    objs = edited(objs)
    rules = find(objs, "HTTPRoute", "rates")["spec"]["rules"]
    del rules[2]
    await ctl.reset_calls()
    await _apply(sync, objs)
    calls = await ctl.calls()
    st = State(await ctl.partition())
    paths = {r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"] for r in
             st.rules_of("rates-default", "rates-default-80-http").values()}
    assert paths == {"/parking/valet", "/parking"}
    assert "k8s-default-review-rates-fb62455f08" not in st.tgs
    assert calls["calls"].get("DeleteRule") == 1 and calls["calls"].get("DeleteTargetGroup") == 1
    assert calls["calls"].get("CreateRule", 0) == 0


async def test_scale_endpoints_registers_only_the_difference(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    objs = edited(objs)
    eps = find(objs, "EndpointSlice", "parking-abc12")["endpoints"]
    eps.pop(0)  # 10.0.1.10 goes away
    eps.append({"addresses": ["10.0.1.12"], "conditions": {"ready": True, "serving": True, "terminating": False}})
    eps.append({"addresses": ["10.0.1.13"], "conditions": {"ready": True, "serving": True, "terminating": False}})
    t = translate_objects(objs)
    tg = next(x for x in t.target_groups_of(RATES) if x.name.startswith("k8s-default-parking"))
    await ctl.reset_calls()
    res = await sync.sync_targets(tg)
    calls = await ctl.calls()
    assert calls["calls"] == {"DeregisterTargets": 1, "RegisterTargets": 1}, calls["calls"]
    assert res.converged and res.writes == 2
    st = State(await ctl.partition())
    assert st.targets(tg.name) == {(x.id, x.port) for x in tg.targets}
    # nothing changed: no call at all, from either path
    await ctl.reset_calls()
    assert (await sync.sync_targets(tg)).calls == {}
    await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert (await ctl.calls())["total"] == 0
    # a full reconcile after more churn also only registers/deregisters
    eps.pop(0)
    t = translate_objects(objs)
    await ctl.reset_calls()
    await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert (await ctl.calls())["calls"] == {"DeregisterTargets": 1}


async def test_drift_resync_restores_a_deleted_rule(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    st = State(await ctl.partition())
    rule = next(iter(st.rules_of("rates-default", "rates-default-80-http").values()))
    lst = st.listeners_of("rates-default")["rates-default-80-http"]
    await sync.client.call("DeleteRule", serviceIdentifier=st.services["rates-default"]["id"],
                           listenerIdentifier=lst["id"], ruleIdentifier=rule["id"])
    t = translate_objects(objs)
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert res.writes == 0  # trusts the inventory
    await ctl.reset_calls()
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES), refresh=True)
    calls = await ctl.calls()
    # a fresh process would get the deleted rule back for the old clientToken once and retry salted
    assert res.converged and calls["calls"].get("CreateRule") == 1
    assert writes(calls) == 1
    assert len(State(await ctl.partition()).rules_of("rates-default", "rates-default-80-http")) == 2


async def test_service_rename_replaces_the_service_and_keeps_target_groups(make_sync, ctl):
    """A new service name (override annotation) deletes the old service first: Lattice lets a target
    group serve one service, so the new listeners/rules can only use the TGs once it is gone."""
    sync, objs = await _hotel(make_sync, ctl)
    before = State(await ctl.partition())
    objs = edited(objs)
    find(objs, "HTTPRoute", "rates")["metadata"].setdefault("annotations", {})[
        "application-networking.k8s.aws/service-name-override"] = "rates-renamed"
    t = translate_objects(objs)
    assert t.services_of(RATES)[0].name == "rates-renamed"
    await converge(sync, _only(t, RATES), max_passes=20)
    after = State(await ctl.partition())
    assert "rates-default" not in after.services and "rates-renamed" in after.services
    assert {n: tg["id"] for n, tg in after.tgs.items()} == {n: tg["id"] for n, tg in before.tgs.items()}
    (lst,) = t.services_of(RATES)[0].listeners
    assert len(after.rules_of("rates-renamed", lst.name)) == 2


async def test_changes_behind_our_back_are_relearned_after_one_failed_write(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    st = State(await ctl.partition())
    lst = st.listeners_of("rates-default")["rates-default-80-http"]
    await sync.client.call("DeleteListener", serviceIdentifier=st.services["rates-default"]["id"],
                           listenerIdentifier=lst["id"])
    objs = edited(objs)
    find(objs, "HTTPRoute", "rates")["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/parking-lot"
    t = translate_objects(objs)
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert res.errors  # the rule update hit a listener that is gone
    results = await converge(sync, _only(t, RATES))
    assert results[-1].converged
    after = State(await ctl.partition())
    paths = {r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"]
             for r in after.rules_of("rates-default", "rates-default-80-http").values()}
    assert paths == {"/parking-lot", "/review"}


async def test_service_deleted_behind_our_back_is_recreated_after_restart_or_refresh(make_sync, ctl):
    sync, objs = await _hotel(make_sync, ctl)
    st = State(await ctl.partition())
    sid = st.services["rates-default"]["id"]
    for a in st.snsas:
        if a["serviceId"] == sid:
            await sync.client.call("DeleteServiceNetworkServiceAssociation",
                                   serviceNetworkServiceAssociationIdentifier=a["id"])
    await sync.client.call("DeleteService", serviceIdentifier=sid)
    t = translate_objects(objs)
    await converge(sync, _only(t, RATES), refresh=True)
    after = State(await ctl.partition())
    assert after.services["rates-default"]["id"] != sid
    assert len(after.rules_of("rates-default", "rates-default-80-http")) == 2
