"""Stopping the persister always works, even when the cancel lands as a batch write completes.

(Python 3.11's asyncio.wait_for returns the inner result and drops the cancellation when both
happen in the same loop iteration; the persister then kept looping and the manager's shutdown
waited for it forever.)
"""

import asyncio

from controller.leader.fence import AlwaysLeader
from controller.queue.persister import Persister
from controller.queue.store import MemoryQueueStore
from controller.queue.workqueue import WorkQueue


class CancelsWhileSaving(MemoryQueueStore):
    """A store whose write completes at once, and which cancels the persister meanwhile."""

    task: asyncio.Task | None = None

    async def save(self, upserts, deletes, *, fence=None):
        if self.task is not None:
            self.task.cancel()
        return await super().save(upserts, deletes, fence=fence)


async def test_cancel_during_a_batch_write_stops_the_persister():
    queue = WorkQueue("t")
    store = CancelsWhileSaving()
    persister = Persister(queue, store, interval=0.001)
    queue.add("HTTPRoute/ns/a")
    task = asyncio.create_task(persister.run(AlwaysLeader()))
    store.task = task
    done, _ = await asyncio.wait({task}, timeout=2.0)
    assert done, "the persister ignored its cancellation and kept running"
    assert task.cancelled()
