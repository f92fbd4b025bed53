"""Work-queue keys: `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds.

Keys are plain strings so they can be persisted, logged and compared without
ceremony. Kubernetes names never contain `/`, so splitting is unambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Key(NamedTuple):
    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str

    def __str__(self) -> str:  # pragma: no cover - trivial
        return make(self.kind, self.namespace, self.name)


def make(kind: str, namespace: str | None, name: str) -> str:
    if namespace:
        return f"{kind}/{namespace}/{name}"
    return f"{kind}/{name}"


def parse(key: str) -> Key:
    parts = key.split("/")
    if len(parts) == 3 and all(parts):
        return Key(parts[0], parts[1], parts[2])
    if len(parts) == 2 and all(parts):
        return Key(parts[0], "", parts[1])
    raise ValueError(f"malformed work-queue key {key!r}: want Kind/namespace/name or Kind/name")


def of(kind: str, obj: Mapping[str, Any]) -> str:
    """The key of an API object as the API server returns it."""
    meta = obj.get("metadata") or {}
    return make(kind, meta.get("namespace"), meta["name"])


def kind_of(key: str) -> str:
    return key.split("/", 1)[0]
