"""Throttling, latency, random errors and eventual consistency: still converges, never duplicates."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from lattice.config import BucketSpec
from lattice.errors import RetryLater
from lattice.plan import folded
from tests.integration.lattice.conftest import converge, example_objects, translate_objects
from tests.integration.lattice.helpers import State
from tests.integration.lattice.test_converge import make_sn
from translate.model import Source


def assert_exact_hotel(st: State, t) -> None:
    assert sorted(st.services) == sorted(s.name for s in t.services)
    assert sorted(st.tgs) == sorted(tg.name for tg in t.target_groups)
    # no duplicates of anything: one listener per service, one rule per desired rule, one SNSA per pair
    assert len(st.listeners) == sum(len(s.listeners) for s in t.services)
    assert len([r for r in st.rules if not r.get("isDefault")]) == sum(
        len((folded(lst) or lst).rules) for s in t.services for lst in s.listeners)  # made folded (plan.py)
    pairs = Counter((a["serviceName"], a["serviceNetworkName"]) for a in st.snsas)
    assert all(n == 1 for n in pairs.values()) and len(pairs) == len(t.services)
    for tg in t.target_groups:
        assert st.targets(tg.name) == {(x.id, x.port) for x in tg.targets}


async def test_throttling_converges_and_slows_the_bucket(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    await ctl.throttle("*", rate=40, burst=8)
    await ctl.inject_error("CreateService", "ThrottlingException", count=1, retry_after=1)
    started = time.monotonic()
    await converge(sync, t, max_passes=40, pause=0.3)
    outcomes = (await ctl.calls())["outcomes"]
    throttled = sum(codes.get("ThrottlingException", 0) for codes in outcomes.values())
    assert throttled >= 1
    assert sync.client.buckets.by_class["write"].throttles >= 1
    assert time.monotonic() - started < 30
    await ctl.clear_faults()
    assert_exact_hotel(State(await ctl.partition()), t)


async def test_throttling_beyond_budget_raises_retry_later_not_a_long_sleep(make_sync, ctl):
    sync = await make_sync(max_retry_wait=0.5)
    await ctl.inject_error("ListServices", "ThrottlingException", count=10, retry_after=30)
    started = time.monotonic()
    with pytest.raises(RetryLater) as info:
        await sync.client.call("ListServices")
    assert time.monotonic() - started < 2
    assert info.value.retry_after >= 30 - 1


async def test_client_side_bucket_limits_the_rate(make_sync, ctl):
    sync = await make_sync(buckets={"read": BucketSpec(rate=20, burst=2), "write": BucketSpec(5, 5),
                                    "tag": BucketSpec(5, 5)})
    started = time.monotonic()
    for _ in range(12):
        await sync.client.call("ListServices")
    assert time.monotonic() - started >= 0.4  # 10 beyond the burst at 20/s


async def test_latency_and_error_fraction_converge(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    await ctl.set_latency("*", uniform=(0.005, 0.03))
    await ctl.inject_error("*", "InternalServerException", probability=0.2, retry_after=0)
    await converge(sync, t, max_passes=40)
    await ctl.clear_faults()
    assert_exact_hotel(State(await ctl.partition()), t)
    # and a clean no-op afterwards
    await ctl.reset_calls()
    for s in t.services:
        res = await sync.apply_source(s.source, t.services_of(s.source), t.target_groups_of(s.source))
        assert res.converged
    assert (await ctl.calls())["total"] == 0


async def test_lost_responses_do_not_duplicate(make_sync, ctl):
    """A create that happened but whose answer was lost (we see an error) is replayed with the same
    clientToken: Lattice returns the first resource instead of making a second one."""
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    src = t.services[0].source
    # a client timeout after the server did the work
    await ctl.set_latency("CreateService", fixed=0.6)
    fragile = await make_sync(read_timeout=0.2, max_attempts=1)
    res = await fragile.apply_source(src, t.services_of(src), t.target_groups_of(src))
    assert not res.converged
    await ctl.clear_faults()
    await converge(fragile, _only(t, src))
    st = State(await ctl.partition())
    assert list(st.services) == [t.services_of(src)[0].name]


async def test_eventual_consistency_converges(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    await ctl.set_consistency(0.5)
    await converge(sync, t, max_passes=60, pause=0.1)
    # a process that starts while new resources are still invisible to List must not duplicate them
    await ctl.set_consistency(0)
    assert_exact_hotel(State(await ctl.partition()), t)


async def test_eventual_consistency_at_restart(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    await ctl.set_consistency(1.0)
    src = t.services[0].source
    await sync.apply_source(src, t.services_of(src), t.target_groups_of(src))
    fresh = await make_sync()  # lists while the new resources are invisible
    await converge(fresh, _only(t, src), max_passes=60, pause=0.1)
    await ctl.set_consistency(0)
    st = State(await ctl.partition())
    assert list(st.services) == [t.services_of(src)[0].name]
    assert sorted(st.tgs) == sorted(tg.name for tg in t.target_groups_of(src))


def _only(t, src):
    from dataclasses import replace

    return replace(t, services=t.services_of(src), target_groups=t.target_groups_of(src))


async def test_lifecycle_delays_requeue_instead_of_sleeping(make_sync, ctl, lattice_emulator):
    """Resources that take time to become ACTIVE (or to go away) are reported in progress with a
    short requeue; no apply call blocks on them."""
    lattice_emulator.config.update({"delays": {"create": 0.4, "delete": 0.4}})
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    src = t.services[0].source
    started = time.monotonic()
    res = await sync.apply_source(src, t.services_of(src), t.target_groups_of(src))
    assert time.monotonic() - started < 0.4
    assert res.in_progress and res.requeue_after is not None and res.requeue_after <= 2
    results = await converge(sync, _only(t, src), max_passes=60, pause=0.1)
    assert results[-1].converged
    assert_exact_hotel(State(await ctl.partition()), _only(t, src))
    # and deletion with delete delays
    for _ in range(60):
        res = await sync.apply_source(src, (), ())
        if res.converged:
            break
        await asyncio.sleep(0.1)
    assert res.converged
    await asyncio.sleep(0.5)
    st = State(await ctl.partition())
    assert st.services == {} and st.tgs == {}


async def test_two_processes_racing_on_the_same_routes_make_no_duplicates(make_sync, ctl):
    """An old leader still finishing while the new one starts (fencing bugs, retries): same names,
    same clientTokens, so Lattice ends with exactly one of everything."""
    a = await make_sync()
    await make_sn(a, "my-hotel")
    b = await make_sync()
    t = translate_objects(example_objects("my-hotel"))
    await ctl.set_latency("*", uniform=(0.0, 0.02))
    await asyncio.gather(converge(a, t, max_passes=40), converge(b, t, max_passes=40))
    await ctl.clear_faults()
    assert_exact_hotel(State(await ctl.partition()), t)


async def test_a_create_that_reads_do_not_show_yet_is_not_made_again(make_sync, ctl):
    """Lattice's reads are eventually consistent: right after CreateServiceNetworkServiceAssociation,
    Get and List may answer NotFound. That is no deletion: the inventory keeps what the create told it
    and looks again (at the drift check), instead of dropping the association and creating it once more
    (a clientToken replay answered CREATE_IN_PROGRESS, so its belief lagged Lattice: the e2e fault
    test's forced reconcile then made CreateServiceNetworkServiceAssociation calls)."""
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    rates = Source("HTTPRoute", "default", "rates")
    services, tgs = t.services_of(rates), t.target_groups_of(rates)
    await ctl.set_consistency(3.0, ["CreateServiceNetworkServiceAssociation"])
    res = await sync.apply_source(rates, services, tgs)
    assert res.calls["CreateServiceNetworkServiceAssociation"] == 1
    # settling, not in progress: Lattice finishes it on its own and nothing polls it (plan.py)
    assert res.converged and res.services["rates-default"].associations == {"my-hotel": "CREATE_IN_PROGRESS"}
    made = {a["id"] for a in (await ctl.partition())["serviceNetworkServiceAssociations"]}

    await ctl.reset_calls()
    res = await sync.apply_source(rates, services, tgs)
    assert (await ctl.calls())["calls"] == {} and res.converged
    res = await sync.apply_source(rates, services, tgs, refresh=True)  # the drift check: lists miss it
    calls = (await ctl.calls())["calls"]
    assert calls and not [op for op in calls if op.startswith(("Create", "Delete"))], calls
    assert res.services["rates-default"].associations == {"my-hotel": "CREATE_IN_PROGRESS"}

    await asyncio.sleep(3.1)  # visible now
    res = await sync.apply_source(rates, services, tgs, refresh=True)
    assert res.converged and res.services["rates-default"].associations == {"my-hotel": "ACTIVE"}
    assert {a["id"] for a in (await ctl.partition())["serviceNetworkServiceAssociations"]} == made
    await ctl.reset_calls()
    res = await sync.apply_source(rates, services, tgs)
    assert res.converged and (await ctl.calls())["calls"] == {}
