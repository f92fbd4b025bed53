"""What one route costs in API-server writes, as the real kube-apiserver's audit log records them.

A reconcile decides at most one merge patch of its object's metadata (finalizer and output
annotations together) and one of its status. A new route needs its finalizer before the first AWS
call, so its first pass writes: finalizer; status; output annotations (DNS name, ARN and the
progress record, together once Lattice finished) -- one pass, not a second one just to write the
annotations. On the way out: one status patch and one metadata patch (annotations and finalizer
together), never a write refused as stale.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from tests.harness.audit import per_object
from tests.integration.e2e.helpers import find, idle

pytestmark = pytest.mark.integration


def route_passes(env) -> float:
    """HTTPRoute reconciles the controller has run, whatever their result."""
    registry = env.manager.runtime.metrics.registry
    return sum(registry.get_sample_value("controller_runtime_reconcile_total", {"controller": "httproute", "result": r})
               or 0.0 for r in ("success", "error", "requeue", "requeue_after"))


def route_writes(env, mark: int, route: dict) -> Counter:
    key = ("httproutes", route["metadata"]["namespace"], route["metadata"]["name"])
    return per_object(env.kube.audit.writes(mark)).get(key, Counter())


async def test_a_route_is_written_once_per_part_per_step(controller_env):
    env = controller_env
    objs = env.example("my-hotel")
    route = find(objs, "HTTPRoute", "inventory")
    rest = [o for o in objs if o["kind"] != "HTTPRoute"]
    await env.create_service_networks(objs)
    await env.apply(rest)
    await env.wait_until(lambda: env.converged(rest), "the Gateway is Programmed")
    await idle(env)

    mark, passes = env.kube.audit.size(), route_passes(env)
    await env.apply([route])
    await env.wait_until(lambda: env.converged([route]), "the inventory route converges")
    await idle(env)
    live = await env.get(route)
    assert "httproute.k8s.aws/resources" in live["metadata"]["finalizers"]
    assert "latticegw.io/applied" in live["metadata"]["annotations"]
    # finalizer (before AWS), then the output annotations in one patch; the status once
    assert route_writes(env, mark, route) == Counter({"metadata": 2, "status": 1})
    # ... all in one pass (the emulator's resources are ACTIVE at once: nothing to wait for)
    assert route_passes(env) - passes == 1

    # Moved to a Gateway that does not exist: its Lattice service goes, and so do our status
    # entry, output annotations and finalizer: one status patch, one metadata patch.
    mark = env.kube.audit.size()
    detached = copy.deepcopy(route)
    detached["spec"]["parentRefs"] = [{"name": "no-such-gateway"}]
    await env.apply([detached])

    async def let_go():
        live = await env.get(route)
        return not (live["metadata"].get("finalizers") or (live.get("status") or {}).get("parents"))

    await env.wait_until(let_go, "the route is let go")
    await idle(env)
    live = await env.get(route)
    assert not set(live["metadata"].get("annotations") or {}) & {
        "latticegw.io/applied", "application-networking.k8s.aws/lattice-service-arn",
        "application-networking.k8s.aws/lattice-assigned-domain-name"}
    assert route_writes(env, mark, route) == Counter({"metadata": 1, "status": 1})

    # Attached again, then deleted: the finalizer's removal is the one write on the way out.
    await env.apply([route])
    await env.wait_until(lambda: env.converged([route]), "the route converges again")
    await idle(env)
    mark = env.kube.audit.size()
    await env.delete(route)
    await env.wait_until(_gone(env, route), "the route is gone")
    assert route_writes(env, mark, route) == Counter({"metadata": 1})


def _gone(env, obj):
    async def check():
        return await env.get(obj) is None
    return check
