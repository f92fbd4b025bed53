"""Kubernetes backend for the durable queue: ConfigMaps in the controller's namespace (HA).

Every replica can read it, so a new leader picks up the pending keys and
backoff state of the old one. Layout: `shards` ConfigMaps named
`<prefix>-NN`; a key lives in shard `crc32(key) % shards`; each holds one
JSON document `{key: [failures, pending, not_before]}` under `data.queue.json`.
At ~60 bytes a record and the 1 MiB object limit, 16 shards hold well over
100,000 pending keys; the store refuses to write a shard over 900 KiB rather
than have the API server reject it.

Changing the shard count is safe: `load` finds keys under their old shard,
rewrites their new home shards at the next save, and empties ConfigMaps beyond
the new count so they can never bring a deleted key back.

Writes: the store keeps a mirror of every shard (loaded at `load()`), applies
a batch to the mirror, and replaces only the dirty shards, in parallel, each
with its last known resourceVersion (optimistic concurrency). Before each
write it checks the fence and bounds the request timeout by the fence, so a
replica that has lost the Lease stops writing before another can take it. A
409 means someone wrote the shard since we read it: only a previous leader's
late write can do that, and the current leader's state wins, so we re-read
the resourceVersion and write again.
"""

from __future__ import annotations

import asyncio
import zlib

import orjson

from controller.kube.client import KubeClient, KubeError
from controller.leader.fence import Fence
from controller.queue.store import QueueRecord, decode_record, encode_record

MAX_SHARD_BYTES = 900 * 1024
DATA_KEY = "queue.json"
LABEL = "latticegw.io/queue"


class ShardTooLarge(Exception):
    pass


class KubeQueueStore:
    def __init__(self, kube: KubeClient, namespace: str, *, prefix: str = "latticegw-queue", shards: int = 16) -> None:
        self.kube = kube
        self.namespace = namespace
        self.prefix = prefix
        self.shards = shards
        self._mirror: list[dict[str, list]] = [{} for _ in range(shards)]
        self._rv: list[str | None] = [None] * shards
        self.writes = 0
        self._orphans: dict[str, str] = {}
        self._rewrite: set[int] = set()
        self._base = f"/api/v1/namespaces/{namespace}/configmaps"

    def shard_of(self, key: str) -> int:
        return zlib.crc32(key.encode()) % self.shards

    def name(self, shard: int) -> str:
        return f"{self.prefix}-{shard:02d}"

    async def load(self) -> list[QueueRecord]:
        doc = await self.kube.get(self._base, {"labelSelector": f"{LABEL}={self.prefix}"}, timeout=30)
        self._mirror = [{} for _ in range(self.shards)]
        self._rv = [None] * self.shards
        self._orphans = {}  # ConfigMaps beyond the shard count -> resourceVersion
        self._rewrite = set()
        misplaced: dict[str, list] = {}
        for cm in doc.get("items") or ():
            name = cm["metadata"]["name"]
            try:
                shard = int(name.rsplit("-", 1)[1])
            except (IndexError, ValueError):
                continue
            entries = orjson.loads((cm.get("data") or {}).get(DATA_KEY) or "{}")
            if shard < self.shards:
                self._rv[shard] = cm["metadata"]["resourceVersion"]
            else:
                self._orphans[name] = cm["metadata"]["resourceVersion"]
            for key, value in entries.items():
                home = self.shard_of(key)
                if home == shard:
                    self._mirror[home][key] = value
                else:
                    # Written under another shard count: keep it unless its home shard has it too.
                    misplaced[key] = value
                    self._rewrite.add(home)
                    if shard < self.shards:
                        self._rewrite.add(shard)
        for key, value in misplaced.items():
            self._mirror[self.shard_of(key)].setdefault(key, value)
        return sorted(
            (decode_record(k, v) for shard in self._mirror for k, v in shard.items()), key=lambda r: r.key
        )

    async def save(self, upserts: list[QueueRecord], deletes: list[str], fence: Fence | None = None) -> None:
        dirty: set[int] = set(self._rewrite)
        self._rewrite = set()
        for name, rv in list(self._orphans.items()):
            # Left over from a larger shard count: empty it so it can never resurrect keys.
            body = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": self.namespace, "resourceVersion": rv,
                                 "labels": {LABEL: self.prefix, "app.kubernetes.io/managed-by": "latticegw"}},
                    "data": {DATA_KEY: "{}"}}
            timeout = fence.bounded(10.0) if fence is not None else 10.0
            await self.kube.request("PUT", f"{self._base}/{name}", body=body, timeout=timeout)
            del self._orphans[name]
        for key in deletes:
            s = self.shard_of(key)
            if self._mirror[s].pop(key, None) is not None:
                dirty.add(s)
        for rec in upserts:
            s = self.shard_of(rec.key)
            self._mirror[s][rec.key] = encode_record(rec)
            dirty.add(s)
        if dirty:
            await asyncio.gather(*(self._write(s, fence) for s in sorted(dirty)))

    def _body(self, shard: int) -> dict:
        data = orjson.dumps(self._mirror[shard], option=orjson.OPT_SORT_KEYS).decode()
        if len(data) > MAX_SHARD_BYTES:
            raise ShardTooLarge(f"{self.name(shard)} would hold {len(data)} bytes; raise LATTICEGW_QUEUE_SHARDS")
        meta: dict = {
            "name": self.name(shard),
            "namespace": self.namespace,
            "labels": {LABEL: self.prefix, "app.kubernetes.io/managed-by": "latticegw"},
        }
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {DATA_KEY: data}}

    async def _write(self, shard: int, fence: Fence | None) -> None:
        for attempt in range(3):
            timeout = fence.bounded(10.0) if fence is not None else 10.0
            body = self._body(shard)
            try:
                if self._rv[shard] is None:
                    written = await self.kube.request("POST", self._base, body=body, timeout=timeout)
                else:
                    body["metadata"]["resourceVersion"] = self._rv[shard]
                    written = await self.kube.request("PUT", f"{self._base}/{self.name(shard)}", body=body, timeout=timeout)
            except KubeError as exc:
                if attempt < 2 and exc.status in (404, 409):
                    self._rv[shard] = await self._current_rv(shard, fence)
                    continue
                raise
            self._rv[shard] = written["metadata"]["resourceVersion"]
            self.writes += 1
            return

    async def _current_rv(self, shard: int, fence: Fence | None) -> str | None:
        timeout = fence.bounded(10.0) if fence is not None else 10.0
        try:
            cm = await self.kube.get(f"{self._base}/{self.name(shard)}", timeout=timeout)
        except KubeError as exc:
            if exc.not_found:
                return None
            raise
        return cm["metadata"]["resourceVersion"]

    async def close(self) -> None:
        pass
