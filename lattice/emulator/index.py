"""An insertion-ordered index with O(log n) resume, for List* pagination.

Records get a monotonically increasing sequence number at creation, and a page
token is the last sequence number returned, so resuming a listing is a bisect
instead of a scan from the start; that keeps ListServices flat at 10,000+
services. Deletions leave tombstones that are compacted once they outnumber the
live entries, which keeps removal O(1) amortised.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator


class OrderedIndex:
    __slots__ = ("_seqs", "_ids", "_dead")

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._ids: dict[int, str] = {}
        self._dead = 0

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, seq: int, rid: str) -> None:
        if self._seqs and seq <= self._seqs[-1]:
            # Only happens when rebuilding out of order; keep the list sorted.
            self._seqs.insert(bisect_right(self._seqs, seq), seq)
        else:
            self._seqs.append(seq)
        self._ids[seq] = rid

    def discard(self, seq: int) -> None:
        if self._ids.pop(seq, None) is None:
            return
        self._dead += 1
        if self._dead > 32 and self._dead > len(self._ids):
            self._seqs = [s for s in self._seqs if s in self._ids]
            self._dead = 0

    def ids(self) -> Iterator[str]:
        return iter(list(self._ids.values()))

    def page(self, after: int, limit: int, keep: Callable[[str], bool]) -> tuple[list[str], int | None]:
        """Up to `limit` ids after sequence `after` that pass `keep`, and the resume point.

        The resume point is None when nothing that passes `keep` follows the page.
        """
        seqs, ids = self._seqs, self._ids
        out: list[str] = []
        last = after
        i = bisect_right(seqs, after)
        n = len(seqs)
        while i < n:
            seq = seqs[i]
            i += 1
            rid = ids.get(seq)
            if rid is None or not keep(rid):
                continue
            if len(out) == limit:
                return out, last
            out.append(rid)
            last = seq
        return out, None
