"""my-hotel under a misbehaving Lattice: throttling, latency, failing calls, delayed visibility.

Faults are injected through the emulator's control API before anything is applied (the
emulator's RNG is seeded, so a failure reproduces). Under each, the example must converge to
exactly the shape it has without faults, nothing may ever be created twice (Lattice names are
unique, so a duplicate would show as a second resource of a name, or as a Delete to clean one
up: there must be no Delete at all while converging), a no-op reconcile afterwards must still
cost nothing, and deleting the routes must still clean Lattice up.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.integration.e2e.helpers import by_name, duplicates, idle, routing, targets_of, tgs_of_backend

pytestmark = pytest.mark.integration


async def throttling(ctl):
    await ctl.throttle("*", rate=6, burst=4)


async def latency(ctl):
    await ctl.set_latency("*", uniform=(0.05, 0.4))


async def errors(ctl):
    await ctl.inject_error("*", "InternalServerException", probability=0.2)


async def consistency(ctl):
    await ctl.set_consistency(3.0)


async def everything(ctl):
    await ctl.throttle("*", rate=6, burst=6)
    # The rate alone throttles only when calls bunch up, which depends on timing (one run in a few
    # made its ~30 calls spread out and was never throttled): one throttled CreateService for sure.
    await ctl.inject_error("CreateService", "ThrottlingException", count=1)
    await ctl.set_latency("*", uniform=(0.02, 0.15))
    await ctl.inject_error("*", "InternalServerException", probability=0.2)
    await ctl.set_consistency(2.0)


EXPECTED_CODES = {"throttling": ("ThrottlingException",), "errors": ("InternalServerException",),
                  "everything": ("ThrottlingException", "InternalServerException")}


@pytest.mark.parametrize("inject", [throttling, latency, errors, consistency, everything],
                         ids=lambda f: f.__name__)
async def test_my_hotel_converges_under_faults(make_controller_env, inject):
    async with make_controller_env(emulator_options={"seed": 20261122}) as env:
        objs = env.example("my-hotel")
        await env.create_service_networks(objs)
        await inject(env.control)
        await env.apply(objs)
        await env.wait_until(env.converged, f"my-hotel converges under {inject.__name__}", timeout=150)
        await idle(env)

        calls = await env.calls()
        assert not {op for op in calls if op.startswith("Delete")}, calls
        # the faults really happened (a scenario that injects nothing would prove nothing)
        codes = Counter()
        for per_op in (await env.control.calls())["outcomes"].values():
            codes.update(per_op)
        for code in EXPECTED_CODES.get(inject.__name__, ()):
            assert codes[code] > 0, (code, codes)
        state = await env.state()
        ns = env.ns("default")
        assert duplicates(state) == {}
        assert sorted(s["name"] for s in state["services"]) == sorted([f"inventory-{ns}", f"rates-{ns}"])
        assert len(state["targetGroups"]) == 3
        assert len(state["listeners"]) == 2
        # rates' two rules; inventory's one matches everything: its listener's default action
        assert len([r for r in state["rules"] if not r.get("isDefault")]) == 2
        sn = by_name(state["serviceNetworks"])["my-hotel"]
        assert sorted(a["serviceName"] for a in state["serviceNetworkServiceAssociations"]
                      if a["serviceNetworkId"] == sn["id"]) == sorted([f"inventory-{ns}", f"rates-{ns}"])
        assert routing(state, f"rates-{ns}") == {"*": {"fixed": 404}, "/parking": {f"{ns}/parking": 1},
                                                 "/review": {f"{ns}/review": 1}}
        assert routing(state, f"inventory-{ns}") == {"*": {"fixed": 404}, "/": {f"{ns}/inventory-ver1": 1}}
        for backend, ips in (("parking", ("10.0.1.10", "10.0.1.11")), ("review", ("10.0.1.20", "10.0.1.21")),
                             ("inventory-ver1", ("10.0.1.30", "10.0.1.31"))):
            (tg,) = tgs_of_backend(state, f"{ns}/{backend}")
            assert targets_of(state, tg["name"]) == {(ip, 8090) for ip in ips}

        # What the controller believes matches Lattice: a forced reconcile of every route is free
        # (and, with faults still on, any call it made would show).
        routes = [o for o in objs if o["kind"] == "HTTPRoute"]
        await env.reset_calls()
        processed = env.manager.workers.processed
        for o in routes:
            env.manager.queue.add(f"HTTPRoute/{o['metadata']['namespace']}/{o['metadata']['name']}")
        await env.wait_until(lambda: env.manager.workers.processed >= processed + len(routes),
                             "the forced reconciles ran")
        await idle(env)
        assert await env.calls() == {}

        # Deleting under the same faults still cleans up completely.
        for o in routes:
            await env.delete(o)

        async def clean():
            s = await env.state()
            return not (s["services"] or s["targetGroups"] or s["listeners"]
                        or s["serviceNetworkServiceAssociations"]) and all([await env.get(o) is None
                                                                            for o in routes])

        await env.wait_until(clean, f"routes deleted and Lattice clean under {inject.__name__}", timeout=150)
        await env.control.clear_faults()


async def test_a_service_that_fails_to_create_is_replaced(make_controller_env):
    """Lattice ends one CreateService in CREATE_FAILED: the controller deletes it and creates it again."""
    async with make_controller_env(emulator_options={"seed": 7, "delays": {"create": 0.5}}) as env:
        objs = env.example("my-hotel")
        await env.create_service_networks(objs)
        await env.control.fail_lifecycle("CreateService", count=1)
        await env.apply(objs)
        await env.wait_until(env.converged, "my-hotel converges despite a CREATE_FAILED service", timeout=120)
        await idle(env)
        calls = await env.calls()
        assert calls.get("CreateService") == 3 and calls.get("DeleteService") == 1, calls
        state = await env.state()
        assert duplicates(state) == {}
        assert all(s["status"] == "ACTIVE" for s in state["services"]) and len(state["services"]) == 2
        assert len(state["targetGroups"]) == 3 and len(state["listeners"]) == 2
