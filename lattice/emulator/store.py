"""In-memory Lattice state for one (account, region), with its indexes and clock.

Theory of operation
-------------------
Every resource is a plain dict ("record") in `tables[kind][id]`. Public members
use the API's names (so views are projections), bookkeeping members start with
an underscore:

    _seq      creation sequence number (stable list order, page tokens)
    _idx      the OrderedIndex keys the record is listed under
    _name     its uniqueness key in `names` (e.g. "service/rates"), if any
    _due/_next  a pending lifecycle transition: at time _due apply _next
    _visible  eventual consistency: Get/List pretend it is absent before this time
    _fail     an injected failure to land on at the next transition
    _hadTags  set once a tagged record is untagged: GetResources still lists it (tagging_api/)
    _rev      bumped by every change (ops.touch, lifecycle.py); keys the list-view cache,
              so mutate records only through those helpers

Lifecycle transitions are not timers: `tick(now)` runs at the start of every
request and applies what a heap says is due. With a delay of 0 a created
resource shows CREATE_IN_PROGRESS in the create response and ACTIVE from the
next request on, without any background task; restarts rebuild the heap from
the records' `_due` fields, so persistence needs nothing but the records.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .ids import KINDS, Kind, new_id
from .index import OrderedIndex

Record = dict[str, Any]

# Transition actions a heap entry can carry.
ACTIVATE = "ACTIVATE"  # *_IN_PROGRESS -> ACTIVE (or the injected *_FAILED)
REMOVE = "REMOVE"  # DELETE_IN_PROGRESS -> gone (or DELETE_FAILED)
UNDRAIN = "UNDRAIN"  # a DRAINING target leaves its target group


class Partition:
    """All resources of one account in one region."""

    def __init__(self, account: str, region: str, rng: random.Random) -> None:
        self.account = account
        self.region = region
        self.rng = rng
        self.tables: dict[str, dict[str, Record]] = {k: {} for k in KINDS}
        self.indexes: defaultdict[str, OrderedIndex] = defaultdict(OrderedIndex)
        self.names: dict[str, str] = {}
        self.seq = 0
        self.heap: list[tuple[float, int, str, str, str]] = []
        self._heap_n = 0
        # "Op/token" -> {"fp", "status", "body", "at", "kind", "id"}
        self.tokens: dict[str, dict[str, Any]] = {}
        # resource id -> {"policy", "createdAt", "lastUpdatedAt"}
        self.auth_policies: dict[str, Record] = {}
        # resource ARN -> {"policy"}
        self.resource_policies: dict[str, Record] = {}
        # ACM certificate ARN -> record (acm_api/: imported certificates, served on the same port)
        self.certificates: dict[str, Record] = {}
        # id -> {op: (_rev, rendered list item)}; derived, never persisted (ops.summary_renderer)
        self.view_cache: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}

    # -- records -----------------------------------------------------------
    def new_id(self, kind: Kind) -> str:
        table = self.tables[kind.name]
        while True:
            rid = new_id(kind, self.rng)
            if rid not in table:
                return rid

    def add(self, kind: Kind, rec: Record, index_keys: list[str], name_key: str | None = None) -> Record:
        self.seq += 1
        rec["_seq"] = self.seq
        rec["_idx"] = index_keys
        rec["_name"] = name_key
        self.tables[kind.name][rec["id"]] = rec
        for key in index_keys:
            self.indexes[key].add(self.seq, rec["id"])
        if name_key is not None:
            self.names[name_key] = rec["id"]
        return rec

    def get(self, kind: Kind, rid: str) -> Record | None:
        return self.tables[kind.name].get(rid)

    def remove(self, kind: Kind, rid: str) -> Record | None:
        rec = self.tables[kind.name].pop(rid, None)
        if rec is None:
            return None
        self.view_cache.pop(rid, None)
        for key in rec["_idx"]:
            index = self.indexes.get(key)
            if index is not None:
                index.discard(rec["_seq"])
                if not len(index) and key.find("@") > 0:
                    del self.indexes[key]  # per-parent indexes die with their parent
        if rec.get("_name") is not None and self.names.get(rec["_name"]) == rid:
            del self.names[rec["_name"]]
        return rec

    def count(self, key: str) -> int:
        index = self.indexes.get(key)
        return len(index) if index is not None else 0

    def rename(self, rec: Record, name_key: str | None) -> None:
        if rec.get("_name") is not None:
            self.names.pop(rec["_name"], None)
        rec["_name"] = name_key
        if name_key is not None:
            self.names[name_key] = rec["id"]

    # -- lifecycle ----------------------------------------------------------
    def schedule(self, kind: Kind, rid: str, due: float, action: str, extra: str = "") -> None:
        rec = self.tables[kind.name].get(rid)
        if rec is not None and action != UNDRAIN:
            rec["_due"] = due
            rec["_next"] = action
        self._heap_n += 1
        heapq.heappush(self.heap, (due, self._heap_n, kind.name, rid, action + ("|" + extra if extra else "")))

    def tick(self, now: float, apply: Callable[[Partition, str, str, str, str, float], None]) -> None:
        heap = self.heap
        while heap and heap[0][0] <= now:
            due, _, kind, rid, action = heapq.heappop(heap)
            action, _, extra = action.partition("|")
            if action != UNDRAIN:
                rec = self.tables[kind].get(rid)
                # A stale entry: the record was removed or rescheduled since.
                if rec is None or rec.get("_due") != due or rec.get("_next") != action:
                    continue
                rec["_due"] = rec["_next"] = None
            apply(self, kind, rid, action, extra, due)

    def rebuild_heap(self) -> None:
        self.heap = []
        for kind, table in self.tables.items():
            for rid, rec in table.items():
                if rec.get("_due") is not None:
                    self._heap_n += 1
                    self.heap.append((rec["_due"], self._heap_n, kind, rid, rec["_next"]))
                for key, target in (rec.get("_targets") or {}).items():
                    if target.get("drainUntil") is not None:
                        self._heap_n += 1
                        self.heap.append((target["drainUntil"], self._heap_n, kind, rid, UNDRAIN + "|" + key))
        heapq.heapify(self.heap)

    # -- persistence ----------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "seq": self.seq,
            "tables": self.tables,
            "tokens": self.tokens,
            "authPolicies": self.auth_policies,
            "resourcePolicies": self.resource_policies,
            "certificates": self.certificates,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], rng: random.Random) -> "Partition":
        part = cls(data["account"], data["region"], rng)
        part.seq = data["seq"]
        part.tokens = data.get("tokens", {})
        part.auth_policies = data.get("authPolicies", {})
        part.resource_policies = data.get("resourcePolicies", {})
        part.certificates = data.get("certificates", {})
        records = [(rec["_seq"], kind, rec) for kind, table in data["tables"].items() for rec in table.values()]
        for seq, kind, rec in sorted(records, key=lambda r: r[0]):
            part.tables[kind][rec["id"]] = rec
            for key in rec["_idx"]:
                part.indexes[key].add(seq, rec["id"])
            if rec.get("_name") is not None:
                part.names[rec["_name"]] = rec["id"]
        part.rebuild_heap()
        return part


class Store:
    """Every partition the emulator holds, keyed by (account, region)."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.partitions: dict[tuple[str, str], Partition] = {}

    def partition(self, account: str, region: str) -> Partition:
        part = self.partitions.get((account, region))
        if part is None:
            part = self.partitions[(account, region)] = Partition(account, region, self.rng)
        return part

    def reset(self) -> None:
        self.partitions.clear()
        # With a seed, a reset emulator hands out the same IDs again: runs are reproducible
        # (re-seeded in place, because the fault injector shares this generator).
        if self.seed is not None:
            self.rng.seed(self.seed)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "partitions": [p.to_json() for p in self.partitions.values()]}

    def load_json(self, data: dict[str, Any]) -> None:
        if data.get("version") != 1:
            raise ValueError(f"unsupported state version {data.get('version')!r}")
        self.partitions.clear()
        for pdata in data["partitions"]:
            part = Partition.from_json(pdata, self.rng)
            self.partitions[(part.account, part.region)] = part
