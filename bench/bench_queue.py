"""Work-queue throughput: add / get / done operations per second.

Three shapes, each printed as operations/s (one add + one get + one done = 3 ops):
  * sync: add N distinct keys, then get+done them all (plain methods, no awaits);
  * dedupe: add the same 1,000 keys 100 times (only the first add queues);
  * async: N worker coroutines doing `await get()` / `done()` while a producer adds;
  * journal: the durable journal drained into a SQLite store in coalesced batches.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controller.queue.store_sqlite import SqliteQueueStore  # noqa: E402
from controller.queue.workqueue import WorkQueue  # noqa: E402

N = 200_000


def bench_sync() -> float:
    q = WorkQueue(bucket_qps=0)
    keys = [f"HTTPRoute/ns-{i % 50}/route-{i}" for i in range(N)]
    t = time.perf_counter()
    for k in keys:
        q.add(k)
    while (k := q.get_nowait()) is not None:
        q.done(k)
    return 3 * N / (time.perf_counter() - t)


def bench_dedupe() -> float:
    q = WorkQueue(bucket_qps=0)
    keys = [f"Gateway/ns/gw-{i}" for i in range(1000)]
    t = time.perf_counter()
    for _ in range(100):
        for k in keys:
            q.add(k)
    dt = time.perf_counter() - t
    assert len(q) == 1000
    return 100_000 / dt


async def bench_async(workers: int = 16) -> float:
    q = WorkQueue(bucket_qps=0)
    done = 0

    async def worker():
        nonlocal done
        while (k := await q.get()) is not None:
            q.done(k)
            done += 1

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    t = time.perf_counter()
    for i in range(N):
        q.add(f"HTTPRoute/ns/r-{i}")
        if i % 256 == 0:
            await asyncio.sleep(0)
    while done < N:
        await asyncio.sleep(0.001)
    dt = time.perf_counter() - t
    q.shutdown()
    await asyncio.gather(*tasks)
    return 3 * N / dt


async def bench_journal() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as d:
        store = SqliteQueueStore(os.path.join(d, "q.sqlite3"))
        q = WorkQueue(bucket_qps=0)
        t = time.perf_counter()
        batches = 0
        for i in range(N):
            q.add(f"HTTPRoute/ns/r-{i}")
            if i % 5000 == 4999:  # a flush every 5,000 adds (the persister flushes every 50 ms)
                await store.save(*q.drain_changes())
                batches += 1
        await store.save(*q.drain_changes())
        dt = time.perf_counter() - t
        await store.close()
        return N / dt, batches + 1


async def bench_workers(n: int = 50_000, workers: int = 16) -> float:
    """Reconciles/s through the WorkerPool with a no-op reconciler: the runtime's own
    per-reconcile cost (fence binding, log context, span, metrics, queue ops)."""
    import io

    from controller.leader.fence import AlwaysLeader
    from controller.observe import logging as logging_mod
    from controller.observe.metrics import Metrics
    from controller.observe.tracing import Tracing
    from controller.reconcile import Registry, Result
    from controller.workers import WorkerPool

    logging_mod.configure("info", io.BytesIO(), cache=False)

    class Noop:
        async def reconcile(self, key):
            return Result()

    m = Metrics()
    tracing = Tracing(environ={})
    reg = Registry()
    reg.register("HTTPRoute", Noop())
    q = WorkQueue(bucket_qps=0, metrics=m.queue_metrics("latticegw"))
    pool = WorkerPool(q, reg, workers=workers, metrics=m, tracer=tracing.tracer)
    for i in range(n):
        q.add(f"HTTPRoute/ns/r-{i}")
    t = time.perf_counter()
    pool.start(AlwaysLeader())
    while pool.processed < n:
        await asyncio.sleep(0.005)
    dt = time.perf_counter() - t
    await pool.drain(1.0)
    tracing.shutdown()
    return n / dt


def main() -> None:
    print(f"queue sync add+get+done:      {bench_sync():>12,.0f} ops/s  ({N:,} keys)")
    print(f"queue dedupe add (no-op):     {bench_dedupe():>12,.0f} adds/s")
    print(f"queue async 16 workers:       {asyncio.run(bench_async()):>12,.0f} ops/s")
    rate, batches = asyncio.run(bench_journal())
    print(f"queue add + SQLite journal:   {rate:>12,.0f} adds/s  ({batches} batches)")
    r = asyncio.run(bench_workers())
    print(f"workers, no-op reconcile:     {r:>12,.0f} reconciles/s  ({1e6 / r:.0f} µs runtime cost each: "
          "span, logs, metrics, queue)")


if __name__ == "__main__":
    main()
