"""Immutable JSON values for the desired model.

The model passes Lattice API shapes (`match`, `action`, `config`, ...) straight through to
botocore, so they stay plain JSON: mappings and sequences. `FrozenDict` is a `dict` subclass
that refuses mutation and hashes by content, and sequences become tuples. That keeps the
dataclasses truly frozen and hashable while botocore, orjson and `json` still see a dict/list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


class FrozenDict(dict[str, Any]):
    """A read-only, hashable dict. Build it with `freeze()`."""

    __slots__ = ("_hash",)
    _hash: int  # set on first use (see __hash__)

    def _readonly(self, *_a: Any, **_k: Any) -> None:
        raise TypeError("FrozenDict is read-only")

    __setitem__ = __delitem__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return int(self._hash)
        except AttributeError:
            h = hash(canonical_json(self))
            object.__setattr__(self, "_hash", h)
            return h

    def __reduce__(self) -> tuple[type["FrozenDict"], tuple[dict[str, Any]]]:  # pickling/copy keep it frozen
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> "FrozenDict":
        return self

    def __deepcopy__(self, _memo: Any) -> "FrozenDict":
        return self


EMPTY: FrozenDict = FrozenDict()


def freeze(value: Any) -> Any:
    """Deep-convert JSON-like data: mappings → FrozenDict (keys sorted), lists → tuples."""
    t = type(value)
    # Exact-type checks first: isinstance() against the Mapping ABC is slow and this is hot.
    if t is str or t is int or t is bool or value is None or t is FrozenDict:
        return value
    if t is dict or (t is not tuple and t is not list and isinstance(value, Mapping)):
        return FrozenDict([(k, freeze(value[k])) for k in sorted(value)])
    if t is list or t is tuple:
        return tuple([freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """Deep-convert back to mutable dicts/lists (e.g. before handing to code that mutates)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Byte-stable JSON: sorted keys, no whitespace. Used for fingerprints and determinism."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
