"""Quota errors are not throttles (issue 11), end to end: the real API server, the controller and
the Lattice emulator. A route over the rules-per-listener quota is refused in translation with a
reason and an Event and costs no AWS write; a quota Lattice enforces below ours (the account's)
turns the route's Accepted False and is not retried at the fast error backoff."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.e2e.helpers import conditions, find
from tests.integration.e2e.test_events import describe_events

pytestmark = pytest.mark.integration


def _route(name: str, ns: str, backend: str, rules: int, matches: int) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [{"name": "my-hotel", "namespace": ns}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": f"/r{r}/m{m}"}}
                                            for m in range(matches)],
                                "backendRefs": [{"name": backend, "port": 80}]} for r in range(rules)]}}


async def test_two_rules_of_fifty_matches_are_refused_with_a_reason_and_no_aws_write(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
    await env.reset_calls()
    big = _route("big", ns, "parking", rules=2, matches=50)
    await env.apply([big])

    async def refused():
        live = await env.get(big)
        return live is not None and conditions(live).get("Accepted") == ("False", "UnsupportedValue")

    await env.wait_until(refused, "the route is refused for the rules-per-listener quota")
    message = next(c["message"] for c in (await env.get(big))["status"]["parents"][0]["conditions"]
                   if c["type"] == "Accepted")
    assert "Lattice allows 10 rules per listener, this route needs 100" in message, message
    rows = await env.wait_until(
        lambda: _warnings(env, big, "UnsupportedValue"), "an UnsupportedValue Warning Event")
    assert "10 rules per listener" in rows[0]["message"]
    await asyncio.sleep(1.0)
    calls = await env.calls()
    assert calls.get("CreateRule", 0) == 0 and calls.get("CreateService", 0) == 0, calls


async def test_a_quota_lattice_enforces_below_ours_is_reported_and_not_hammered(make_controller_env):
    async with make_controller_env(emulator_options={"quotas": {"rules_per_listener": 2}}) as env:
        objs = env.example("my-hotel")
        await env.create_service_networks(objs)
        await env.apply(objs)
        await env.wait_until(env.converged, "my-hotel converges")
        ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
        over = _route("over", ns, "parking", rules=1, matches=4)  # fits our 10, not the account's 2
        await env.apply([over])

        async def refused():
            live = await env.get(over)
            return live is not None and conditions(live).get("Accepted") == ("False", "UnsupportedValue")

        await env.wait_until(refused, "the route reports Lattice's quota refusal", timeout=60)
        message = next(c["message"] for c in (await env.get(over))["status"]["parents"][0]["conditions"]
                       if c["type"] == "Accepted")
        assert "ServiceQuotaExceededException" in message and "CreateRule" in message, message
        # not retried at the error backoff's first steps (5 ms, 10 ms, ...): one pass, then minutes
        before = (await env.calls()).get("CreateRule", 0)
        await asyncio.sleep(3.0)
        assert (await env.calls()).get("CreateRule", 0) == before


async def _warnings(env, obj: dict, reason: str) -> list[dict]:
    return [r for r in await describe_events(env, obj) if r["type"] == "Warning" and r["reason"] == reason]
