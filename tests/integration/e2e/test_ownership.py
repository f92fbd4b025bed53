"""Lattice resources we do not own are never modified or deleted; the takeover annotation adopts them.

Someone else's resources are created straight in the emulator (aioboto3, as another controller or a
person with the AWS CLI would) under exactly the names latticegw would use, computed by translate
from the same manifests. Their full state (every field, tags, listeners, rules, targets) is compared
before and after.
"""

from __future__ import annotations

import copy

import pytest

from controller.config import load, translate_config
from tests.harness.controller import ENV
from tests.integration.e2e.helpers import MANAGED_BY, by_name, conditions, duplicates, find, status_current
from translate import Snapshot, translate

pytestmark = pytest.mark.integration

TAKEOVER = "application-networking.k8s.aws/allow-takeover-from"
OPERATOR_ALLOWS = "latticegw.io/allow-takeover-from"  # on the Gateway
THEIRS = "210987654321/other-cluster/vpc-0fedcba9876543210"
VPC = ENV["CLUSTER_VPC_ID"]


def desired_names(objs: list[dict]) -> dict:
    """The names translate gives the route's Lattice resources (the controller uses the same)."""
    model = translate(Snapshot.of(objs), translate_config(load({}, ENV))).to_dict()
    out: dict = {"services": {}, "tgs": {}}
    for svc in model["services"]:
        out["services"][svc["source"]["name"]] = svc
    for tg in model["targetGroups"]:
        out["tgs"][(tg["source"]["name"], tg["tags"][
            "application-networking.k8s.aws/ServiceName"])] = tg["name"]
    return out


async def create_foreign_service(aws, name: str, listener: str, tags: dict | None) -> str:
    """A service with a listener (the name we would use) and a rule of its own."""
    extra = {"tags": tags} if tags is not None else {}
    svc = await aws.create_service(name=name, **extra)
    lst = await aws.create_listener(serviceIdentifier=svc["id"], name=listener, port=80, protocol="HTTP",
                                    defaultAction={"fixedResponse": {"statusCode": 404}}, **extra)
    await aws.create_rule(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"], name="theirs",
                          priority=7, match={"httpMatch": {"pathMatch": {"match": {"prefix": "/theirs"}}}},
                          action={"fixedResponse": {"statusCode": 404}}, **extra)
    return svc["id"]


async def create_foreign_tg(aws, name: str, tags: dict | None) -> str:
    extra = {"tags": tags} if tags is not None else {}
    tg = await aws.create_target_group(name=name, type="IP", config={
        "port": 8090, "protocol": "HTTP", "vpcIdentifier": VPC}, **extra)
    await aws.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "192.168.9.9", "port": 8090}])
    return tg["id"]


def snapshot_of(state: dict, svc_ids: set[str], tg_ids: set[str]) -> dict:
    """Everything the dump says about these services (with listeners and rules) and TGs."""
    return copy.deepcopy({
        "services": [s for s in state["services"] if s["id"] in svc_ids],
        "listeners": [lst for lst in state["listeners"] if lst["serviceId"] in svc_ids],
        "rules": [r for r in state["rules"] if r["serviceId"] in svc_ids],
        "targetGroups": [t for t in state["targetGroups"] if t["id"] in tg_ids],
        "associations": [a for a in state["serviceNetworkServiceAssociations"] if a["serviceId"] in svc_ids],
    })


async def warning_events(env, obj: dict, reason: str) -> list[dict]:
    ns = obj["metadata"]["namespace"]
    status, body = await env.kube.request("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events")
    assert status == 200, body
    return [e for e in body["items"] if e["regarding"]["name"] == obj["metadata"]["name"]
            and e["regarding"]["kind"] == obj["kind"] and e["type"] == "Warning" and e["reason"] == reason]


async def conflicted(env, route: dict) -> bool:
    live = await env.get(route)
    return status_current(live) and conditions(live).get("Accepted") == ("False", "Conflicted")


async def test_foreign_resources_are_never_touched_and_reported(controller_env):
    env = controller_env
    objs = env.example("my-hotel")
    names = desired_names(objs)
    inv = names["services"]["inventory"]
    review_tg = names["tgs"][("rates", "review")]
    await env.create_service_networks(objs)
    async with env.aws() as aws:
        # inventory's service belongs to another cluster; rates' review TG to nobody (untagged).
        svc_id = await create_foreign_service(aws, inv["name"], inv["listeners"][0]["name"], {MANAGED_BY: THEIRS})
        tg_id = await create_foreign_tg(aws, review_tg, None)
    theirs_before = snapshot_of(await env.state(), {svc_id}, {tg_id})

    await env.apply(objs)
    inventory, rates = find(objs, "HTTPRoute", "inventory"), find(objs, "HTTPRoute", "rates")
    await env.wait_until(lambda: conflicted(env, inventory), "inventory reports Accepted=False/Conflicted")
    await env.wait_until(lambda: conflicted(env, rates), "rates reports Accepted=False/Conflicted")
    await env.wait_until(lambda: warning_events(env, inventory, "Conflicted"), "a Conflicted Warning on inventory")
    await env.wait_until(lambda: warning_events(env, rates, "Conflicted"), "a Conflicted Warning on rates")
    await env.quiesce()

    state = await env.state()
    assert snapshot_of(state, {svc_id}, {tg_id}) == theirs_before
    message = [c for c in (await env.get(inventory))["status"]["parents"][0]["conditions"]
               if c["type"] == "Accepted"][0]["message"]
    assert inv["name"] in message and THEIRS in message
    # No second resource of those names, no TG made for the route that cannot be programmed, no
    # DNS annotation claiming someone else's service.
    assert duplicates(state) == {}
    assert not [t for t in state["targetGroups"] if t["tags"].get("application-networking.k8s.aws/RouteName")
                == "inventory"]
    annotations = (await env.get(inventory))["metadata"].get("annotations") or {}
    assert "application-networking.k8s.aws/lattice-assigned-domain-name" not in annotations

    # Deleting the routes must not delete what is not ours either.
    for route in (inventory, rates):
        await env.delete(route)
    await env.wait_until(lambda: _gone(env, inventory, rates), "routes finalized")
    await env.quiesce()
    assert snapshot_of(await env.state(), {svc_id}, {tg_id}) == theirs_before


async def _gone(env, *objs) -> bool:
    for o in objs:
        if await env.get(o) is not None:
            return False
    return True


async def test_takeover_annotation_adopts_the_service(controller_env):
    env = controller_env
    objs = env.example("my-hotel")
    names = desired_names(objs)
    inv = names["services"]["inventory"]
    listener = inv["listeners"][0]["name"]
    await env.create_service_networks(objs)
    async with env.aws() as aws:
        svc_id = await create_foreign_service(aws, inv["name"], listener, {MANAGED_BY: THEIRS, "team": "blue"})
        # their target group under the name of inventory's TG (with a target of theirs): adopted too
        their_tg_id = await create_foreign_tg(aws, names["tgs"][("inventory", "inventory-ver1")], {MANAGED_BY: THEIRS})
        # and one owned by a third party that the annotation does not name: still off limits
        bystander_tg = names["tgs"][("rates", "review")]
        tg_id = await create_foreign_tg(aws, bystander_tg, {MANAGED_BY: "111111111111/third/vpc-1"})
    state0 = await env.state()
    listener_id = next(lst["id"] for lst in state0["listeners"] if lst["serviceId"] == svc_id)
    bystander_before = snapshot_of(state0, set(), {tg_id})

    inventory = find(objs, "HTTPRoute", "inventory")
    inventory["metadata"].setdefault("annotations", {})[TAKEOVER] = THEIRS
    # the cluster operator allows taking over from THEIRS on this Gateway
    find(objs, "Gateway", "my-hotel")["metadata"].setdefault("annotations", {})[OPERATOR_ALLOWS] = THEIRS
    await env.apply(objs)

    async def adopted():
        live = await env.get(inventory)
        return status_current(live) and conditions(live).get("Accepted") == ("True", "Accepted") and (
            live["metadata"].get("annotations") or {}).get(
            "application-networking.k8s.aws/lattice-assigned-domain-name")

    await env.wait_until(adopted, "inventory adopts the service")
    await env.quiesce()
    state = await env.state()
    svc = by_name(state["services"])[inv["name"]]
    assert svc["id"] == svc_id  # adopted in place, not recreated
    assert svc["tags"][MANAGED_BY] == ENV["AWS_ACCOUNT_ID"] + "/" + ENV["CLUSTER_NAME"] + "/" + VPC
    assert svc["tags"]["application-networking.k8s.aws/RouteName"] == "inventory"
    (lst,) = [lst for lst in state["listeners"] if lst["serviceId"] == svc_id]
    assert lst["id"] == listener_id and lst["name"] == listener
    rules = [r for r in state["rules"] if r["serviceId"] == svc_id and not r.get("isDefault")]
    assert [r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"] for r in rules] == ["/"]
    tgs = {t["id"]: t for t in state["targetGroups"]}
    (fwd,) = rules[0]["action"]["forward"]["targetGroups"]
    assert fwd["targetGroupIdentifier"] == their_tg_id  # adopted in place, not recreated
    adopted_tg = tgs[their_tg_id]
    assert adopted_tg["tags"]["application-networking.k8s.aws/ServiceName"] == "inventory-ver1"
    assert adopted_tg["tags"][MANAGED_BY] == svc["tags"][MANAGED_BY]
    assert {(t["id"], t["port"]) for t in adopted_tg["targets"] if t["status"] != "DRAINING"} == {
        ("10.0.1.30", 8090), ("10.0.1.31", 8090)}
    assert [a for a in state["serviceNetworkServiceAssociations"] if a["serviceId"] == svc_id]
    assert live_arn(await env.get(inventory)) == svc["arn"]

    # The annotation names only THEIRS: the third party's TG is still untouched and rates still
    # reports the conflict.
    await env.wait_until(lambda: conflicted(env, find(objs, "HTTPRoute", "rates")), "rates still Conflicted")
    assert snapshot_of(await env.state(), set(), {tg_id}) == bystander_before
    assert duplicates(state) == {}


async def test_a_route_author_alone_cannot_take_over_another_clusters_service(controller_env):
    """Anyone who can create a route could otherwise take over another cluster's Lattice service by
    naming it (service-name-override) and its owner (allow-takeover-from). Without the operator's
    opt-in on the Gateway nothing is taken over: Conflicted, their service untouched."""
    env = controller_env
    objs = env.example("my-hotel")
    await env.create_service_networks(objs)
    async with env.aws() as aws:
        svc_id = await create_foreign_service(aws, "payments-prod", "payments-prod-80-http",
                                              {MANAGED_BY: THEIRS, "team": "payments"})
    theirs_before = snapshot_of(await env.state(), {svc_id}, set())

    intruder = find(objs, "HTTPRoute", "inventory")
    intruder["metadata"].setdefault("annotations", {}).update({
        TAKEOVER: THEIRS, "application-networking.k8s.aws/service-name-override": "payments-prod"})
    await env.apply(objs)
    await env.wait_until(lambda: conflicted(env, intruder), "the route reports Accepted=False/Conflicted")
    await env.wait_until(lambda: warning_events(env, intruder, "TakeoverNotAllowed"),
                         "a TakeoverNotAllowed Warning names what the operator must allow")
    await env.quiesce()
    assert snapshot_of(await env.state(), {svc_id}, set()) == theirs_before

    # The operator allows a different owner: still nothing.
    gateway = find(objs, "Gateway", "my-hotel")
    gateway["metadata"].setdefault("annotations", {})[OPERATOR_ALLOWS] = "111111111111/third/vpc-1"
    await env.apply([gateway])
    await env.quiesce()
    assert snapshot_of(await env.state(), {svc_id}, set()) == theirs_before
    assert await conflicted(env, intruder)


def live_arn(live: dict) -> str | None:
    return (live["metadata"].get("annotations") or {}).get("application-networking.k8s.aws/lattice-service-arn")


def _collision_objects(ns1: str, ns2: str) -> list[dict]:
    """Route "r-b" in ns1 and route "r" in ns2 = "b-" + ns1: both map to Lattice service "r-b-<ns1>"."""
    objs: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns1}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns2}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "my-hotel", "namespace": ns1},
         "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [
             {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}]}},
    ]
    for ns, route, ip in ((ns1, "r-b", "10.9.1.1"), (ns2, "r", "10.9.2.1")):
        objs += [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backend", "namespace": ns},
             "spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "backend-1", "namespace": ns, "labels": {"kubernetes.io/service-name": "backend"}},
             "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
             "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]},
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": route, "namespace": ns},
             "spec": {"parentRefs": [{"name": "my-hotel", "namespace": ns1, "sectionName": "http"}],
                      "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": f"/{route}"}}],
                                 "backendRefs": [{"name": "backend", "port": 80}]}]}},
        ]
    return objs


async def test_two_routes_with_the_same_lattice_name_do_not_share_it(controller_env):
    """Ours by ManagedBy is not enough: a service whose source tags name another route is a conflict."""
    env = controller_env
    ns1 = env.ns("a")
    ns2 = f"b-{ns1}"
    objs = _collision_objects(ns1, ns2)
    first = [o for o in objs if not (o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "r")]
    without_first = [o for o in objs if not (o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "r-b")]
    svc_name = desired_names(first)["services"]["r-b"]["name"]
    assert desired_names(without_first)["services"]["r"]["name"] == svc_name  # the premise
    await env.create_service_networks(objs)
    await env.apply(first)
    await env.wait_until(lambda: env.converged(first), "the first route converges")
    await env.quiesce()
    state = await env.state()
    svc_id = by_name(state["services"])[svc_name]["id"]
    tg_id_first = {t["id"] for t in state["targetGroups"]}
    before = snapshot_of(state, {svc_id}, tg_id_first)

    second = find(objs, "HTTPRoute", "r")
    await env.apply([second])
    await env.wait_until(lambda: conflicted(env, second), "the second route reports Accepted=False/Conflicted")
    await env.wait_until(lambda: warning_events(env, second, "Conflicted"), "a Conflicted Warning on the second")
    await env.quiesce()
    after = await env.state()
    assert snapshot_of(after, {svc_id}, tg_id_first) == before
    assert await env.converged([find(objs, "HTTPRoute", "r-b")])

    # Deleting the second route leaves the first one's service alone.
    await env.delete(second)
    await env.wait_until(lambda: _gone(env, second), "the second route is finalized")
    await env.quiesce()
    assert snapshot_of(await env.state(), {svc_id}, tg_id_first) == before
