"""Adaptive client-side send rates per operation class ("read", "write", "tag"), shared by every worker.

Lattice publishes no request rates, so no fixed number is right: each class starts at its ceiling
(fast), and AWS tells us when that is too fast. The rate law is botocore's `adaptive` retry mode
(CUBIC, `botocore.retries.throttling.CubicCalculator`): a throttle cuts the rate to 0.7x the rate we
were sending at; successes grow it back along a cubic curve that flattens near the rate that was
throttled, then probes beyond it; the rate never exceeds twice the rate actually measured, nor falls
below `floor`. Once the curve is back at the ceiling the class forgets the episode.

What we do differently from botocore's limiter (and why it is not used as is):
* one limiter per operation class, not one per client: a burst of writes being throttled must not
  slow reads down;
* one cut per congestion event: throttles of calls sent *before* the last cut were already answered
  by it (botocore cuts again for every throttled response, so N calls in flight cut the rate 0.7^N);
* bounded waits: `acquire(max_wait)` returns the estimated wait instead of parking a worker
  (botocore's bucket blocks until a token comes, however long); the client then raises `RetryLater`
  and the work queue brings the key back;
* the curve's scale is relative to the rate (PROBE below), and a storm (cuts with no success in
  between) does not make the class forget the rate that worked before it;
* no debt: tokens never go below zero and waiters do not hold reservations made at an old rate, so
  when the throttling stops the next caller goes within 1/rate (at worst 1/floor = 1 s). The
  throttled call itself honours `retryAfterSeconds` (client.py), not the whole class.

`RateLimiter` is pure (the caller passes `now`), so the policy is unit-tested with a fake clock;
`ClassLimiter` adds the FIFO of waiting callers on top (sleep injected, for the same reason).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.retries.throttling import CubicCalculator

from lattice.config import BucketSpec

READ, WRITE, TAG = "read", "write", "tag"
# Operations with their own class: the tagging calls (Lattice's and the Tagging API's GetResources).
TAG_OPERATIONS = frozenset({"TagResource", "UntagResource", "GetResources"})
# The slowest a class ever goes: one call per second during a storm, so the first call after it
# goes within a second (botocore's TokenBucket._MIN_RATE is 0.5).
FLOOR = 1.0
# botocore's ClientRateLimiter._MAX_RATE_ADJUST_SCALE: never more than this times the measured rate.
MEASURED_SCALE = 2.0
# Seconds per measuring window, and the weight of the newest window (botocore's RateClocker).
WINDOW = 0.5
SMOOTHING = 0.8
# botocore's CubicCalculator._BETA: a throttle cuts the rate to 0.7x the rate it was sent at.
BETA = 0.7
# Seconds after a cut at which the curve is back at the rate that was throttled (then probes beyond).
PROBE = 4.0
# ... but never flatter than this (rate/s^3): from the floor, 10/s again within ~6 s.
MIN_SCALE = 0.05
EPSILON = 1e-9


def operation_class(operation: str) -> str:
    if operation in TAG_OPERATIONS:
        return TAG
    if operation.startswith(("Get", "List")):
        return READ
    return WRITE


class RateLimiter:
    """One class's token bucket and the rate law that moves its fill rate. Pure: every method takes `now`."""

    def __init__(self, spec: BucketSpec, now: float, *, floor: float = FLOOR) -> None:
        self.ceiling = spec.rate
        self.burst = max(1.0, spec.burst)
        self.floor = min(floor, spec.rate)
        self.rate = spec.rate
        self.tokens = self.burst
        self.last = now
        self.cubic: CubicCalculator | None = None  # engaged by the first throttle, dropped once recovered
        self.cut_at = -math.inf  # when the rate was last cut
        self.w_ref = spec.rate  # the rate at the last cut that followed a success
        self._ok_since_cut = True
        self.throttles = 0  # throttled responses seen (metrics, tests)
        self.cuts = 0  # congestion events that cut the rate
        # measured send rate (responses per second), smoothed over WINDOW-second windows
        self.measured = 0.0
        self._window = math.floor(now / WINDOW)
        self._count = 0

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now

    def take(self, now: float) -> float:
        """Take a token and return 0, or return the seconds until one is there (nothing taken)."""
        self._refill(now)
        if self.tokens >= 1.0 - EPSILON:  # a float hair short of a token must not spin its waiter
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def estimate(self, now: float, position: int) -> float:
        """Seconds until the caller at `position` (1 = next) would get its token at today's rate."""
        self._refill(now)
        return max(0.0, (position - self.tokens) / self.rate)

    def _record(self, now: float) -> None:
        window = math.floor(now / WINDOW)
        self._count += 1
        if window > self._window:
            current = self._count / ((window - self._window) * WINDOW)
            self.measured = SMOOTHING * current + (1 - SMOOTHING) * self.measured
            self._count = 0
            self._window = window

    def _set_rate(self, now: float, rate: float) -> None:
        self._refill(now)  # tokens earned so far at the old rate
        self.rate = min(self.ceiling, max(self.floor, rate))

    def on_success(self, now: float) -> None:
        self._record(now)
        self._ok_since_cut = True
        if self.cubic is None:
            return
        rate = self.cubic.success_received(now)
        if self.measured > 0:
            # As botocore: never grow beyond twice what we actually sent. Unlike botocore, a lull in
            # demand does not pull the rate down (after a storm, keys come back in waves; a cap
            # that fell in each gap kept the class slow for half a minute).
            rate = min(rate, max(self.rate, MEASURED_SCALE * self.measured))
        if rate >= self.ceiling:
            self.cubic = None  # recovered: back to the initial state
        self._set_rate(now, rate)

    def on_throttle(self, now: float, sent_at: float) -> bool:
        """A call sent at `sent_at` was throttled; True if this cut the rate (a new congestion event)."""
        self._record(now)
        self.throttles += 1
        if sent_at < self.cut_at:
            return False  # sent before the last cut, at the old rate: that cut already answered it
        basis = min(self.rate, self.measured) if self.measured > 0 else self.rate
        if self._ok_since_cut:
            # The rate that worked until now. Cuts in a row without any success in between (a
            # storm) do not lower it, so the climb after the storm is as quick as before it.
            self.w_ref = basis
        # botocore's curve with a scale relative to the rate: back at `basis` PROBE seconds after
        # the cut whatever the rate (botocore's absolute 0.4 probes every ~2 s at 10/s, which
        # throttles twice as many calls as needed, and crawls back after a storm at the floor).
        scale = max(MIN_SCALE, (1 - BETA) * max(basis, self.w_ref) / PROBE**3)
        self.cubic = CubicCalculator(starting_max_rate=basis, start_time=now, scale_constant=scale, beta=BETA)
        self._set_rate(now, self.cubic.error_received(basis, now))
        self._ok_since_cut = False
        self.cut_at = now
        self.cuts += 1
        self.tokens = min(self.tokens, 0.0)  # no burst into a throttling server; never below zero
        return True

    def snapshot(self) -> dict[str, float]:
        return {"rate": self.rate, "ceiling": self.ceiling, "measured": self.measured,
                "throttles": float(self.throttles), "cuts": float(self.cuts)}


class ClassLimiter(RateLimiter):
    """A RateLimiter with a FIFO of callers waiting for tokens.

    Only the first caller in line sleeps until the next token; the others wait their turn, so
    waking up costs O(1) per caller and order is fair. Nobody holds a reservation: the head takes
    its token at the rate of the moment it wakes.
    """

    def __init__(self, spec: BucketSpec, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, floor: float = FLOOR) -> None:
        super().__init__(spec, clock(), floor=floor)
        self.clock = clock
        self.sleep = sleep
        self._line: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    async def acquire(self, max_wait: float) -> float | None:
        """Take a token, waiting at most about `max_wait` seconds: None when granted, else the
        estimated wait (no token taken) so the caller can come back later instead."""
        now = self.clock()
        if not self._line and self.take(now) == 0.0:
            return None
        estimate = self.estimate(now, len(self._line) + 1)
        if estimate > max_wait:
            return estimate
        deadline = now + max_wait
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            if self._line[0] is not turn:
                await turn  # the caller ahead hands over when it leaves
            while True:
                now = self.clock()
                wait = self.take(now)
                if wait == 0.0:
                    return None
                if now + wait > deadline:  # the rate dropped while we waited
                    return self.estimate(now, len(self._line))
                await self.sleep(wait)
        finally:
            self._leave(turn)

    def _leave(self, turn: asyncio.Future[None]) -> None:
        was_head = bool(self._line) and self._line[0] is turn
        try:
            self._line.remove(turn)
        except ValueError:
            pass
        if not turn.done():
            turn.cancel()
        if was_head and self._line and not self._line[0].done():
            self._line[0].set_result(None)

    def snapshot(self) -> dict[str, float]:
        return {**super().snapshot(), "waiting": float(len(self._line))}


class Buckets:
    """One ClassLimiter per operation class, shared by every caller of one LatticeClient."""

    def __init__(self, specs: dict[str, BucketSpec], clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.by_class = {name: ClassLimiter(spec, clock=clock, sleep=sleep) for name, spec in specs.items()}

    def for_operation(self, operation: str) -> ClassLimiter | None:
        return self.by_class.get(operation_class(operation))

    async def acquire(self, operation: str, max_wait: float) -> float | None:
        """Wait for a token; return None when granted, or the wait that would exceed `max_wait`."""
        limiter = self.for_operation(operation)
        return None if limiter is None else await limiter.acquire(max_wait)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Per class: current rate, ceiling, measured rate, waiting callers, throttles, cuts (metrics)."""
        return {name: limiter.snapshot() for name, limiter in self.by_class.items()}
