"""Worker coroutines: take a key, run its kind's reconciler, act on the outcome.

`WorkerPool.run(fence)` starts N workers for one leadership term. Per key:

* bind the term's fence, a fresh reconcile id and the key into the task's
  context (logs and `current_fence()` see them), open a span;
* run `reconcile(key)` under a timeout;
* map the outcome to queue operations exactly like controller-runtime's
  `reconcileHandler` (see `controller.reconcile` for the table);
* never let an exception escape: one bad reconcile neither kills its worker
  nor the process.

Stopping: `drain(grace)` stops handing out keys, waits up to `grace` seconds
for in-flight reconciles, then cancels the rest. A cancelled key is left in the
queue's *processing* set without `done`, so the durable record still says
"pending" and the next process (or leader) runs it again. `cancel()` (lost
leadership) cancels at once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time

import aiohttp
import structlog
from opentelemetry.trace import Status, StatusCode

from controller.kube import keys
from controller.kube.client import KubeError
from controller.leader.fence import Fence, LostLeadership, bind_fence, reset_fence
from controller.observe.metrics import RESULTS
from controller.queue.workqueue import WorkQueue
from controller.reconcile import Registry, Result, TemporaryError, TerminalError
from lattice.errors import LatticeError, RetryLater

# Failures of the API server, AWS or the network, not of our code: errors, never panics.
TRANSPORT_ERRORS = (KubeError, LatticeError, aiohttp.ClientError, ConnectionError)
# A RetryLater's hint is honoured, but never sooner than this (a 0 s hint must not spin the key).
MIN_RETRY_LATER = 0.5

log = structlog.get_logger("latticegw.worker")


class WorkerPool:
    def __init__(
        self,
        queue: WorkQueue,
        registry: Registry,
        *,
        workers: int = 16,
        timeout: float = 120.0,
        metrics=None,
        tracer=None,
    ) -> None:
        self.queue = queue
        self.registry = registry
        self.workers = workers
        self.timeout = timeout
        self.metrics = metrics
        self.tracer = tracer
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self.processed = 0
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(3).hex()  # reconcile ids: unique per process, cheap per call
        self._m: dict[str, tuple] = {}  # controller -> its metric children (labels() is slow)
        self.last: dict[str, dict] = {}  # key -> its last reconcile {state, error, at} (status page)
        if metrics is not None:
            for kind in registry.kinds():
                metrics.init_controller(kind.lower(), workers)

    def start(self, fence: Fence) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._worker(fence), name=f"worker-{i}") for i in range(self.workers)]

    async def drain(self, grace: float) -> list[str]:
        """Stop taking work; give in-flight reconciles `grace` s; cancel the rest. Returns cancelled keys."""
        self._stopping = True
        self.queue.shutdown()
        if not self._tasks:
            return []
        _, pending = await asyncio.wait(self._tasks, timeout=grace)
        cancelled = self.queue.processing_keys() if pending else []
        for t in pending:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        return cancelled

    async def cancel(self) -> None:
        self._stopping = True
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _metric_children(self, controller: str) -> tuple:
        children = self._m.get(controller)
        if children is None:
            m = self.metrics
            children = self._m[controller] = (
                m.active_workers.labels(controller),
                m.reconcile_time.labels(controller),
                {r: m.reconcile_total.labels(controller, r) for r in RESULTS},
            )
        return children

    async def _worker(self, fence: Fence) -> None:
        while not self._stopping:
            key = await self.queue.get()
            if key is None:
                return
            if not fence.valid():
                return  # the term is over: leave the key pending for the next leader
            await self.process(key, fence)

    async def process(self, key: str, fence: Fence) -> str:
        """Run one key. Returns the result label (success/error/requeue/requeue_after/...)."""
        kind = keys.kind_of(key)
        reconciler = self.registry.get(kind)
        if reconciler is None:
            log.warning("no reconciler for kind; dropping key", key=key)
            self.queue.forget(key)
            self.queue.done(key)
            return "dropped"
        controller = kind.lower()
        m = self.metrics
        token = bind_fence(fence)
        started = time.perf_counter()
        result_label = "success"
        error = ""
        if m is not None:
            active, timing, totals = self._metric_children(controller)
            active.inc()
        rid = f"{self._id_prefix}-{next(self._ids):x}"
        with structlog.contextvars.bound_contextvars(key=key, controller=controller, reconcile_id=rid):
            span_cm = self.tracer.start_as_current_span(f"reconcile {kind}", attributes={"latticegw.key": key}) if self.tracer else _nullspan()
            with span_cm as span:
                try:
                    # asyncio.timeout, unlike wait_for, runs the reconcile in this task (no extra task).
                    async with asyncio.timeout(self.timeout):
                        result = await reconciler.reconcile(key)
                    result = result or Result()
                    if result.requeue_after is not None and result.requeue_after > 0:
                        self.queue.forget(key)
                        self.queue.add_after(key, result.requeue_after)
                        result_label = "requeue_after"
                    elif result.requeue:
                        self.queue.add_rate_limited(key)
                        result_label = "requeue"
                    else:
                        self.queue.forget(key)
                    log.debug("reconciled", result=result_label)
                except asyncio.CancelledError:
                    # Shutdown or lost leadership: not a failure. No `done`: the key stays pending.
                    _span_error(span, "cancelled")
                    raise
                except LostLeadership as exc:
                    log.warning("reconcile stopped: leadership lost", error=str(exc))
                    _span_error(span, "lost leadership")
                    # Leave it pending (no `done`): the term is over anyway.
                    return "lost_leadership"
                except RetryLater as exc:
                    # AWS asked us to slow down (throttled beyond one call's retry budget, or our
                    # own send rate is booked for a while): the key did nothing wrong. Come back
                    # after the hint without growing its error backoff, which during a minute-long
                    # storm reached minutes and kept keys idle long after it ended.
                    result_label = "requeue_after"
                    self.queue.forget(key)
                    self.queue.add_after(key, max(exc.retry_after, MIN_RETRY_LATER))
                    log.info("reconcile deferred", reason=str(exc), retry_in=round(exc.retry_after, 3))
                except TerminalError as exc:
                    result_label = "error"
                    if m is not None:
                        m.terminal_errors.labels(controller).inc()
                        m.reconcile_errors.labels(controller).inc()
                    self.queue.forget(key)
                    error = str(exc)
                    log.error("reconcile failed permanently", error=str(exc))
                    _span_error(span, str(exc))
                except asyncio.TimeoutError:
                    result_label = "error"
                    if m is not None:
                        m.reconcile_timeouts.labels(controller).inc()
                        m.reconcile_errors.labels(controller).inc()
                    delay = self.queue.add_rate_limited(key)
                    error = f"timed out after {self.timeout:g}s"
                    log.warning("reconcile timed out", timeout=self.timeout, retry_in=round(delay, 3))
                    _span_error(span, "timeout")
                except Exception as exc:  # noqa: BLE001 - a reconcile must never kill its worker
                    result_label = "error"
                    floor = exc.retry_after if isinstance(exc, TemporaryError) and exc.retry_after else 0.0
                    # A bug is a panic (and worth a traceback); the API server or the network
                    # failing (an outage, a 5xx, a reset connection) is an error like any other.
                    expected = isinstance(exc, (TemporaryError, *TRANSPORT_ERRORS))
                    if m is not None:
                        m.reconcile_errors.labels(controller).inc()
                        if not expected:
                            m.reconcile_panics.labels(controller).inc()
                    delay = self.queue.add_rate_limited(key, floor)
                    error = str(exc) or type(exc).__name__
                    log.warning("reconcile failed", error=str(exc) or type(exc).__name__,
                                error_type=type(exc).__name__, retry_in=round(delay, 3),
                                exc_info=not expected)
                    _span_error(span, str(exc))
                finally:
                    if m is not None:
                        active.dec()
                    reset_fence(token)
        self.queue.done(key)
        self.processed += 1
        self.last[key] = {"state": result_label, "error": error,
                          "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if m is not None:
            totals[result_label].inc()
            timing.observe(time.perf_counter() - started)
        return result_label


class _nullspan:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _span_error(span, message: str) -> None:
    if span is not None:
        span.set_status(Status(StatusCode.ERROR, message))
