"""Changes to converged routes, end to end: what Lattice looks like after each, and what it cost.

Each test converges a seed example, changes one thing through the API server (server-side
apply, as `kubectl apply` would), waits for the route's status to report the new generation and
for the emulator to show the new shape, then checks that nothing else moved (resource IDs kept,
no extra calls, nothing leaked).
"""

from __future__ import annotations

import pytest

from tests.integration.e2e.helpers import (
    by_name,
    conditions,
    duplicates,
    edited,
    find,
    idle,
    inventory,
    routing,
    status_current,
    targets_of,
    tg_ids,
    tgs_of_backend,
    writes,
)

pytestmark = pytest.mark.integration


async def converge(env, *examples: str) -> list[dict]:
    objs: list[dict] = []
    for name in examples:
        objs += await env.apply_example(name)
    await env.wait_until(env.converged, f"{', '.join(examples)} converge", timeout=90)
    await idle(env)
    return objs


async def reapply(env, obj: dict) -> None:
    await env.kube.apply(obj, field_manager="itest")


async def settled(env, route: dict, check) -> None:
    """Wait until the route's status is current and `check(state)` holds, then until idle."""

    async def ok():
        if not status_current(await env.get(route)):
            return False
        return check(await env.state())

    await env.wait_until(ok, f"{route['metadata']['name']} settles", timeout=60)
    await idle(env)


# ---------------------------------------------------------------------------------------------


async def test_change_a_backend(controller_env):
    """rates /review → inventory-ver1: the review TG goes, a new TG comes, the parking TG stays."""
    env = controller_env
    objs = await converge(env, "my-hotel")
    ns = env.ns("default")
    svc = f"rates-{ns}"
    before = await env.state()
    ids_before = tg_ids(before)
    (parking_tg,) = [t["name"] for t in tgs_of_backend(before, f"{ns}/parking")]
    (review_tg,) = [t["name"] for t in tgs_of_backend(before, f"{ns}/review")]
    inventory_tgs_before = {t["name"] for t in tgs_of_backend(before, f"{ns}/inventory-ver1")}
    svc_id = by_name(before["services"])[svc]["id"]
    rule_ids = {r["id"] for r in before["rules"] if r["serviceId"] == svc_id}

    rates = find(objs, "HTTPRoute", "rates")
    spec = edited(rates)["spec"]
    spec["rules"][1]["backendRefs"][0]["name"] = "inventory-ver1"
    await reapply(env, edited(rates, spec=spec))

    def switched(state):
        return routing(state, svc).get("/review") == {f"{ns}/inventory-ver1": 1} and review_tg not in tg_ids(state)

    await settled(env, rates, switched)
    after = await env.state()
    ids_after = tg_ids(after)
    assert routing(after, svc) == {"*": {"fixed": 404}, "/parking": {f"{ns}/parking": 1},
                                   "/review": {f"{ns}/inventory-ver1": 1}}
    # The old TG is gone, the untouched one is the very same resource, and exactly one new TG
    # (the rates route's own TG for inventory-ver1) exists next to the inventory route's TG.
    assert review_tg not in ids_after
    assert ids_after[parking_tg] == ids_before[parking_tg]
    new = set(ids_after) - set(ids_before)
    assert len(new) == 1, new
    (new_tg,) = new
    assert {t["name"] for t in tgs_of_backend(after, f"{ns}/inventory-ver1")} == inventory_tgs_before | {new_tg}
    assert targets_of(after, new_tg) == {("10.0.1.30", 8090), ("10.0.1.31", 8090)}
    # The service, its listener and its rules were updated in place, not recreated.
    assert by_name(after["services"])[svc]["id"] == svc_id
    assert {r["id"] for r in after["rules"] if r["serviceId"] == svc_id} == rule_ids
    assert duplicates(after) == {}
    assert conditions(await env.get(rates))["Accepted"] == ("True", "Accepted")


async def test_change_weights(controller_env):
    """75/25 → 10/90: one update (of the listener's default action: the route's one rule matches
    everything, lattice.plan.folded), no target group or service created or deleted."""
    env = controller_env
    objs = await converge(env, "checkout-ab")
    svc = f"checkoutroute-{env.ns('checkout')}"
    v1, v2 = f"{env.ns('checkout')}/checkout", f"{env.ns('checkoutv2')}/checkout"
    before = await env.state()
    assert routing(before, svc)["/"] == {v2: 75, v1: 25}
    await env.reset_calls()

    route = find(objs, "HTTPRoute", "checkoutroute")
    spec = edited(route)["spec"]
    spec["rules"][0]["backendRefs"][0]["weight"] = 10
    spec["rules"][0]["backendRefs"][1]["weight"] = 90
    await reapply(env, edited(route, spec=spec))
    await settled(env, route, lambda s: routing(s, svc)["/"] == {v2: 10, v1: 90})

    after = await env.state()
    assert inventory(after) == inventory(before)  # every resource kept, none added
    assert writes(await env.calls()) == {"UpdateListener": 1}


async def test_add_and_remove_rules(controller_env):
    """Add /pay → parking (one CreateRule), then drop /review (its rule and its TG go)."""
    env = controller_env
    objs = await converge(env, "my-hotel")
    ns = env.ns("default")
    svc = f"rates-{ns}"
    rates = find(objs, "HTTPRoute", "rates")
    before = await env.state()
    ids_before = tg_ids(before)
    (review_tg,) = [t["name"] for t in tgs_of_backend(before, f"{ns}/review")]

    # Add a rule (third, so it gets the lowest precedence and existing priorities stay).
    spec = edited(rates)["spec"]
    spec["rules"].append({"backendRefs": [{"name": "parking", "kind": "Service", "port": 80}],
                          "matches": [{"path": {"type": "PathPrefix", "value": "/pay"}}]})
    await env.reset_calls()
    await reapply(env, edited(rates, spec=spec))
    await settled(env, rates, lambda s: "/pay" in routing(s, svc))
    added = await env.state()
    assert routing(added, svc) == {"*": {"fixed": 404}, "/parking": {f"{ns}/parking": 1},
                                   "/review": {f"{ns}/review": 1}, "/pay": {f"{ns}/parking": 1}}
    assert tg_ids(added) == ids_before  # the same parking TG serves both rules
    calls = writes(await env.calls())
    assert calls.get("CreateRule") == 1 and not any(op.startswith("Delete") for op in calls), calls

    # Remove the /review rule: its rule is deleted, and its TG with it (nothing else uses it).
    del spec["rules"][1]
    await env.reset_calls()
    await reapply(env, edited(rates, spec=spec))
    await settled(env, rates, lambda s: "/review" not in routing(s, svc) and review_tg not in tg_ids(s))
    removed = await env.state()
    assert routing(removed, svc) == {"*": {"fixed": 404}, "/parking": {f"{ns}/parking": 1},
                                     "/pay": {f"{ns}/parking": 1}}
    assert tg_ids(removed) == {k: v for k, v in ids_before.items() if k != review_tg}
    calls = writes(await env.calls())
    assert calls.get("DeleteRule") == 1 and calls.get("DeleteTargetGroup") == 1, calls
    assert not any(op.startswith("Create") for op in calls), calls
    assert duplicates(removed) == {}


async def test_scale_endpoints_registers_only_the_difference(controller_env):
    """An EndpointSlice edit costs RegisterTargets/DeregisterTargets and nothing else."""
    env = controller_env
    objs = await converge(env, "my-hotel")
    ns = env.ns("default")
    before = await env.state()
    (parking_tg,) = [t["name"] for t in tgs_of_backend(before, f"{ns}/parking")]
    assert targets_of(before, parking_tg) == {("10.0.1.10", 8090), ("10.0.1.11", 8090)}
    routes_before = {o["metadata"]["name"]: (await env.get(o))["metadata"]["resourceVersion"]
                     for o in objs if o["kind"] == "HTTPRoute"}
    await env.reset_calls()

    # Scale 2 → 3 pods, one of the old ones replaced: +10.0.1.12, +10.0.1.13, -10.0.1.10.
    eps = find(objs, "EndpointSlice", "parking-abc12")
    ready = {"ready": True, "serving": True, "terminating": False}
    await reapply(env, edited(eps, endpoints=[{"addresses": [ip], "conditions": ready}
                                              for ip in ("10.0.1.11", "10.0.1.12", "10.0.1.13")]))
    want = {("10.0.1.11", 8090), ("10.0.1.12", 8090), ("10.0.1.13", 8090)}
    await env.wait_until(lambda: _targets_are(env, parking_tg, want), "parking targets follow the slice")
    await idle(env)

    calls = await env.calls()
    assert calls == {"RegisterTargets": 1, "DeregisterTargets": 1}, calls
    after = await env.state()
    assert inventory(after) == inventory(before)
    for tg in after["targetGroups"]:  # the other target groups were not touched
        if tg["name"] != parking_tg:
            assert targets_of(after, tg["name"]) == targets_of(before, tg["name"])
    # the deregistered target drains (or is gone), it is not registered any more
    drained = {(t["id"], t["port"]) for t in by_name(after["targetGroups"])[parking_tg]["targets"]
               if t["status"] == "DRAINING"}
    assert drained <= {("10.0.1.10", 8090)}
    # and no route was rewritten for it
    for o in objs:
        if o["kind"] == "HTTPRoute":
            assert (await env.get(o))["metadata"]["resourceVersion"] == routes_before[o["metadata"]["name"]]

    # Scale to zero ready endpoints: everything deregistered, still only target calls.
    await env.reset_calls()
    await reapply(env, edited(eps, endpoints=[{"addresses": ["10.0.1.11"], "conditions":
                                               {"ready": False, "serving": False, "terminating": True}}]))
    await env.wait_until(lambda: _targets_are(env, parking_tg, set()), "parking scaled to zero")
    await idle(env)
    assert await env.calls() == {"DeregisterTargets": 1}


async def _targets_are(env, tg_name: str, want: set) -> bool:
    return targets_of(await env.state(), tg_name) == want


async def test_revoke_and_restore_reference_grant(controller_env):
    env = controller_env
    objs = await converge(env, "checkout-ab")
    svc = f"checkoutroute-{env.ns('checkout')}"
    v1, v2 = f"{env.ns('checkout')}/checkout", f"{env.ns('checkoutv2')}/checkout"
    route = find(objs, "HTTPRoute", "checkoutroute")
    grant = find(objs, "ReferenceGrant", "allow-checkout-routes")
    before = await env.state()
    (v1_tg,) = [t["name"] for t in tgs_of_backend(before, v1)]
    (v2_tg,) = [t["name"] for t in tgs_of_backend(before, v2)]

    await env.delete(grant)

    async def refused():
        live = await env.get(route)
        return conditions(live).get("ResolvedRefs") == ("False", "RefNotPermitted") and status_current(live)

    await env.wait_until(refused, "ResolvedRefs=False/RefNotPermitted")

    def v2_gone(state):
        return routing(state, svc)["/"] == {v1: 25} and not tgs_of_backend(state, v2)

    await settled(env, route, v2_gone)
    revoked = await env.state()
    # No traffic to the other namespace, its TG collected; v1 untouched.
    assert routing(revoked, svc) == {"*": {"fixed": 404}, "/": {v1: 25}}
    assert tg_ids(revoked) == {v1_tg: tg_ids(before)[v1_tg]}
    assert conditions(await env.get(route))["Accepted"][0] == "True"

    # Restore the grant: the backend comes back with its weight (and its health check policy).
    await reapply(env, grant)
    await settled(env, route, lambda s: routing(s, svc)["/"] == {v2: 75, v1: 25})
    await env.wait_until(env.converged, "checkout-ab converges again")
    restored = await env.state()
    (v2_tg_again,) = tgs_of_backend(restored, v2)
    assert v2_tg_again["name"] == v2_tg  # same deterministic name, a new resource
    assert v2_tg_again["config"]["healthCheck"]["path"] == "/health"
    assert targets_of(restored, v2_tg) == {("10.0.3.10", 8080), ("10.0.3.11", 8080)}
    assert duplicates(restored) == {}


async def test_delete_everything_leaves_lattice_as_it_was(controller_env):
    env = controller_env
    # What existed before: the service networks the walkthroughs create by hand, and an unrelated
    # service and target group of someone else's.
    objs = env.example("my-hotel") + env.example("checkout-ab")
    await env.create_service_networks(objs)
    async with env.aws() as aws:
        await aws.create_service(name=f"bystander-{env.prefix}")
        await aws.create_target_group(name=f"bystander-{env.prefix}", type="IP", config={
            "port": 80, "protocol": "HTTP", "vpcIdentifier": "vpc-0123456789abcdef0"})
    pristine = await env.state()

    await env.apply(objs)
    await env.wait_until(env.converged, "both examples converge", timeout=90)
    await env.quiesce()
    full = await env.state()
    assert len(full["services"]) == len(pristine["services"]) + 3
    assert len(full["targetGroups"]) == len(pristine["targetGroups"]) + 5

    live = {id(o): await env.get(o) for o in objs if o["kind"] == "HTTPRoute"}
    assert all("httproute.k8s.aws/resources" in r["metadata"]["finalizers"] for r in live.values())
    await env.delete_all()  # routes first, then the rest; waits until every object is gone

    async def back_to_pristine():
        return inventory(await env.state()) == inventory(pristine)

    await env.wait_until(back_to_pristine, "Lattice is back to what existed before")
    after = await env.state()
    assert after["listeners"] == [] and after["rules"] == []
    assert after["serviceNetworkServiceAssociations"] == []
    # the resources that were there before are untouched, down to their tags
    assert _comparable(after) == _comparable(pristine)
    for o in objs:
        if o["kind"] not in ("GatewayClass", "Namespace"):
            assert await env.get(o) is None, o["metadata"]


def _comparable(state: dict) -> dict:
    drop = {"lastUpdatedAt"}
    return {section: [{k: v for k, v in i.items() if k not in drop} for i in state[section]]
            for section in ("serviceNetworks", "services", "targetGroups")}


async def test_backend_service_deleted_and_recreated(controller_env):
    """A backend Service goes away: its rule answers 500, its TG is collected; it comes back: all restored."""
    env = controller_env
    objs = await converge(env, "my-hotel")
    ns = env.ns("default")
    svc = f"rates-{ns}"
    rates = find(objs, "HTTPRoute", "rates")
    review, review_eps = find(objs, "Service", "review"), find(objs, "EndpointSlice", "review-abc12")
    before = await env.state()
    (review_tg,) = [t["name"] for t in tgs_of_backend(before, f"{ns}/review")]
    others = {k: v for k, v in tg_ids(before).items() if k != review_tg}

    await env.delete(review)
    await env.delete(review_eps)

    async def unresolved():
        return conditions(await env.get(rates)).get("ResolvedRefs") == ("False", "BackendNotFound")

    await env.wait_until(unresolved, "ResolvedRefs=False/BackendNotFound")
    await settled(env, rates, lambda s: routing(s, svc).get("/review") == {"fixed": 500}
                  and review_tg not in tg_ids(s))
    gone = await env.state()
    assert routing(gone, svc)["/parking"] == {f"{ns}/parking": 1}
    assert tg_ids(gone) == others

    await reapply(env, review)
    await reapply(env, review_eps)
    await settled(env, rates, lambda s: routing(s, svc).get("/review") == {f"{ns}/review": 1})
    await env.wait_until(env.converged, "my-hotel converges again")
    back = await env.state()
    assert targets_of(back, review_tg) == {("10.0.1.20", 8090), ("10.0.1.21", 8090)}
    assert {k: v for k, v in tg_ids(back).items() if k != review_tg} == others
    assert duplicates(back) == {}
