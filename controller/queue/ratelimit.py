"""Rate limiters for the work queue: a per-key exponential backoff and a token bucket.

Both are pure: they take the current time as an argument and never sleep, so the
queue decides when to wait and tests drive time by hand.

Defaults follow client-go's `DefaultTypedControllerRateLimiter`: per key 5 ms
doubling up to 1000 s, combined (maximum) with an overall bucket of 10 qps and
burst 100 that only meters *retries* (`add_rate_limited`), never fresh events.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `base * 2**(failures-1)`, capped, with jitter.

    Jitter spreads a burst of keys that failed together (say, one AWS outage)
    so they do not retry in lockstep. It only ever *adds* up to `jitter` of the
    delay, so the delay never drops below the deterministic exponential floor,
    and it is clamped to `cap`.
    """

    base: float = 0.005
    cap: float = 1000.0
    jitter: float = 0.1

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        if failures <= 0:
            return 0.0
        # 2**exp overflows a float near exp=1024; the cap is reached long before.
        exp = min(failures - 1, 64)
        d = min(self.cap, self.base * (2.0**exp))
        if self.jitter:
            d = min(self.cap, d * (1.0 + self.jitter * rand()))
        return d


class TokenBucket:
    """A classic token bucket. `reserve(now)` returns how long the caller must wait.

    Reserving always succeeds and may drive the balance negative: that is how
    client-go's `rate.Limiter.Reserve` works, and it means N callers at once get
    N increasing delays instead of all retrying at the same instant.
    qps <= 0 disables the bucket (every reservation is free).
    """

    def __init__(self, qps: float, burst: int, now: float) -> None:
        if burst < 1 and qps > 0:
            raise ValueError("burst must be at least 1")
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = now

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
            self._last = now

    def reserve(self, now: float) -> float:
        if self.qps <= 0:
            return 0.0
        self._refill(now)
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.qps

    def tokens(self, now: float) -> float:
        if self.qps <= 0:
            return float("inf")
        self._refill(now)
        return self._tokens
