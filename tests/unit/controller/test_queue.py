"""Work-queue semantics (client-go's rules), driven with a hand-set clock."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.queue.ratelimit import Backoff
from controller.queue.store import QueueRecord
from controller.queue.workqueue import HIGH, LOW, WorkQueue


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make(clock: Clock | None = None, **kw) -> tuple[WorkQueue, Clock]:
    clock = clock or Clock()
    wall = lambda: clock.t + 1_700_000_000.0  # noqa: E731 - wall clock tied to the fake monotonic one
    kw.setdefault("backoff", Backoff(jitter=0.0))
    kw.setdefault("bucket_qps", 0)
    return WorkQueue(clock=clock, wall=wall, rand=lambda: 0.0, **kw), clock


def drain(q: WorkQueue) -> list[str]:
    out = []
    while (k := q.get_nowait()) is not None:
        out.append(k)
    return out


def test_dedupe_and_fifo():
    q, _ = make()
    for k in ["a", "b", "a", "c", "b"]:
        q.add(k)
    assert len(q) == 3
    assert drain(q) == ["a", "b", "c"]


def test_never_two_workers_on_one_key_and_redo_after_done():
    q, _ = make()
    q.add("a")
    assert q.get_nowait() == "a"
    q.add("a")  # changed while processing
    assert q.get_nowait() is None, "a key being processed must not be handed out again"
    assert q.is_pending("a")
    q.done("a")
    assert q.get_nowait() == "a", "the re-add during processing must run after done"
    q.done("a")
    assert q.get_nowait() is None
    assert not q.is_pending("a")


def test_add_after_and_earliest_time_wins():
    q, clock = make()
    q.add_after("a", 10)
    q.add_after("a", 5)
    q.add_after("a", 20)
    assert q.get_nowait() is None
    clock.t += 4.9
    assert q.get_nowait() is None
    clock.t += 0.2
    assert q.get_nowait() == "a"
    q.done("a")
    clock.t += 100
    assert q.get_nowait() is None, "superseded delayed entries must not fire again"


def test_add_rate_limited_backoff_grows_and_forget_resets():
    q, clock = make()
    delays = [q.add_rate_limited("k") for _ in range(5)]
    assert delays == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert q.num_requeues("k") == 5
    q.forget("k")
    assert q.num_requeues("k") == 0
    assert q.add_rate_limited("k") == 0.005


def test_backoff_caps_at_1000s():
    q, _ = make()
    for _ in range(40):
        d = q.add_rate_limited("k")
    assert d == 1000.0


def test_rate_limited_respects_min_delay_floor():
    q, _ = make()
    assert q.add_rate_limited("k", min_delay=7.5) == 7.5


def test_token_bucket_meters_retries():
    q, clock = make(bucket_qps=10, bucket_burst=2)
    d = [q.add_rate_limited(f"k{i}") for i in range(4)]
    # burst of 2 free, then 0.1 s, 0.2 s; per-key backoff is only 5 ms
    assert d[0] == pytest.approx(0.005) and d[1] == pytest.approx(0.005)
    assert d[2] == pytest.approx(0.1) and d[3] == pytest.approx(0.2)


def test_high_priority_first_and_promotion():
    q, _ = make()
    for i in range(3):
        q.add(f"low{i}", LOW)
    q.add("live", HIGH)
    q.add("low2", HIGH)  # a live event for a key waiting at low priority promotes it
    assert drain(q) == ["live", "low2", "low0", "low1"]


def test_low_priority_replay_does_not_cut_backoff_but_live_event_does():
    q, clock = make()
    q.add_rate_limited("a")  # parked for 5 ms
    q.add("a", LOW)
    assert q.get_nowait() is None, "a replay must not cut a backoff short"
    q.add("a", HIGH)
    assert q.get_nowait() == "a", "a live event supersedes the parked retry"


def test_shutdown_stops_handing_out_and_keeps_pending():
    async def run():
        q, _ = make()
        q.add("a")
        q.add("b")
        k = q.get_nowait()
        q.shutdown()
        assert await q.get() is None
        q.add("c")  # ignored after shutdown
        assert q.pending_keys() == {"a", "b"}
        q.done(k)

    asyncio.run(run())


def test_record_and_load_roundtrip_keeps_backoff():
    q, clock = make()
    q.add("ready")
    q.add("busy")
    assert q.get_nowait() == "ready"  # processing counts as pending (crash = redo)
    for _ in range(3):
        q.add_rate_limited("backing-off")  # 20 ms after 3 failures
    q.add_after("later", 30)
    q.add("done-with-failures")
    assert q.get_nowait() == "busy"
    q.done("busy")
    q.forget("busy")
    recs = {r.key: r for r in q.snapshot()}
    assert set(recs) == {"ready", "backing-off", "later", "done-with-failures"}
    assert recs["ready"].pending and recs["ready"].not_before == 0
    assert recs["backing-off"].failures == 3
    assert recs["later"].not_before == pytest.approx(clock.t + 1_700_000_000.0 + 30)

    q2, clock2 = make(Clock(clock.t + 10))  # "restart" 10 s later
    n = q2.load(recs.values())
    assert n == 4
    assert not q2.has_changes(), "loaded records are already in the store"
    assert q2.num_requeues("backing-off") == 3
    assert set(drain(q2)) == {"ready", "backing-off", "done-with-failures"}
    clock2.t += 19.9
    assert q2.get_nowait() is None
    clock2.t += 0.2
    assert q2.get_nowait() == "later"


def test_drain_changes_reports_upserts_and_deletes():
    q, _ = make()
    q.add("a")
    ups, dels = q.drain_changes()
    assert [r.key for r in ups] == ["a"] and dels == []
    assert q.get_nowait() == "a"
    q.done("a")
    q.forget("a")
    ups, dels = q.drain_changes()
    assert ups == [] and dels == ["a"]
    assert q.drain_changes() == ([], [])


async def test_concurrent_workers_never_overlap_and_nothing_is_lost():
    q = WorkQueue(bucket_qps=0, backoff=Backoff(base=0.0005, cap=0.002))
    keys = [f"Kind/ns/k{i}" for i in range(40)]
    active: set[str] = set()
    last_add: dict[str, int] = {}
    last_start: dict[str, int] = {}
    seq = 0
    overlaps = []

    async def worker():
        nonlocal seq
        while (key := await q.get()) is not None:
            if key in active:
                overlaps.append(key)
            active.add(key)
            seq += 1
            last_start[key] = seq
            await asyncio.sleep(random.random() * 0.002)
            active.discard(key)
            if random.random() < 0.2:
                q.add_rate_limited(key)
            else:
                q.forget(key)
            q.done(key)

    async def producer():
        nonlocal seq
        for _ in range(3000):
            k = random.choice(keys)
            seq += 1
            last_add[k] = seq
            q.add(k)
            if random.random() < 0.3:
                await asyncio.sleep(0)

    workers = [asyncio.create_task(worker()) for _ in range(8)]
    await producer()
    for _ in range(400):  # wait (generously) until everything drained
        if not q.pending_keys():
            break
        await asyncio.sleep(0.01)
    q.shutdown()
    await asyncio.gather(*workers)
    assert overlaps == []
    assert not q.pending_keys()
    for k, added in last_add.items():
        assert last_start[k] > added, f"{k} was added after its last processing started and never re-ran"


ops = st.lists(
    st.tuples(st.sampled_from(["add", "addlow", "get", "done", "after", "fail", "tick"]), st.integers(0, 4)),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_model_invariants(seq):
    """Whatever happens: a key is in at most one of waiting/processing; dedupe holds; records are consistent."""
    q, clock = make()
    processing: set[str] = set()
    for op, i in seq:
        k = f"k{i}"
        if op == "add":
            q.add(k)
        elif op == "addlow":
            q.add(k, LOW)
        elif op == "get":
            got = q.get_nowait()
            if got is not None:
                assert got not in processing
                processing.add(got)
        elif op == "done" and processing:
            d = sorted(processing)[i % len(processing)]
            processing.discard(d)
            q.done(d)
        elif op == "after":
            q.add_after(k, i * 0.01)
        elif op == "fail":
            q.add_rate_limited(k)
        elif op == "tick":
            clock.t += i * 0.01
        waiting = set(q._waiting)  # noqa: SLF001
        assert not (waiting & processing)
        assert set(q.processing_keys()) == processing
        assert len(q) == len(waiting)
        for r in q.snapshot():
            assert r.pending == q.is_pending(r.key)
    # finishing everything and waiting long enough drains the queue
    for d in list(processing):
        q.done(d)
    clock.t += 10_000
    seen = []
    while (g := q.get_nowait()) is not None:
        seen.append(g)
        q.forget(g)
        q.done(g)
    assert len(seen) == len(set(seen))
    assert not q.pending_keys()
    assert all(not r.pending for r in q.snapshot())


def test_load_ignores_nonpending_but_keeps_failures():
    q, _ = make()
    q.load([QueueRecord("x", 4, False, 0.0)])
    assert not q.pending_keys()
    assert q.num_requeues("x") == 4


def test_persisted_not_before_does_not_drift_with_preemption():
    """Time passes irregularly between clock reads here (1 to 50 ms), as if the process were
    preempted between the two reads a wall-clock conversion needs. A parked key's persisted
    not-before must still be one value, read twice or carried through a store into a second
    process's queue (kill -9 resume)."""
    t = [0.0]
    steps = itertools.cycle([0.001, 0.05, 0.003, 0.02, 0.011])

    def clock() -> float:
        t[0] += next(steps)
        return t[0]

    def wall() -> float:
        t[0] += next(steps)
        return t[0] + 1_700_000_000.0

    q = WorkQueue(clock=clock, wall=wall, rand=lambda: 0.0, bucket_qps=0)
    q.add_after("k", 300.0)
    (first,) = q.snapshot()
    (again,) = q.snapshot()
    assert again.not_before == first.not_before
    resumed = WorkQueue(clock=clock, wall=wall, rand=lambda: 0.0, bucket_qps=0)
    resumed.load([first])
    (after,) = resumed.snapshot()
    assert abs(after.not_before - first.not_before) < 0.005, (first, after)
