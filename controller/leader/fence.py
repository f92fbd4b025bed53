"""Fencing: the proof, checked before every write, that this replica still leads.

A `Fence` belongs to one leadership term. The elector extends it after each
successful renew to `renew_started + renew_deadline`, measured on the monotonic
clock from the moment the renew request was *sent* -- other replicas can only
have seen that renewal later, and they wait a full lease duration from when
they saw it, so our deadline always falls at least `lease_duration -
renew_deadline` (5 s by default) before anyone else may take the lease.

`check()` compares the clock itself; it does not trust a callback to have run.
A timer also revokes the fence at the deadline, which wakes `lost` waiters so the
manager can cancel in-flight reconciles promptly even if a renew call hangs.

Reconcilers use it like this::

    fence = current_fence()          # set by the worker for this reconcile
    fence.check()                    # raises LostLeadership
    await client.patch(..., timeout=fence.bounded(10.0))
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable


class LostLeadership(Exception):
    """This replica is (or may soon be) no longer the leader: make no more writes."""


class Fence:
    def __init__(self, identity: str, term: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.identity = identity
        self.term = term
        self._clock = clock
        self._deadline = float("-inf")
        self._revoked: str | None = None
        self._lost = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ elector side
    def extend(self, deadline: float) -> None:
        if self._revoked is not None:
            return
        self._deadline = max(self._deadline, deadline)
        self._arm()

    def revoke(self, reason: str) -> None:
        if self._revoked is None:
            self._revoked = reason
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._lost.set()

    def _arm(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(loop.time() + max(0.0, self._deadline - self._clock()), self._expire)

    def _expire(self) -> None:
        self._timer = None
        if self._clock() >= self._deadline:
            self.revoke("renew deadline passed")
        else:  # extended meanwhile
            self._arm()

    # ------------------------------------------------------------ writer side
    def valid(self) -> bool:
        return self._revoked is None and self._clock() < self._deadline

    def remaining(self) -> float:
        if self._revoked is not None:
            return 0.0
        return max(0.0, self._deadline - self._clock())

    def check(self) -> None:
        if not self.valid():
            if self._revoked is None:
                self.revoke("renew deadline passed")
            raise LostLeadership(f"{self.identity} no longer leads (term {self.term}): {self._revoked}")

    def bounded(self, timeout: float) -> float:
        """A request timeout that ends before the fence does (raises if it already has)."""
        self.check()
        return max(0.001, min(timeout, self.remaining()))

    @property
    def reason(self) -> str | None:
        return self._revoked

    async def wait_lost(self) -> None:
        await self._lost.wait()


class AlwaysLeader(Fence):
    """The fence used when leader election is disabled (one replica, `make demo`)."""

    def __init__(self, identity: str = "standalone") -> None:
        super().__init__(identity, 0)
        self._deadline = float("inf")

    def _arm(self) -> None:  # never expires
        pass


_current: contextvars.ContextVar[Fence | None] = contextvars.ContextVar("latticegw_fence", default=None)


def current_fence() -> Fence:
    """The fence of the term the running reconcile belongs to."""
    fence = _current.get()
    if fence is None:
        raise LostLeadership("no leadership term is bound to this task")
    return fence


def bind_fence(fence: Fence) -> contextvars.Token:
    return _current.set(fence)


def reset_fence(token: contextvars.Token) -> None:
    _current.reset(token)
