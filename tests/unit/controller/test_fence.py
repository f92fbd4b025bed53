import asyncio

import pytest

from controller.leader.fence import AlwaysLeader, Fence, LostLeadership, bind_fence, current_fence, reset_fence


def test_fence_checks_the_clock_itself():
    t = [0.0]
    f = Fence("me", 1, clock=lambda: t[0])
    f.extend(10.0)
    f.check()
    assert f.remaining() == 10.0
    assert f.bounded(30) == 10.0
    t[0] = 10.0
    assert not f.valid()
    with pytest.raises(LostLeadership):
        f.check()
    f.extend(20.0)  # a revoked fence is never revived
    assert not f.valid()


async def test_fence_timer_revokes_and_wakes_waiters():
    f = Fence("me", 1)
    import time

    f.extend(time.monotonic() + 0.05)
    await asyncio.wait_for(f.wait_lost(), timeout=5)
    assert not f.valid() and f.reason == "renew deadline passed"


def test_always_leader_and_context_binding():
    f = AlwaysLeader()
    assert f.valid() and f.remaining() == float("inf")
    with pytest.raises(LostLeadership):
        current_fence()
    tok = bind_fence(f)
    assert current_fence() is f
    reset_fence(tok)
