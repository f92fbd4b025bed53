"""SQLite backend for the durable queue: the embedded default for one replica.

One table, one row per key. Each batch is a single transaction run in a worker
thread (`asyncio.to_thread`), so the event loop never blocks on fsync. WAL mode
with synchronous=NORMAL survives a process crash (kill -9) without losing a
committed batch; only an OS crash can lose the last batches, which the startup
resync covers anyway.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from controller.queue.store import QueueRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    not_before REAL NOT NULL
) WITHOUT ROWID
"""


class SqliteQueueStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()  # one connection, used from one thread at a time
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def _load(self) -> list[QueueRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, failures, pending, not_before FROM queue ORDER BY key"
            ).fetchall()
        return [QueueRecord(k, int(f), bool(p), float(nb)) for k, f, p, nb in rows]

    def _save(self, upserts: list[QueueRecord], deletes: list[str]) -> None:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN")
            try:
                if deletes:
                    cur.executemany("DELETE FROM queue WHERE key = ?", [(k,) for k in deletes])
                if upserts:
                    cur.executemany(
                        "INSERT OR REPLACE INTO queue (key, failures, pending, not_before) VALUES (?, ?, ?, ?)",
                        [(r.key, r.failures, int(r.pending), r.not_before) for r in upserts],
                    )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    async def load(self) -> list[QueueRecord]:
        return await asyncio.to_thread(self._load)

    async def save(self, upserts: list[QueueRecord], deletes: list[str], fence=None) -> None:
        if upserts or deletes:
            await asyncio.to_thread(self._save, upserts, deletes)

    async def close(self) -> None:
        with self._lock:
            self._conn.close()
