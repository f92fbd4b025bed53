"""The seed walkthroughs, end to end: real API server, real controller, emulated Lattice."""

from __future__ import annotations

import pytest

from tests.integration.e2e.helpers import idle

pytestmark = pytest.mark.integration

WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Tag", "Untag", "Batch")


def by_name(items):
    return {i["name"]: i for i in items}


def rules_of(state, service_name):
    svc = by_name(state["services"])[service_name]
    listener_ids = {lst["id"] for lst in state["listeners"] if lst["serviceId"] == svc["id"]}
    return [r for r in state["rules"] if r["listenerId"] in listener_ids]


async def test_my_hotel_converges(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    state = await env.state()
    ns = env.ns("default")

    services = by_name(state["services"])
    assert set(services) == {f"rates-{ns}", f"inventory-{ns}"}
    # Both services are associated with the Gateway's service network.
    sn = by_name(state["serviceNetworks"])["my-hotel"]
    assocs = {a["serviceName"] for a in state["serviceNetworkServiceAssociations"] if a["serviceNetworkId"] == sn["id"]}
    assert assocs == set(services)

    rates_rules = [r for r in rules_of(state, f"rates-{ns}") if not r.get("isDefault")]
    paths = sorted(r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"] for r in rates_rules)
    assert paths == ["/parking", "/review"]
    tgs = {t["id"]: t for t in state["targetGroups"]}
    for rule in rates_rules:
        (fwd,) = rule["action"]["forward"]["targetGroups"]
        tg = tgs[fwd["targetGroupIdentifier"]]
        assert fwd["weight"] == 1
        assert len(tg["targets"]) >= 1 and all(t["port"] for t in tg["targets"])
        assert tg["config"]["healthCheck"]["enabled"] in (True, False)

    # Routes carry the DNS name and ARN of their service.
    for route in (o for o in objs if o["kind"] == "HTTPRoute"):
        live = await env.get(route)
        ann = live["metadata"]["annotations"]
        svc = services[f"{route['metadata']['name']}-{ns}"]
        assert ann["application-networking.k8s.aws/lattice-service-arn"] == svc["arn"]
        assert ann["application-networking.k8s.aws/lattice-assigned-domain-name"] == svc["dnsEntry"]["domainName"]
        assert "httproute.k8s.aws/resources" in live["metadata"]["finalizers"]


async def test_checkout_ab_weights_and_health_check(controller_env):
    env = controller_env
    await env.apply_example("checkout-ab")
    await env.wait_until(env.converged, "checkout-ab converges")
    state = await env.state()
    rules = rules_of(state, f"checkoutroute-{env.ns('checkout')}")
    # its one rule matches everything: the new listener's default action (lattice.plan.folded)
    assert [r for r in rules if not r.get("isDefault")] == []
    (rule,) = rules
    tgs = {t["id"]: t for t in state["targetGroups"]}
    weights = {}
    for fwd in rule["action"]["forward"]["targetGroups"]:
        tg = tgs[fwd["targetGroupIdentifier"]]
        weights[tg["tags"]["application-networking.k8s.aws/ServiceNamespace"]] = fwd["weight"]
        hc = tg["config"]["healthCheck"]
        assert hc["enabled"] is True and hc["protocol"] == "HTTP"
    assert weights == {env.ns("checkoutv2"): 75, env.ns("checkout"): 25}


async def test_converged_reconcile_costs_nothing(controller_env):
    """A no-op reconcile of a converged route: no AWS call, no API write."""
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    # Routes are Accepted while Lattice still creates their associations; the pass that finds
    # them active is the last to write (the progress record), so wait for it too.
    await idle(env)
    creating = await env.calls()
    await env.reset_calls()
    route_keys = [f"HTTPRoute/{o['metadata']['namespace']}/{o['metadata']['name']}" for o in objs if o["kind"] == "HTTPRoute"]
    before = {k: (await env.get(o))["metadata"]["resourceVersion"]
              for k, o in zip(route_keys, [o for o in objs if o["kind"] == "HTTPRoute"])}
    processed = env.manager.workers.processed
    for key in route_keys:
        env.manager.queue.add(key)
    await env.wait_until(lambda: env.manager.workers.processed >= processed + len(route_keys),
                         "the forced reconciles ran")
    await env.quiesce()
    calls = await env.calls()
    writes = {op: n for op, n in calls.items() if op.startswith(WRITE_PREFIXES)}
    assert writes == {}, writes
    assert calls == {}, calls  # the progress record: nothing changed, nothing to plan
    after = {k: (await env.get(o))["metadata"]["resourceVersion"]
             for k, o in zip(route_keys, [o for o in objs if o["kind"] == "HTTPRoute"])}
    assert after == before  # no status, annotation or finalizer write either
    print(f"\nmy-hotel: AWS calls to create = {sum(creating.values())} {creating}; no-op = {sum(calls.values())}")
