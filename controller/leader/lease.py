"""Leader election on a coordination.k8s.io/v1 Lease.

Theory of operation (client-go's `leaderelection`, with the fixes the
kubernetes-asyncio elector lacks):

* The decision is pure (`decide`): given the Lease as read, who we are, and
  how long *we* have watched its current record without change (monotonic
  clock; the holder's renewTime is another machine's wall clock and is never
  compared with ours), either take/renew it (`Acquire`) or leave it (`Wait`).
* Writes use optimistic concurrency: we replace the object we read, carrying
  its resourceVersion, so two candidates racing get one 200 and one 409. On a
  409 we re-read next round; we never blind-retry.
* A leader renews every `retry_period`. Each call has a timeout that ends
  before the fence does. If no renew succeeds within `renew_deadline` of the
  last good one, the fence expires on its own: the manager cancels in-flight
  work, and this replica goes back to being a candidate.
* A graceful stop releases the Lease (empty holder, 1 s duration) so a standby
  takes over at its next retry instead of waiting out the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

from controller.kube.client import KubeClient, KubeError
from controller.leader.fence import Fence

log = structlog.get_logger("latticegw.lease")


@dataclass(frozen=True)
class LeaseSpec:
    holder: str
    duration: int
    acquire_time: str | None
    renew_time: str | None
    transitions: int

    @classmethod
    def from_obj(cls, obj: dict | None) -> LeaseSpec | None:
        if obj is None:
            return None
        spec = obj.get("spec") or {}
        return cls(
            holder=spec.get("holderIdentity") or "",
            duration=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> dict:
        return {
            "holderIdentity": self.holder or None,
            "leaseDurationSeconds": self.duration,
            "acquireTime": self.acquire_time,
            "renewTime": self.renew_time,
            "leaseTransitions": self.transitions,
        }


@dataclass(frozen=True)
class Acquire:
    spec: LeaseSpec
    takeover: bool  # we were not the holder before


@dataclass(frozen=True)
class Wait:
    holder: str
    for_seconds: float  # how much longer the holder's lease lasts, from our observation


def micro_time(now: dt.datetime | None = None) -> str:
    """RFC 3339 MicroTime in UTC, as the API server's MicroTime expects."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decide(
    current: LeaseSpec | None,
    identity: str,
    *,
    observed_for: float,
    lease_duration: int,
    now_text: str,
) -> Acquire | Wait:
    """What to do with the Lease as read.

    `observed_for`: seconds since *we* first saw `current` unchanged.
    """
    if current is None:
        return Acquire(LeaseSpec(identity, lease_duration, now_text, now_text, 0), takeover=True)
    if current.holder and current.holder != identity:
        # Trust the holder's own duration if it is longer: it is what it promised.
        duration = max(current.duration, 1)
        left = duration - observed_for
        if left > 0:
            return Wait(current.holder, left)
    if current.holder == identity:
        return Acquire(
            LeaseSpec(identity, lease_duration, current.acquire_time or now_text, now_text, current.transitions),
            takeover=False,
        )
    return Acquire(LeaseSpec(identity, lease_duration, now_text, now_text, current.transitions + 1), takeover=True)


class Observer:
    """Remembers when the Lease record last changed, on our monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._record: LeaseSpec | None = None
        self._since = clock()
        self._seen = False

    def observe(self, record: LeaseSpec | None) -> float:
        now = self._clock()
        if not self._seen or record != self._record:
            self._record = record
            self._since = now
            self._seen = True
        return now - self._since


@dataclass(frozen=True)
class ElectionConfig:
    namespace: str
    name: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def validate(self) -> None:
        # The same checks as client-go's NewLeaderElector.
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("lease duration must be greater than renew deadline")
        if self.renew_deadline <= 1.2 * self.retry_period:
            raise ValueError("renew deadline must be greater than 1.2 x retry period")
        if self.retry_period <= 0:
            raise ValueError("retry period must be positive")


class LeaderElector:
    """Runs terms of leadership: `run(lead, stop)` calls `lead(fence)` for each term."""

    def __init__(self, kube: KubeClient, config: ElectionConfig, *, metrics=None, clock=time.monotonic) -> None:
        config.validate()
        self.kube = kube
        self.config = config
        self.metrics = metrics
        self._clock = clock
        self._observer = Observer(clock)
        self._obj: dict | None = None  # the Lease as last read (carries resourceVersion)
        self._term = 0
        self.path = f"/apis/coordination.k8s.io/v1/namespaces/{config.namespace}/leases/{config.name}"
        self.collection = f"/apis/coordination.k8s.io/v1/namespaces/{config.namespace}/leases"
        self.is_leader = False

    def _set_leader(self, leading: bool) -> None:
        self.is_leader = leading
        if self.metrics is not None:
            self.metrics.leader(self.config.name, leading)

    async def try_acquire_or_renew(self, timeout: float) -> bool:
        """One round trip: read, decide, write. True if we hold the Lease afterwards."""
        cfg = self.config
        try:
            obj = await self.kube.get(self.path, timeout=timeout)
        except KubeError as exc:
            if not exc.not_found:
                raise
            obj = None
        current = LeaseSpec.from_obj(obj)
        self.holder = current.holder if current is not None else ""  # for the status page
        observed_for = self._observer.observe(current)
        decision = decide(
            current,
            cfg.identity,
            observed_for=observed_for,
            lease_duration=int(round(cfg.lease_duration)),
            now_text=micro_time(),
        )
        if isinstance(decision, Wait):
            return False
        body: dict[str, Any] = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": cfg.name, "namespace": cfg.namespace},
            "spec": decision.spec.to_spec(),
        }
        if obj is None:
            written = await self.kube.request("POST", self.collection, body=body, timeout=timeout)
        else:
            body["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"]
            written = await self.kube.request("PUT", self.path, body=body, timeout=timeout)
        self._obj = written
        self.holder = cfg.identity
        self._observer.observe(LeaseSpec.from_obj(written))
        if decision.takeover and self.metrics is not None:
            self.metrics.leader_slowpath(cfg.name)
        return True

    async def release(self, timeout: float = 5.0) -> bool:
        """Hand the Lease back (graceful shutdown). Only if we still hold it."""
        cfg = self.config
        try:
            obj = await self.kube.get(self.path, timeout=timeout)
            spec = LeaseSpec.from_obj(obj)
            if spec is None or spec.holder != cfg.identity:
                return False
            now = micro_time()
            released = LeaseSpec("", 1, spec.acquire_time, now, spec.transitions)
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": cfg.name, "namespace": cfg.namespace, "resourceVersion": obj["metadata"]["resourceVersion"]},
                "spec": released.to_spec(),
            }
            await self.kube.request("PUT", self.path, body=body, timeout=timeout)
            log.info("lease released", lease=cfg.name, identity=cfg.identity)
            return True
        except KubeError as exc:
            log.warning("lease release failed", lease=cfg.name, error=str(exc))
            return False

    async def run(self, lead: Callable[[Fence], Coroutine[Any, Any, None]], stop: asyncio.Event) -> None:
        """Campaign until `stop`; for each term won, run `lead(fence)` until it returns or the term ends.

        When `stop` is set during a term, `lead` is expected to notice it (it gets
        the same event from the manager), finish or persist its work, and return;
        we keep renewing meanwhile and release the Lease afterwards.
        """
        cfg = self.config
        self._set_leader(False)
        while not stop.is_set():
            started = self._clock()
            try:
                won = await self.try_acquire_or_renew(timeout=cfg.retry_period)
            except (KubeError, asyncio.TimeoutError) as exc:
                log.info("lease acquire attempt failed", lease=cfg.name, error=str(exc))
                won = False
            if not won:
                await _sleep_or(stop, cfg.retry_period * (1.0 + 0.2 * random.random()))
                continue
            self._term += 1
            fence = Fence(cfg.identity, self._term, clock=self._clock)
            fence.extend(started + cfg.renew_deadline)
            self._set_leader(True)
            log.info("became leader", lease=cfg.name, identity=cfg.identity, term=self._term)
            task = asyncio.create_task(lead(fence), name=f"lead-term-{self._term}")
            try:
                await self._renew_until_over(fence, task)
            finally:
                lost = not fence.valid()
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                elif not task.cancelled() and task.exception() is not None:
                    log.error("leadership term ended with an error", error=repr(task.exception()))
                self._set_leader(False)
                if lost:
                    log.warning("lost leadership", lease=cfg.name, identity=cfg.identity, term=fence.term, reason=fence.reason)
                else:
                    fence.revoke("term over")
                    if stop.is_set():
                        await self.release()
                        return
                    # `lead` returned without a stop: give the lease back and campaign again.
                    await self.release()
            await _sleep_or(stop, cfg.retry_period)

    async def _renew_until_over(self, fence: Fence, task: asyncio.Task) -> None:
        cfg = self.config
        lost = asyncio.ensure_future(fence.wait_lost())
        try:
            while True:
                await asyncio.wait({task, lost}, timeout=cfg.retry_period, return_when=asyncio.FIRST_COMPLETED)
                if task.done() or not fence.valid():
                    return
                started = self._clock()
                try:
                    # Never let a renew outlive the fence: a late success must not extend a dead term.
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can drop a cancellation
                    # that arrives as the renew completes, and this loop must stop when told.
                    async with asyncio.timeout(max(0.001, fence.remaining())):
                        ok = await self.try_acquire_or_renew(timeout=fence.bounded(cfg.retry_period))
                except Exception as exc:  # noqa: BLE001 - any failure is just a missed renew
                    log.info("lease renew failed", lease=cfg.name, error=str(exc) or type(exc).__name__)
                    ok = False
                if ok and fence.valid():
                    fence.extend(started + cfg.renew_deadline)
                elif not ok:
                    if not fence.valid():
                        return  # the deadline passed during the renew: the term is over now
                    # Someone else holds it now (409 or Wait): stop at once rather than at the deadline.
                    # (The look is bounded by the fence too: the term must not outlive its deadline.)
                    current = LeaseSpec.from_obj(await self._peek(min(1.0, cfg.retry_period, fence.remaining())))
                    if current is not None and current.holder and current.holder != cfg.identity:
                        fence.revoke(f"lease taken by {current.holder}")
                        return
        finally:
            lost.cancel()

    async def _peek(self, timeout: float) -> dict | None:
        try:
            return await self.kube.get(self.path, timeout=max(0.001, timeout))
        except (KubeError, asyncio.TimeoutError):
            return None


async def _sleep_or(event: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        pass
