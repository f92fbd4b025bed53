"""When an object's Lattice resources are next read back from AWS (its drift check).

A reconcile normally trusts what it knows (the inventory, or the object's progress record),
so changes made behind our back would go unnoticed; once per resync period
(RECONCILE_DEFAULT_RESYNC_SECONDS, jittered per object so checks spread out instead of
bunching) a reconcile pays a few reads to look. The first reconcile of an object after start
counts as verified: the inventory was just loaded, or the object's record is trusted until then.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Hashable


class DriftClock:
    def __init__(self, period: Callable[[], float], clock: Callable[[], float] = time.monotonic) -> None:
        self._period = period  # read on every call: the configuration may be swapped in tests
        self._clock = clock
        self._verified: dict[Hashable, float] = {}

    def due(self, key: Hashable) -> bool:
        period = self._period()
        now = self._clock()
        last = self._verified.setdefault(key, now)
        return period > 0 and now - last >= period * (0.9 + 0.2 * _jitter(key))

    def verified(self, key: Hashable) -> None:
        self._verified[key] = self._clock()

    def forget(self, key: Hashable) -> None:
        self._verified.pop(key, None)


def _jitter(key: Hashable) -> float:
    """A stable per-object fraction in [0, 1)."""
    return (zlib.crc32(str(key).encode()) % 1000) / 1000.0
