"""The deduplicating, rate-limited, delay-capable, durable work queue.

Theory of operation
-------------------
The queue holds string keys (`Kind/namespace/name`). Its rules are client-go's
`workqueue` rules (see `gateway-api-and-runtime.md` Part C), plus a durable journal:

* A key is *waiting* at most once however often it is added (dedupe).
* A key handed out by `get` is *processing* until `done`. It is never handed to a
  second worker meanwhile; an `add` during processing marks it *redo*, and `done`
  puts it back to waiting, so the change that arrived mid-reconcile is not lost.
* `add_after` parks a key in a *delayed* heap until its time comes. If the key is
  already delayed, the earlier time wins. `add_rate_limited` counts a failure
  and parks the key for max(per-key exponential backoff, overall token bucket,
  caller's minimum). `forget` resets the failure count (call it on success).
* Two priorities: live events (`HIGH`) are handed out before startup and resync
  replays (`LOW`), so a user's edit is not stuck behind 20,000 startup keys
  (controller-runtime >= 0.23 does the same with priority -100). A `LOW` add never
  cuts a key's backoff short; a `HIGH` add does (as in client-go: a fresh event
  deserves a fresh look).
* `shutdown` makes `get` return None at once: workers stop taking work, and
  whatever is still pending stays in the queue to be persisted.

Every state change is a plain method that takes no await; the only awaits are in
`get`. Every change also records the key in a journal (`drain_changes`), from
which the persister writes coalesced batches to a `QueueStore`. Times inside the
queue are monotonic; durable records carry wall-clock `not_before` instead,
because a monotonic clock means nothing to the next process.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from controller.queue.ratelimit import Backoff, TokenBucket
from controller.queue.store import QueueRecord

HIGH = 0
LOW = -100


class QueueMetricsSink(Protocol):
    """What the queue reports; `controller.observe.metrics.QueueMetrics` implements it for Prometheus."""

    def add(self) -> None: ...
    def depth(self, n: int) -> None: ...
    def queue_latency(self, seconds: float) -> None: ...
    def work_duration(self, seconds: float) -> None: ...
    def retry(self) -> None: ...


class NullQueueMetrics:
    """Reports nothing (tests, benchmarks)."""

    def add(self) -> None: ...
    def depth(self, n: int) -> None: ...
    def queue_latency(self, seconds: float) -> None: ...
    def work_duration(self, seconds: float) -> None: ...
    def retry(self) -> None: ...


class WorkQueue:
    def __init__(
        self,
        name: str = "latticegw",
        *,
        backoff: Backoff | None = None,
        bucket_qps: float = 10.0,
        bucket_burst: int = 100,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        metrics: QueueMetricsSink | None = None,
    ) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._wall = wall
        self._offset: float | None = None  # see _wall_offset
        self._rand = rand
        self._bucket = TokenBucket(bucket_qps, bucket_burst, clock())
        self.metrics = metrics or NullQueueMetrics()

        self._waiting: dict[str, int] = {}  # key -> priority; ready to hand out
        self._high: deque[str] = deque()  # may hold stale entries (lazy deletion)
        self._low: deque[str] = deque()
        self._enqueued_at: dict[str, float] = {}
        self._processing: dict[str, float] = {}  # key -> start time
        self._redo: dict[str, int] = {}  # added while processing
        self._delayed: list[tuple[float, int, str]] = []  # heap, may hold stale entries
        self._ready_at: dict[str, float] = {}
        self._seq = itertools.count()
        self._failures: dict[str, int] = {}
        self._changed: set[str] = set()
        self._shutting_down = False
        self._event: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ adds
    def add(self, key: str, priority: int = HIGH) -> None:
        if self._shutting_down:
            return
        if priority <= LOW and key in self._ready_at:
            # A replay must not cut a retry's backoff short (no retry storm on takeover).
            return
        self._changed.add(key)
        self.metrics.add()
        if key in self._processing:
            self._redo[key] = max(priority, self._redo.get(key, priority))
            return
        self._ready_at.pop(key, None)  # a fresh event supersedes a parked retry
        current = self._waiting.get(key)
        if current is not None:
            if priority > current:
                self._waiting[key] = priority
                self._high.append(key)
            return
        self._push_waiting(key, priority)

    def _push_waiting(self, key: str, priority: int) -> None:
        self._waiting[key] = priority
        (self._high if priority > LOW else self._low).append(key)
        self._enqueued_at.setdefault(key, self._clock())
        self.metrics.depth(len(self._waiting))
        self._wake()

    def add_after(self, key: str, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        self._park_until(key, self._clock() + delay)

    def _park_until(self, key: str, at: float) -> None:
        """Hold `key` until monotonic time `at` (sooner if it is already due earlier)."""
        if self._shutting_down:
            return
        if key in self._waiting:
            return  # it will run sooner than that anyway
        current = self._ready_at.get(key)
        if current is not None and current <= at:
            return
        self._changed.add(key)
        self._ready_at[key] = at
        heapq.heappush(self._delayed, (at, next(self._seq), key))
        self._arm_timer()

    def add_rate_limited(self, key: str, min_delay: float = 0.0) -> float:
        """Count a failure and park the key for its backoff. Returns the delay used."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        self._changed.add(key)
        self.metrics.retry()
        now = self._clock()
        delay = max(self.backoff.delay(failures, self._rand), self._bucket.reserve(now), min_delay)
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        if self._failures.pop(key, None) is not None:
            self._changed.add(key)

    def num_requeues(self, key: str) -> int:
        return self._failures.get(key, 0)

    # ------------------------------------------------------------------ gets
    def get_nowait(self) -> str | None:
        """Hand out the next ready key, or None. The caller must call `done(key)`."""
        now = self._clock()
        self._promote_due(now)
        for dq in (self._high, self._low):
            while dq:
                key = dq.popleft()
                prio = self._waiting.get(key)
                if prio is None or (dq is self._low and prio > LOW):
                    continue  # stale: already handed out, or promoted to HIGH
                del self._waiting[key]
                self._processing[key] = now
                self._changed.add(key)
                self.metrics.queue_latency(now - self._enqueued_at.pop(key, now))
                self.metrics.depth(len(self._waiting))
                return key
        return None

    async def get(self) -> str | None:
        """Wait for a key. Returns None once the queue is shut down."""
        if self._event is None:
            self._event = asyncio.Event()
        while True:
            if self._shutting_down:
                return None
            key = self.get_nowait()
            if key is not None:
                return key
            self._event.clear()
            self._arm_timer()
            await self._event.wait()

    def done(self, key: str) -> None:
        started = self._processing.pop(key, None)
        if started is None:
            return
        self._changed.add(key)
        self.metrics.work_duration(self._clock() - started)
        prio = self._redo.pop(key, None)
        if prio is not None and not self._shutting_down:
            self._push_waiting(key, prio)
        elif prio is not None:
            self._redo[key] = prio  # keep it pending so it is persisted

    def shutdown(self) -> None:
        self._shutting_down = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._event is not None:
            self._event.set()

    def reopen(self) -> None:
        """Accept work again after `shutdown` (a new leadership term)."""
        self._shutting_down = False

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    # ------------------------------------------------------------ delayed keys
    def _promote_due(self, now: float) -> None:
        heap = self._delayed
        while heap and heap[0][0] <= now:
            at, _, key = heapq.heappop(heap)
            if self._ready_at.get(key) != at:
                continue  # stale entry: superseded by an earlier time or a fresh add
            del self._ready_at[key]
            if key in self._processing:
                self._redo[key] = max(HIGH, self._redo.get(key, HIGH))
            elif key not in self._waiting:
                self._push_waiting(key, HIGH)

    def next_due(self) -> float | None:
        while self._delayed and self._ready_at.get(self._delayed[0][2]) != self._delayed[0][0]:
            heapq.heappop(self._delayed)
        return self._delayed[0][0] if self._delayed else None

    def _arm_timer(self) -> None:
        due = self.next_due()
        if due is None or self._shutting_down:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (pure unit tests): get_nowait promotes on its own
        when = loop.time() + max(0.0, due - self._clock())
        if self._timer is not None and not self._timer.cancelled() and self._timer.when() <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._promote_due(self._clock())
        self._arm_timer()

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()

    # ------------------------------------------------------------- inspection
    def __len__(self) -> int:
        """Depth: keys ready to be handed out (the `workqueue_depth` gauge)."""
        return len(self._waiting)

    def is_pending(self, key: str) -> bool:
        return key in self._waiting or key in self._processing or key in self._redo or key in self._ready_at

    def pending_keys(self) -> set[str]:
        return set(self._waiting) | set(self._processing) | set(self._redo) | set(self._ready_at)

    def processing_keys(self) -> list[str]:
        return list(self._processing)

    def failure_counts(self, limit: int = 200) -> dict[str, int]:
        """Keys with consecutive failures (the worst `limit`), for /debug/status."""
        worst = sorted(self._failures.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(worst)

    def delayed_count(self) -> int:
        return len(self._ready_at)

    def unfinished_work(self) -> tuple[float, float]:
        """(sum of, longest) seconds that processing keys have been running."""
        now = self._clock()
        ages = [now - t for t in self._processing.values()]
        return (sum(ages), max(ages, default=0.0))

    # -------------------------------------------------------------- durability
    def record(self, key: str) -> QueueRecord | None:
        """What the store must hold for `key` now; None means: delete it."""
        failures = self._failures.get(key, 0)
        running = key in self._waiting or key in self._processing or key in self._redo
        at = self._ready_at.get(key)
        if not running and at is None:
            return QueueRecord(key, failures, False, 0.0) if failures else None
        not_before = 0.0
        if not running and at is not None:
            not_before = at + self._wall_offset()
        return QueueRecord(key, failures, True, not_before)

    def _wall_offset(self) -> float:
        """wall clock − monotonic clock, measured once per queue.

        Persisted not-before times are wall-clock (another process reads them), the queue runs on
        the monotonic clock. Converting with one fixed offset makes the conversion exact both ways
        within a process; reading both clocks at every conversion made each value drift by however
        long the process was preempted between the two reads (tens of ms on a loaded machine). The
        offset is taken from the sample with the shortest monotonic bracket of a few, so a
        preemption during the measurement does not skew it either.
        """
        if self._offset is None:
            best: tuple[float, float] | None = None
            for _ in range(5):
                before = self._clock()
                wall = self._wall()
                span = self._clock() - before
                if best is None or span < best[0]:
                    best = (span, wall - (before + span / 2))
            assert best is not None
            self._offset = best[1]
        return self._offset

    def snapshot(self) -> list[QueueRecord]:
        keys = self.pending_keys() | set(self._failures)
        return [r for r in (self.record(k) for k in sorted(keys)) if r is not None]

    def drain_changes(self) -> tuple[list[QueueRecord], list[str]]:
        """Records to upsert and keys to delete since the last drain."""
        changed, self._changed = self._changed, set()
        upserts: list[QueueRecord] = []
        deletes: list[str] = []
        for key in changed:
            rec = self.record(key)
            if rec is None:
                deletes.append(key)
            else:
                upserts.append(rec)
        return upserts, deletes

    def mark_changed(self, keys: Iterable[str]) -> None:
        """Put keys back into the journal (a batch write failed)."""
        self._changed.update(keys)

    def has_changes(self) -> bool:
        return bool(self._changed)

    def load(self, records: Iterable[QueueRecord]) -> int:
        """Restore persisted state (at start or takeover). Returns pending keys restored.

        Failure counts and not-before times survive, so a new leader neither loses
        work nor restarts everyone's backoff from zero.
        """
        n = 0
        loaded: list[str] = []
        for r in records:
            loaded.append(r.key)
            if r.failures:
                self._failures[r.key] = max(r.failures, self._failures.get(r.key, 0))
            if not r.pending:
                continue
            n += 1
            at = r.not_before - self._wall_offset() if r.not_before else 0.0
            if at > self._clock():
                self._park_until(r.key, at)
            else:
                self.add(r.key)
        self._changed.difference_update(loaded)  # the store already holds these
        return n

    def clear(self) -> None:
        """Forget everything in memory (leadership lost: the store keeps the truth)."""
        self._waiting.clear()
        self._high.clear()
        self._low.clear()
        self._enqueued_at.clear()
        self._processing.clear()
        self._redo.clear()
        self._delayed.clear()
        self._ready_at.clear()
        self._failures.clear()
        self._changed.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.metrics.depth(0)
