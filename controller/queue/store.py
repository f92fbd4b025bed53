"""The durable queue's storage contract, and an in-memory backend for tests.

A backend keeps one `QueueRecord` per key that is pending or has failures:

* `load()` returns every record (at start, or when this replica becomes leader);
* `save(upserts, deletes)` applies one coalesced batch, atomically where the
  backend can (SQLite: one transaction; Kubernetes: one write per dirty shard).

Backends never decide anything; the queue owns the semantics and the persister
(`controller.queue.persister`) owns the timing and the fencing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QueueRecord:
    key: str
    failures: int  # consecutive failures, drives the backoff
    pending: bool  # the key still needs a reconcile
    not_before: float  # wall-clock epoch seconds; 0 = as soon as possible


class QueueStore(Protocol):
    async def load(self) -> list[QueueRecord]: ...

    async def save(self, upserts: list[QueueRecord], deletes: list[str], fence=None) -> None: ...

    async def close(self) -> None: ...


class MemoryQueueStore:
    """Not durable at all: for tests and for `--queue-store=memory`."""

    def __init__(self) -> None:
        self.records: dict[str, QueueRecord] = {}
        self.saves = 0

    async def load(self) -> list[QueueRecord]:
        return sorted(self.records.values(), key=lambda r: r.key)

    async def save(self, upserts: list[QueueRecord], deletes: list[str], fence=None) -> None:
        self.saves += 1
        for key in deletes:
            self.records.pop(key, None)
        for rec in upserts:
            self.records[rec.key] = rec

    async def close(self) -> None:
        pass


def encode_record(rec: QueueRecord) -> list:
    """Compact JSON form shared by the backends: [failures, pending, not_before]."""
    return [rec.failures, 1 if rec.pending else 0, round(rec.not_before, 3)]


def decode_record(key: str, value: list) -> QueueRecord:
    failures, pending, not_before = value
    return QueueRecord(key, int(failures), bool(pending), float(not_before))
