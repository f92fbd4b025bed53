"""Token buckets: burst, steady rate, adaptive slow-down on throttling and recovery."""

from __future__ import annotations

import pytest

from lattice.config import BucketSpec
from lattice.ratelimit import Buckets, TokenBucket, operation_class


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("op,cls", [
    ("GetService", "read"), ("ListRules", "read"), ("CreateService", "write"), ("BatchUpdateRule", "write"),
    ("RegisterTargets", "write"), ("TagResource", "tag"), ("UntagResource", "tag"), ("ListTagsForResource", "read"),
])
def test_operation_classes(op, cls):
    assert operation_class(op) == cls


def test_burst_then_rate():
    clock = Clock()
    b = TokenBucket(BucketSpec(rate=10, burst=3), clock=clock)
    assert [b.reserve() for _ in range(3)] == [0, 0, 0]
    assert b.reserve() == pytest.approx(0.1)
    assert b.reserve() == pytest.approx(0.2)  # reservations queue up
    clock.t += 1.0
    assert b.reserve() == 0


def test_throttle_halves_rate_closes_for_retry_after_and_recovers():
    clock = Clock()
    b = TokenBucket(BucketSpec(rate=8, burst=8), clock=clock)
    b.on_throttle(2.0)
    assert b.rate == 4 and b.throttles == 1
    assert b.reserve() >= 2.0  # closed for retry-after
    clock.t += 3
    b.on_throttle(None)
    b.on_throttle(None)
    b.on_throttle(None)
    b.on_throttle(None)
    b.on_throttle(None)
    assert b.rate == pytest.approx(0.2)  # floor, never zero
    for _ in range(200):
        b.on_success()
    assert b.rate == 8  # additive recovery back to nominal, not beyond


async def test_acquire_refuses_to_wait_longer_than_asked():
    clock = Clock()
    buckets = Buckets({"read": BucketSpec(1, 1), "write": BucketSpec(1, 1), "tag": BucketSpec(1, 1)}, clock=clock)
    assert await buckets.acquire("GetService", max_wait=0.0) is None
    wait = await buckets.acquire("GetService", max_wait=0.5)
    assert wait == pytest.approx(1.0)
    # the refused reservation was given back: the queue did not grow
    assert buckets.by_class["read"].reserve() == pytest.approx(1.0)
