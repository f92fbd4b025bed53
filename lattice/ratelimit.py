"""Client-side token buckets per operation class, slowed down adaptively on throttling.

Every Lattice call takes one token from its class's bucket ("read", "write" or "tag") before it is
sent. A ThrottlingException halves the bucket's rate (down to `floor`) and closes it until the
server's `retryAfterSeconds` has passed; every success afterwards recovers the rate additively back
to its nominal value (AIMD, like TCP). A caller never waits longer than it asks for: `reserve()`
answers how long the caller would have to wait, and the client raises `RetryLater` instead of parking
a worker when that is too long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from lattice.config import BucketSpec

READ, WRITE, TAG = "read", "write", "tag"


def operation_class(operation: str) -> str:
    if operation in ("TagResource", "UntagResource"):
        return TAG
    if operation.startswith(("Get", "List")):
        return READ
    return WRITE


class TokenBucket:
    def __init__(self, spec: BucketSpec, *, floor: float = 0.2, clock: Callable[[], float] = time.monotonic) -> None:
        self.nominal = spec.rate
        self.rate = spec.rate
        self.burst = spec.burst
        self.floor = min(floor, spec.rate)
        self.clock = clock
        self.tokens = spec.burst
        self.last = clock()
        self.closed_until = 0.0
        self.throttles = 0

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now

    def reserve(self) -> float:
        """Take a token now and return the seconds the caller must wait before using it (0 = go)."""
        now = self.clock()
        self._refill(now)
        self.tokens -= 1  # may go negative: a queue of reservations
        wait = 0.0 if self.tokens >= 0 else -self.tokens / self.rate
        return max(wait, self.closed_until - now, 0.0)

    def cancel(self) -> None:
        """Give back a reservation the caller decided not to use."""
        self.tokens = min(self.burst, self.tokens + 1)

    def on_throttle(self, retry_after: float | None) -> None:
        self.throttles += 1
        now = self.clock()
        self._refill(now)
        self.rate = max(self.floor, self.rate / 2)
        self.tokens = min(self.tokens, 0.0)
        if retry_after:
            self.closed_until = max(self.closed_until, now + retry_after)

    def on_success(self) -> None:
        if self.rate < self.nominal:
            self.rate = min(self.nominal, self.rate + self.nominal / 20)


class Buckets:
    """One bucket per operation class."""

    def __init__(self, specs: dict[str, BucketSpec], clock: Callable[[], float] = time.monotonic) -> None:
        self.by_class = {name: TokenBucket(spec, clock=clock) for name, spec in specs.items()}

    def for_operation(self, operation: str) -> TokenBucket | None:
        return self.by_class.get(operation_class(operation))

    async def acquire(self, operation: str, max_wait: float) -> float | None:
        """Wait for a token; return None when granted, or the wait that would exceed `max_wait`."""
        bucket = self.for_operation(operation)
        if bucket is None:
            return None
        wait = bucket.reserve()
        if wait > max_wait:
            bucket.cancel()
            return wait
        if wait > 0:
            await asyncio.sleep(wait)
        return None
