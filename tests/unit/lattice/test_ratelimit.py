"""Adaptive send rates: burst, cuts on throttling (once per congestion event), cubic recovery, no debt,
bounded FIFO waits. Everything runs on a fake clock, so every figure is exact and repeatable."""

from __future__ import annotations

import asyncio
import heapq
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lattice.config import DEFAULT_BUCKETS, BucketSpec
from lattice.ratelimit import FLOOR, Buckets, ClassLimiter, RateLimiter, operation_class


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize("op,cls", [
    ("GetService", "read"), ("ListRules", "read"), ("CreateService", "write"), ("BatchUpdateRule", "write"),
    ("RegisterTargets", "write"), ("TagResource", "tag"), ("UntagResource", "tag"), ("ListTagsForResource", "read"),
    ("GetResources", "tag"),
])
def test_operation_classes(op, cls):
    assert operation_class(op) == cls


def test_burst_then_rate():
    b = RateLimiter(BucketSpec(rate=10, burst=3), 0.0)
    assert [b.take(0.0) for _ in range(3)] == [0, 0, 0]
    assert b.take(0.0) == pytest.approx(0.1)  # nothing taken: asking again says the same
    assert b.take(0.0) == pytest.approx(0.1)
    assert b.estimate(0.0, 3) == pytest.approx(0.3)
    assert b.take(0.1) == 0
    assert b.take(1.0) == 0 and b.tokens == pytest.approx(2.0)  # refilled to the burst, not beyond


def test_starts_at_the_ceiling_and_stays_there_without_throttling():
    b = RateLimiter(BucketSpec(rate=200, burst=10), 0.0)
    for i in range(1000):
        b.on_success(i * 0.005)
    assert b.rate == 200 and b.cubic is None


def test_a_throttle_cuts_to_seventy_percent_of_the_rate_sent_at():
    b = RateLimiter(BucketSpec(rate=100, burst=10), 0.0)
    for i in range(100):  # 50 responses/s for 2 s: the measured rate
        b.on_success(i * 0.02)
    assert b.measured == pytest.approx(50, rel=0.05)
    assert b.on_throttle(2.0, sent_at=1.98)
    assert b.rate == pytest.approx(0.7 * b.measured, rel=0.05)  # min(rate, measured) x 0.7 (botocore's beta)
    assert b.tokens == 0  # no burst into a throttling server


def test_one_cut_per_congestion_event():
    """Calls already in flight when the rate was cut were sent at the old rate: their throttles are
    counted but do not cut again (botocore would cut 0.7^N for N calls in flight)."""
    b = RateLimiter(BucketSpec(rate=100, burst=10), 0.0)
    b.on_throttle(0.0, sent_at=0.0)  # engage the curve at 70/s
    for i in range(1, 101):  # ~70 responses/s
        b.on_success(i / 70)
    assert b.on_throttle(1.5, sent_at=1.48)
    cut = b.rate
    for k in range(20):
        assert not b.on_throttle(1.5 + k * 0.001, sent_at=1.49)
    assert b.rate == cut and b.throttles == 22 and b.cuts == 2
    assert b.on_throttle(1.6, sent_at=1.55)  # sent after the cut: a new event
    assert b.rate == pytest.approx(0.7 * cut) and b.cuts == 3


def test_rate_never_below_the_floor_and_recovers_to_the_ceiling():
    b = RateLimiter(BucketSpec(rate=50, burst=10), 0.0)
    t = 0.0
    for _ in range(40):  # a long storm: every probe throttled
        t += 2.0
        b.on_throttle(t, sent_at=t - 0.02)
    assert b.rate == FLOOR
    start = t
    while b.rate < 50:  # the storm is over: one call per token, each a success
        t += b.take(t)
        b.take(t)
        t += 0.02
        b.on_success(t)
        assert t - start < 30
    assert b.cubic is None  # back to the initial state
    assert t - start < 15  # cubic growth, capped at twice the measured rate


def test_no_debt_after_a_storm():
    """The old limiter kept reservations made at the old rate when a throttle cut it to 0.2/s: a
    60 s storm was followed by a 118 s stall. Now the next caller after the storm never waits
    more than 1/floor, however long the storm and however many callers were waiting."""
    b = RateLimiter(BucketSpec(rate=8, burst=16), 0.0)
    t = 0.0
    for _ in range(16):
        assert b.take(t) == 0
    while t < 60:
        wait = b.take(t)
        t += wait or 0.02
        if wait == 0:
            b.on_throttle(t, sent_at=t - 0.02)
    assert b.take(t) <= 1 / FLOOR


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["take", "ok", "throttle", "old-throttle"]),
                          st.floats(min_value=0, max_value=5)), max_size=80),
       st.sampled_from(list(DEFAULT_BUCKETS.values()) + [BucketSpec(0.3, 1), BucketSpec(1000, 1000)]))
def test_invariants_under_any_history(events, spec):
    b = RateLimiter(spec, 0.0)
    t = 0.0
    for kind, dt in events:
        t += dt
        if kind == "take":
            wait = b.take(t)
            assert wait == 0 or 0 < wait <= 1 / b.rate + 1e-9
        elif kind == "ok":
            b.on_success(t)
        else:
            b.on_throttle(t, sent_at=t - 0.02 if kind == "throttle" else -1.0)
        assert b.floor <= b.rate <= b.ceiling
        assert 0 <= b.tokens <= b.burst
    # whatever happened, the next token is at most 1/floor away: no debt
    assert b.take(t) <= 1 / b.floor + 1e-9


async def test_acquire_is_fifo_and_paced():
    clock = Clock()
    lim = ClassLimiter(BucketSpec(rate=10, burst=2), clock=clock, sleep=clock.sleep)
    granted: list[tuple[int, float]] = []

    async def caller(i: int) -> None:
        assert await lim.acquire(max_wait=5.0) is None
        granted.append((i, round(clock.t - 100.0, 6)))

    await asyncio.gather(*(caller(i) for i in range(6)))
    assert [i for i, _ in granted] == list(range(6))
    assert [t for _, t in granted] == [0.0, 0.0, 0.1, 0.2, 0.3, 0.4]
    assert lim.waiting == 0


async def test_acquire_refuses_to_wait_longer_than_asked_and_takes_nothing():
    clock = Clock()
    buckets = Buckets({"read": BucketSpec(1, 1), "write": BucketSpec(1, 1), "tag": BucketSpec(1, 1)},
                      clock=clock, sleep=clock.sleep)
    assert await buckets.acquire("GetService", max_wait=0.0) is None
    wait = await buckets.acquire("GetService", max_wait=0.5)
    assert wait == pytest.approx(1.0)
    assert clock.t == 100.0  # refused at once, no sleep
    assert buckets.by_class["read"].take(clock.t) == pytest.approx(1.0)  # nothing was taken
    assert await buckets.acquire("CreateService", max_wait=0.0) is None  # another class: its own bucket


async def test_a_waiter_leaves_when_a_cut_pushes_its_token_past_its_deadline():
    clock = Clock()
    lim = ClassLimiter(BucketSpec(rate=10, burst=1), clock=clock, sleep=clock.sleep)
    assert await lim.acquire(1.0) is None
    waiter = asyncio.ensure_future(lim.acquire(0.5))
    await asyncio.sleep(0)
    lim.on_throttle(clock.t, sent_at=clock.t)  # 10/s -> 7/s is still fine for a 0.5 s budget
    lim.rate = FLOOR  # but a collapse to the floor is not
    assert (await waiter) is not None
    assert clock.t - 100.0 <= 0.5 + 1e-9 and lim.waiting == 0


async def test_a_cancelled_waiter_hands_its_turn_on():
    clock = Clock()
    lim = ClassLimiter(BucketSpec(rate=10, burst=1), clock=clock, sleep=clock.sleep)
    assert await lim.acquire(1.0) is None
    gate = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        await gate.wait()
        clock.t += seconds

    lim.sleep = slow_sleep
    head = asyncio.ensure_future(lim.acquire(5.0))
    second = asyncio.ensure_future(lim.acquire(5.0))
    await asyncio.sleep(0)
    assert lim.waiting == 2
    head.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert await second is None
    assert lim.waiting == 0


# -- the policy against a simulated throttling server -------------------------------------------------

class ServerBucket:
    """What AWS does: a token bucket per account and operation class; 429 with Retry-After (s)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.last = rate, burst, burst, 0.0

    def admit(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return max(1.0, math.ceil((1 - self.tokens) / self.rate))


def simulate(writes: int, server: ServerBucket, *, callers: int = 64, latency: float = 0.02,
             storm: tuple[float, float] | None = None) -> dict[str, float]:
    """Discrete-event run of `callers` workers doing `writes` calls through one RateLimiter (the FIFO
    line of ClassLimiter, on virtual time): seconds, calls sent, throttled, first success after a storm."""
    lim = RateLimiter(DEFAULT_BUCKETS["write"], 0.0)
    events: list[tuple[float, int, str, object]] = []
    seq = 0

    def at(t: float, kind: str, data: object = None) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, data))

    line: list[int] = []
    head_scheduled = False
    done = sent = throttled = 0
    first_after_storm = None
    t = 0.0
    for c in range(callers):
        at(0.0, "want", c)
    while events and done < writes:
        t, _, kind, data = heapq.heappop(events)
        if kind == "want":
            line.append(data)
            if not head_scheduled:
                head_scheduled = True
                at(t, "head")
        elif kind == "head":
            head_scheduled = False
            while line:
                wait = lim.take(t)
                if wait:
                    head_scheduled = True
                    at(t + wait, "head")
                    break
                sent += 1
                at(t + latency, "answer", (line.pop(0), t))
        else:
            caller, sent_at = data
            retry_after = server.admit(sent_at + latency / 2)
            if storm and storm[0] <= sent_at < storm[1]:
                retry_after = retry_after or 1.0
            if retry_after:
                throttled += 1
                lim.on_throttle(t, sent_at)
                at(t + retry_after, "want", caller)  # the throttled call honours Retry-After
            else:
                lim.on_success(t)
                done += 1
                if storm and first_after_storm is None and sent_at >= storm[1]:
                    first_after_storm = t - storm[1]
                if done + len(line) < writes:
                    at(t, "want", caller)
    return {"seconds": t, "sent": sent, "throttled": throttled, "first_after_storm": first_after_storm}


@pytest.mark.parametrize("rate,burst,throttled", [(10, 10, 0.05), (10, 20, 0.05), (5, 5, 0.13), (50, 50, 0.01)])
def test_finds_the_servers_rate(rate, burst, throttled):
    """Starting at the 200/s ceiling against a server allowing `rate`/s for a minute's worth of
    writes: they take at most 1.05x the server-bound time, and few calls are throttled: about 20 to
    find the rate, then one probe every few seconds (more of them, relatively, the slower the server)."""
    writes = 60 * rate
    r = simulate(writes, ServerBucket(rate, burst))
    assert r["seconds"] <= 1.05 * writes / rate
    assert r["throttled"] <= throttled * r["sent"]


@pytest.mark.parametrize("storm", [5.0, 60.0])
def test_first_success_within_two_seconds_of_a_storms_end(storm):
    r = simulate(600, ServerBucket(1000, 1000), storm=(1.0, 1.0 + storm))
    assert r["first_after_storm"] is not None and r["first_after_storm"] <= 1 / FLOOR + 0.05
    assert r["seconds"] - (1.0 + storm) < 15  # and the rate grows back: 600 writes soon after
