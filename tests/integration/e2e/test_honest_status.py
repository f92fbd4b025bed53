"""Bad routes do not look healthy (issue 12, item 2), end to end: the real API server, the
controller and the Lattice emulator. Two routes with one hostname: only the oldest gets it in
Lattice, the other is Conflicted and told so; an ExternalName backend and EndpointSlices whose port
names miss the Service's give ResolvedRefs=False with a reason and a Warning Event."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.e2e.helpers import WRITE_PREFIXES, by_name, conditions, find, idle
from tests.integration.e2e.test_events import describe_events

pytestmark = pytest.mark.integration
ROUTE_NAME = "application-networking.k8s.aws/RouteName"
HOST = "shop.example.com"


def _route(name: str, ns: str, backend: str, hostnames: list[str] | None = None) -> dict:
    spec: dict = {"parentRefs": [{"name": "my-hotel", "namespace": ns}],
                  "rules": [{"backendRefs": [{"name": backend, "port": 80}]}]}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


async def _warnings(env, obj: dict, reason: str) -> list[dict]:
    return [r for r in await describe_events(env, obj) if r["type"] == "Warning" and r["reason"] == reason]


def _domain_holders(state: dict) -> list[str]:
    return sorted(s["name"] for s in state["services"] if s.get("customDomainName") == HOST)


async def test_the_oldest_route_keeps_a_hostname_and_the_later_one_is_conflicted(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
    # created first, although its name sorts last: creationTimestamp decides before the name
    older, younger = _route("shop-z", ns, "parking", [HOST]), _route("shop-a", ns, "review", [HOST])
    await env.apply([older])
    await env.wait_until(lambda: env.converged([older]), "the first route with the hostname converges")
    await asyncio.sleep(1.1)  # creationTimestamp has one-second resolution
    await env.apply([younger])

    async def conflicted():
        live = await env.get(younger)
        return live is not None and conditions(live).get("Accepted") == ("False", "Conflicted")

    await env.wait_until(conflicted, "the later route is Conflicted")
    await idle(env)
    state = await env.state()
    assert _domain_holders(state) == [f"shop-z-{ns}"], [(s["name"], s.get("customDomainName")) for s in state["services"]]
    assert f"shop-a-{ns}" not in {s["name"] for s in state["services"]}
    rows = await env.wait_until(lambda: _warnings(env, younger, "Conflicted"), "a Conflicted Warning on the loser")
    assert len(rows) == 1 and HOST in rows[0]["message"] and f"HTTPRoute/{ns}/shop-z" in rows[0]["message"], rows
    assert conditions(await env.get(older))["Accepted"] == ("True", "Accepted")
    assert await _warnings(env, older, "Conflicted") == []

    # When the holder goes, the hostname passes to the next route in line, without a nudge.
    await env.delete(older)

    async def taken_over():
        live = await env.get(younger)
        if live is None or conditions(live).get("Accepted") != ("True", "Accepted"):
            return False
        return _domain_holders(await env.state()) == [f"shop-a-{ns}"]

    await env.wait_until(taken_over, "the remaining route gets the hostname in Lattice", timeout=90)


async def test_routes_inheriting_a_listener_hostname_are_all_accepted_and_the_next_takes_it_over(controller_env):
    """Issue 10 (lead's decision): a hostname routes only inherit from their listener is not contested.
    Both routes are Accepted and programmed, the older one with the custom domain; when it goes, the
    younger gets it (its service replaced make-before-break, once: nothing moves afterwards)."""
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "shop", "namespace": ns},
          "spec": {"gatewayClassName": "amazon-vpc-lattice",
                   "listeners": [{"name": "http", "protocol": "HTTP", "port": 80, "hostname": HOST}]}}
    await env.create_service_networks([gw])
    older, younger = _route("shop-z", ns, "parking"), _route("shop-a", ns, "review")
    for r in (older, younger):
        r["spec"]["parentRefs"] = [{"name": "shop", "namespace": ns}]
    await env.apply([gw, older])
    await env.wait_until(lambda: env.converged([gw, older]), "the first route converges")
    await asyncio.sleep(1.1)  # creationTimestamp has one-second resolution
    await env.apply([younger])
    await env.wait_until(lambda: env.converged([younger]), "the second route is accepted and programmed too")

    async def two_attached():
        live = await env.get(gw)
        return live is not None and [x.get("attachedRoutes") for x in live["status"].get("listeners") or ()] == [2]

    await env.wait_until(two_attached, "the listener counts both routes")
    await idle(env)
    state = await env.state()
    assert _domain_holders(state) == [f"shop-z-{ns}"]
    assert by_name(state["services"])[f"shop-a-{ns}"].get("customDomainName") is None
    rows = await env.wait_until(lambda: _warnings(env, younger, "HostnamesNotProgrammed"), "a Warning on the younger")
    assert HOST in rows[0]["message"] and f"HTTPRoute/{ns}/shop-z" in rows[0]["message"], rows
    assert await _warnings(env, younger, "Conflicted") == []

    await env.delete(older)

    def younger_services(state: dict) -> list[dict]:
        return [s for s in state["services"] if (s.get("tags") or {}).get(ROUTE_NAME) == "shop-a"]

    async def taken_over():
        st = await env.state()
        return ([s.get("customDomainName") for s in younger_services(st)] == [HOST]
                and f"shop-z-{ns}" not in {s["name"] for s in st["services"]})

    await env.wait_until(taken_over, "the younger route's service gets the hostname, the old one is gone", timeout=90)
    await idle(env)
    await env.reset_calls()
    await idle(env, seconds=3)
    writes = {k: v for k, v in (await env.calls()).items() if k.startswith(WRITE_PREFIXES)}
    assert writes == {}, writes  # no replace loop
    assert [s.get("customDomainName") for s in younger_services(await env.state())] == [HOST]


async def test_external_name_and_port_name_mismatch_are_reported_not_silently_empty(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
    external = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "partner", "namespace": ns},
                "spec": {"type": "ExternalName", "externalName": "api.partner.example",
                         "ports": [{"name": "http", "port": 80}]}}
    # A Service without selector and a hand-made EndpointSlice that names its port differently.
    manual = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "legacy", "namespace": ns},
              "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    manual_slice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"name": "legacy-1", "namespace": ns, "labels": {"kubernetes.io/service-name": "legacy"}},
                    "addressType": "IPv4", "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}],
                    "endpoints": [{"addresses": ["10.0.9.1"], "conditions": {"ready": True}}]}
    to_partner, to_legacy = _route("to-partner", ns, "partner"), _route("to-legacy", ns, "legacy")
    await env.apply([external, manual, manual_slice, to_partner, to_legacy])

    for route, reason, words in ((to_partner, "UnsupportedValue", ("ExternalName",)),
                                 (to_legacy, "BackendNotFound", ("'http'", "'web'"))):
        async def reported(route=route, reason=reason):
            live = await env.get(route)
            return live is not None and conditions(live).get("ResolvedRefs") == ("False", reason)

        await env.wait_until(reported, f"{route['metadata']['name']}: ResolvedRefs=False/{reason}")
        live = await env.get(route)
        message = next(c["message"] for c in live["status"]["parents"][0]["conditions"] if c["type"] == "ResolvedRefs")
        assert all(w in message for w in words), message
        rows = await env.wait_until(lambda route=route, reason=reason: _warnings(env, route, reason),
                                    f"a {reason} Warning on {route['metadata']['name']}")
        assert all(w in rows[0]["message"] for w in words), rows
    await idle(env)
    state = await env.state()
    # no empty target group stands in for either backend
    tags = [t.get("tags") or {} for t in state["targetGroups"]]
    assert not [t for t in tags if t.get("application-networking.k8s.aws/ServiceName") in ("partner", "legacy")]
