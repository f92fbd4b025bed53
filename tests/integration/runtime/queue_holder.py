"""A test process that holds a durable work queue, for the kill -9 tests.

    python -m tests.integration.runtime.queue_holder fill   STORE OUT.json   # fill, persist, report, hang
    python -m tests.integration.runtime.queue_holder resume STORE OUT.json   # load, report, exit

STORE is `sqlite:PATH` or `kube:KUBECONFIG:NAMESPACE`. `fill` builds 1,000 pending
keys -- ready, processing (handed out, never done), mid-backoff after 1-25
failures, and delayed -- lets the persister write them through the real
`Persister`, writes the queue's own view to OUT.json, prints READY and then waits
to be killed. `resume` builds a fresh queue from the store and writes its view.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from controller.leader.fence import AlwaysLeader
from controller.queue.persister import Persister
from controller.queue.workqueue import WorkQueue


async def make_store(spec: str):
    if spec.startswith("sqlite:"):
        from controller.queue.store_sqlite import SqliteQueueStore

        return SqliteQueueStore(spec[len("sqlite:"):]), None
    _, kubeconfig, namespace = spec.split(":", 2)
    from controller.kube.client import KubeClient, load_configuration
    from controller.queue.store_kube import KubeQueueStore

    kube = KubeClient(await load_configuration(kubeconfig))
    return KubeQueueStore(kube, namespace, shards=8), kube


def view(q: WorkQueue) -> dict:
    return {
        "records": {r.key: [r.failures, r.pending, r.not_before] for r in q.snapshot()},
        "ready": sorted(q._waiting),  # noqa: SLF001 - test introspection
        "delayed": sorted(q._ready_at),  # noqa: SLF001
    }


async def fill(store_spec: str, out: str) -> None:
    store, kube = await make_store(store_spec)
    q = WorkQueue(bucket_qps=0)
    for i in range(600):
        q.add(f"HTTPRoute/ns-{i % 7}/ready-{i}")
    for i in range(50):
        q.add(f"Gateway/ns/busy-{i}")
    while (k := q.get_nowait()) is not None and not k.startswith("Gateway/"):
        q.done(k)  # hand out and finish the routes, then re-add below: exercises done()
        q.add(k)
    handed = [k for k in q.processing_keys()]
    while len(handed) < 50:
        k = q.get_nowait()
        if k is None:
            break
        if k.startswith("Gateway/"):
            handed.append(k)
        else:
            q.done(k)
            q.add(k)
    for i in range(250):
        key = f"HTTPRoute/backoff/k-{i}"
        for _ in range(1 + i % 25):
            q.add_rate_limited(key)  # up to 25 failures: backoffs from 5 ms to 1000 s
    for i in range(100):
        q.add_after(f"Service/later/s-{i}", 300 + i)
    persister = Persister(q, store, interval=0.05)
    task = asyncio.create_task(persister.run(AlwaysLeader()))
    while q.has_changes() or persister.batches == 0:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # one more interval: nothing left unwritten
    assert not q.has_changes()
    with open(out, "wb") as f:
        f.write(orjson.dumps(view(q)))
    print("READY", len(q.pending_keys()), flush=True)
    await asyncio.sleep(3600)
    task.cancel()


async def resume(store_spec: str, out: str) -> None:
    store, kube = await make_store(store_spec)
    q = WorkQueue(bucket_qps=0)
    q.load(await store.load())
    with open(out, "wb") as f:
        f.write(orjson.dumps(view(q)))
    await store.close()
    if kube is not None:
        await kube.close()


if __name__ == "__main__":
    mode, spec, out = sys.argv[1:4]
    asyncio.run(fill(spec, out) if mode == "fill" else resume(spec, out))
