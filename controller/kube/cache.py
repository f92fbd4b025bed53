"""The informer caches: one `Store` per kind plus the secondary `Indexes`.

The informers are the only writers (`apply`, `replace`); reconcilers get the
read-only `SnapshotView` from `controller.kube.snapshot`. Everything here is plain
synchronous code run on the event loop, so a reader that does not await
between two reads sees one consistent state.
"""

from __future__ import annotations

from controller.kube.indexes import Indexes
from controller.kube.store import Store


class Cache:
    def __init__(self) -> None:
        self.stores: dict[str, Store] = {}
        self.indexes = Indexes()

    def store(self, kind: str, namespaced: bool = True) -> Store:
        st = self.stores.get(kind)
        if st is None:
            st = self.stores[kind] = Store(kind, namespaced)
        return st

    def upsert(self, kind: str, obj: dict) -> dict | None:
        old = self.stores[kind].upsert(obj)
        self.indexes.update(kind, old, obj)
        return old

    def delete(self, kind: str, obj: dict) -> dict | None:
        old = self.stores[kind].delete(obj)
        if old is not None:
            self.indexes.update(kind, old, None)
        return old

    def replace(self, kind: str, objs: list[dict]) -> list[tuple[dict | None, dict | None]]:
        changes = self.stores[kind].replace(objs)
        for old, new in changes:
            self.indexes.update(kind, old, new)
        return changes

    def count(self) -> dict[str, int]:
        return {kind: len(st) for kind, st in self.stores.items()}
