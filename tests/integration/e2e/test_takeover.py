"""A new leader taking over a converged cluster: no AWS call and no API write until something
changes; then it works as usual (the Lattice inventory is loaded when first needed).

Every Gateway and route carries the record of the desired model last applied in full
(`latticegw.io/applied`); the next controller process, replaying every object at takeover,
finds each record current and skips AWS.
"""

from __future__ import annotations

import pytest

from controller import progress
from tests.integration.e2e.helpers import find, idle, writes

pytestmark = pytest.mark.integration

RECORDED = ("Gateway", "HTTPRoute")


async def resource_versions(env, objs: list[dict]) -> dict[str, str]:
    return {f"{o['kind']}/{o['metadata']['name']}": (await env.get(o))["metadata"]["resourceVersion"]
            for o in objs if o["kind"] in RECORDED}


async def delete_rates(env, objs: list[dict]) -> dict:
    """Delete my-hotel's rates route and wait until the (new) leader deleted its Lattice service."""
    rates = find(objs, "HTTPRoute", "rates")
    await env.delete(rates)
    service = f"rates-{rates['metadata']['namespace']}"

    async def rates_gone():
        return service not in {s["name"] for s in (await env.state())["services"]}
    await env.wait_until(rates_gone, "the rates service is deleted by the new leader", timeout=90)
    return rates


async def test_takeover_of_a_converged_cluster_costs_no_aws_call(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    for obj in objs:
        if obj["kind"] in RECORDED:
            live = await env.get(obj)
            assert progress.ANNOTATION in (live["metadata"].get("annotations") or {}), obj["metadata"]["name"]
    before = await resource_versions(env, objs)

    await env.stop()
    await env.reset_calls()
    await env.start()  # the next leader
    await idle(env)
    assert env.manager.workers.processed >= len(before), "the new leader replayed the cached objects"
    calls = await env.calls()
    assert calls == {}, f"takeover of a converged cluster called AWS: {calls}"
    assert await resource_versions(env, objs) == before, "takeover wrote to the API server"

    # Something changes: the new leader loads its inventory and does the work.
    rates = await delete_rates(env, objs)
    assert await env.get(rates) is None, "finalizer removed"
    calls = await env.calls()
    assert calls.get("DeleteService") == 1, calls
    print(f"\ntakeover of my-hotel: 0 AWS calls; then deleting one route: {sum(calls.values())} calls {calls}")


async def test_a_stale_record_is_not_trusted(controller_env):
    """A record left by a different desired model (here: an edited route whose generation the
    record does not match) never short-cuts the work."""
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    inventory = find(objs, "HTTPRoute", "inventory")
    live = await env.get(inventory)
    record = live["metadata"]["annotations"][progress.ANNOTATION]
    await env.stop()
    # While no controller runs: the route changes (a new generation), its old record stays.
    edited = await env.get(inventory)
    edited["spec"]["rules"][0]["matches"] = [{"path": {"type": "PathPrefix", "value": "/stock"}}]
    status, body = await env.kube.request("PUT", await env.kube.object_path(edited), edited)
    assert status == 200, body
    assert body["metadata"]["annotations"][progress.ANNOTATION] == record
    await env.start()

    async def reapplied():
        cur = await env.get(inventory)
        return cur["metadata"]["annotations"].get(progress.ANNOTATION) not in (None, record)
    await env.wait_until(reapplied, "the edited route is applied and recorded again", timeout=90)
    assert "CreateRule" in writes(await env.calls())


async def test_first_change_after_takeover_finds_our_resources_with_the_tagging_api(make_controller_env):
    """As on AWS: the inventory the new leader loads for its first change reads the tags of all
    our services and target groups in one GetResources page, not one ListTagsForResource each."""
    async with make_controller_env(tagging_api=True) as env:
        objs = await env.apply_example("my-hotel")
        await env.wait_until(env.converged, "my-hotel converges")
        await idle(env)
        await env.stop()
        await env.reset_calls()
        await env.start()
        await idle(env)
        assert await env.calls() == {}, "takeover of a converged cluster"

        await delete_rates(env, objs)
        calls = await env.calls()
        assert calls.get("GetResources") == 1, calls
        assert "ListTagsForResource" not in calls, calls
