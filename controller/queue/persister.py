"""Writes the work queue's journal to its durable store in coalesced batches.

Every `interval` (50 ms by default) the persister drains the keys the queue
changed and writes their current records in one batch: a burst of 10,000 adds
becomes a handful of writes, and a key changed ten times in one interval is
written once. Only the leader persists, and only while its fence holds: a
replica that may have lost the Lease must not overwrite what the new leader
writes. A failed batch puts its keys back into the journal and is retried
(with backoff) in the next round.

So the durability promise is: state older than one interval plus one write
survives kill -9. The startup resync covers the rest (every cached object is
re-enqueued at low priority on takeover, and reconciles are idempotent).
"""

from __future__ import annotations

import asyncio

import structlog

from controller.leader.fence import Fence
from controller.queue.store import QueueStore
from controller.queue.workqueue import WorkQueue

log = structlog.get_logger("latticegw.persister")


class Persister:
    def __init__(self, queue: WorkQueue, store: QueueStore, *, interval: float = 0.05, metrics=None) -> None:
        self.queue = queue
        self.store = store
        self.interval = interval
        self.metrics = metrics
        self.batches = 0
        self.flushed = asyncio.Event()  # set after each successful batch (tests wait on it)

    async def flush(self, fence: Fence) -> bool:
        """Write what changed since the last flush. False if it could not."""
        if not self.queue.has_changes():
            return True
        if not fence.valid():
            return False
        upserts, deletes = self.queue.drain_changes()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancellation that arrives as the
            # write completes, and the persister (so the manager's shutdown) would never stop.
            async with asyncio.timeout(fence.bounded(30.0)):
                await self.store.save(upserts, deletes, fence=fence)
        except Exception as exc:  # noqa: BLE001 - any failure: keep the journal, retry later
            self.queue.mark_changed([r.key for r in upserts] + deletes)
            if self.metrics is not None:
                self.metrics.queue_store_writes.labels("error").inc()
            log.warning("queue store write failed", error=str(exc) or type(exc).__name__, keys=len(upserts) + len(deletes))
            return False
        self.batches += 1
        if self.metrics is not None:
            self.metrics.queue_store_writes.labels("ok").inc()
        self.flushed.set()
        return True

    async def run(self, fence: Fence) -> None:
        delay = self.interval
        while fence.valid():
            await asyncio.sleep(delay)
            ok = await self.flush(fence)
            delay = self.interval if ok else min(5.0, delay * 2)
