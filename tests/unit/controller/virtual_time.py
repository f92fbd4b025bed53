"""An asyncio event loop on virtual time, for tests of code that waits on the loop's clock.

`loop.time()` is a number that only moves when every task is waiting: then, instead of blocking
in the selector until the next timer is due, the loop jumps straight to it. asyncio.sleep,
asyncio.timeout and wait(timeout=...) all run on `loop.time()`, so a leader-election scenario of
several lease durations runs in milliseconds, and what a test measures with `loop.time()` is
exact: the same on an idle machine and on a loaded one. Code under test that takes a clock
(`LeaderElector(clock=...)`, `Fence(clock=...)`) gets `loop.time`.

Only for code whose waits are timers (like FakeKube's): real I/O would be skipped over.

    run(scenario())          # a coroutine, on a fresh virtual-time loop
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None):
        ready = super().select(0)  # (the loop's self-pipe: call_soon_threadsafe)
        if ready or timeout is None or timeout <= 0:
            return ready if ready or timeout is not None else super().select(None)
        self.now += timeout  # nothing to do until the next timer: be there at once
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def run(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)
