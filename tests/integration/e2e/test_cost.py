"""What one new route costs in AWS calls, next to the reference controller (~27 calls, >= 10 s).

The process-wide start-up (one paginated List per resource type to build the inventory) is paid
once by the first reconcile and is not part of a route's cost, so it is done before counting.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.e2e.helpers import find, idle, writes

pytestmark = pytest.mark.integration


async def test_one_new_route_costs_five_writes_and_no_reads(controller_env):
    env = controller_env
    objs = env.example("my-hotel")
    route = find(objs, "HTTPRoute", "inventory")
    rest = [o for o in objs if o["kind"] != "HTTPRoute"]
    await env.create_service_networks(objs)
    await env.apply(rest)
    await env.wait_until(lambda: env.converged(rest), "the Gateway is Programmed")
    await idle(env)
    await env.reset_calls()

    started = time.monotonic()
    await env.apply([route])
    await env.wait_until(lambda: env.converged([route]), "the inventory route converges")
    seconds = time.monotonic() - started
    await idle(env)
    calls = await env.calls()
    # its one rule matches everything: the new listener's default action (no CreateRule)
    assert writes(calls) == {"CreateTargetGroup": 1, "RegisterTargets": 1, "CreateService": 1,
                             "CreateServiceNetworkServiceAssociation": 1, "CreateListener": 1}
    reads = {op: n for op, n in calls.items() if op not in writes(calls)}
    assert reads == {}, reads  # the association Lattice is still creating is not polled
    print(f"\none new route: {sum(calls.values())} AWS calls ({calls}), Accepted with DNS name after "
          f"{seconds:.2f} s; the reference: ~27 calls, >= 10 s")
