"""The ConfigMap queue store: sharding, optimistic concurrency, fencing."""

from __future__ import annotations

import pytest

from controller.leader.fence import AlwaysLeader, Fence, LostLeadership
from controller.queue.store import QueueRecord
from controller.queue.store_kube import KubeQueueStore
from controller.queue.store_sqlite import SqliteQueueStore

from .fakekube import FakeKube

BASE = "/api/v1/namespaces/sys/configmaps"


def recs(n, failures=0):
    return [QueueRecord(f"HTTPRoute/ns/r-{i}", failures, True, 0.0) for i in range(n)]


async def test_roundtrip_sharded_and_only_dirty_shards_written():
    kube = FakeKube()
    s = KubeQueueStore(kube, "sys", shards=4)
    await s.load()
    await s.save(recs(100), [], fence=AlwaysLeader())
    assert s.writes == 4 and len([p for p in kube.objects if p.startswith(BASE)]) == 4
    one = QueueRecord("HTTPRoute/ns/r-7", 3, True, 1234.5)
    before = s.writes
    await s.save([one], [], fence=AlwaysLeader())
    assert s.writes == before + 1, "one changed key rewrites one shard"
    await s.save([], ["HTTPRoute/ns/r-8"], fence=AlwaysLeader())
    again = KubeQueueStore(kube, "sys", shards=4)
    loaded = {r.key: r for r in await again.load()}
    assert len(loaded) == 99 and loaded["HTTPRoute/ns/r-7"] == one


async def test_conflict_from_a_late_writer_is_overwritten_by_the_leader():
    kube = FakeKube()
    s = KubeQueueStore(kube, "sys", shards=1)
    await s.load()
    await s.save(recs(2), [], fence=AlwaysLeader())
    # A previous leader's late write bumps the resourceVersion behind our back.
    path = f"{BASE}/latticegw-queue-00"
    kube.objects[path]["data"]["queue.json"] = "{}"
    kube.rv += 1
    kube.objects[path]["metadata"]["resourceVersion"] = str(kube.rv)
    await s.save(recs(3), [], fence=AlwaysLeader())
    loaded = await KubeQueueStore(kube, "sys", shards=1).load()
    assert len(loaded) == 3


async def test_no_write_once_the_fence_is_gone():
    kube = FakeKube()
    s = KubeQueueStore(kube, "sys", shards=2)
    await s.load()
    t = [0.0]
    fence = Fence("me", 1, clock=lambda: t[0])
    fence.extend(5.0)
    await s.save(recs(4), [], fence=fence)
    writes = s.writes
    t[0] = 6.0
    with pytest.raises(LostLeadership):
        await s.save(recs(5), [], fence=fence)
    assert s.writes == writes


async def test_resharding_keeps_every_key_and_never_resurrects_deleted_ones():
    kube = FakeKube()
    s = KubeQueueStore(kube, "sys", shards=7)
    await s.load()
    await s.save(recs(50, failures=2), [], fence=AlwaysLeader())
    smaller = KubeQueueStore(kube, "sys", shards=3)
    loaded = await smaller.load()
    assert len(loaded) == 50 and all(r.failures == 2 for r in loaded)
    await smaller.save([], ["HTTPRoute/ns/r-0"], fence=AlwaysLeader())
    again = await KubeQueueStore(kube, "sys", shards=3).load()
    assert len(again) == 49 and "HTTPRoute/ns/r-0" not in {r.key for r in again}
    bigger = await KubeQueueStore(kube, "sys", shards=7).load()
    assert {r.key for r in bigger} == {r.key for r in again}, "orphaned shards were emptied"


async def test_sqlite_roundtrip(tmp_path):
    s = SqliteQueueStore(str(tmp_path / "q.db"))
    await s.save(recs(10), [])
    await s.save([QueueRecord("HTTPRoute/ns/r-1", 4, True, 99.5)], ["HTTPRoute/ns/r-2"])
    await s.close()
    s2 = SqliteQueueStore(str(tmp_path / "q.db"))
    loaded = {r.key: r for r in await s2.load()}
    assert len(loaded) == 9 and loaded["HTTPRoute/ns/r-1"] == QueueRecord("HTTPRoute/ns/r-1", 4, True, 99.5)
    await s2.close()
