"""Rule priorities: Gateway API precedence mapped onto Lattice's 1..100 (lower wins).

Within one route (one Lattice service), the Gateway API orders matches by: Exact path before any
prefix, longer prefix before shorter, with a method before without, more headers before fewer, then
rule order, then match order. Lattice evaluates rules by ascending priority, so we sort by that key
and hand out the smallest free priorities in that order.

`application-networking.k8s.aws/rule-<i>-priority` (i = zero-based rule index) still wins, for
compatibility: the annotated rule's first match gets exactly that priority, its other matches the
next free ones above it. Two rules claiming the same priority, a value outside 1..max or more
Lattice rules than priorities reject the affected rule with a message; the others keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from translate.model import ANNOTATION_PREFIX


class Candidate(NamedTuple):
    """One Lattice rule to place: Gateway API rule index, match index and precedence key.

    A NamedTuple (immutable, like a frozen dataclass) because one is built per match of every
    route on every translation, and a tuple is several times cheaper to build.
    """

    rule: int
    match: int
    precedence: tuple[int, ...]


def annotated_priorities(annotations: Mapping[str, str]) -> dict[int, str]:
    """Raw `rule-<i>-priority` annotation values by rule index."""
    out: dict[int, str] = {}
    prefix = ANNOTATION_PREFIX + "rule-"
    for key, value in annotations.items():
        if key.startswith(prefix) and key.endswith("-priority"):
            idx = key[len(prefix) : -len("-priority")]
            if idx.isdigit():
                out[int(idx)] = str(value)
    return out


def assign(
    candidates: Sequence[Candidate], annotations: Mapping[int, str], max_priority: int
) -> tuple[dict[tuple[int, int], int], dict[int, str]]:
    """Place candidates. Returns ({(rule, match): priority}, {rejected rule index: message})."""
    if not annotations and len(candidates) <= max_priority:
        # The common case: no annotations and everything fits, so priorities are just the
        # precedence order (what `_assign` computes too, without its bookkeeping).
        ordered = sorted(candidates, key=_order)
        return {(c.rule, c.match): p for p, c in enumerate(ordered, 1)}, {}
    return _assign(candidates, annotations, max_priority)


def _order(c: Candidate) -> tuple[Any, ...]:
    return (c.precedence, c.rule, c.match)


def _assign(
    candidates: Sequence[Candidate], annotations: Mapping[int, str], max_priority: int
) -> tuple[dict[tuple[int, int], int], dict[int, str]]:
    rejected: dict[int, str] = {}
    parsed: dict[int, int] = {}
    for i, raw in sorted(annotations.items()):
        try:
            p = int(raw.strip())
        except ValueError:
            rejected[i] = f"rule-{i}-priority annotation {raw!r} is not an integer"
            continue
        if not 1 <= p <= max_priority:
            rejected[i] = f"rule-{i}-priority annotation {p} is outside 1..{max_priority}"
            continue
        parsed[i] = p

    rules_present = sorted({c.rule for c in candidates})
    while True:
        active = [c for c in candidates if c.rule not in rejected]
        result, overflow = _place(active, {i: p for i, p in parsed.items() if i in rules_present}, max_priority, rejected)
        if not overflow:
            return result, rejected
        rejected.update(overflow)


def _place(
    active: Sequence[Candidate], parsed: Mapping[int, int], max_priority: int, rejected: dict[int, str]
) -> tuple[dict[tuple[int, int], int], dict[int, str]]:
    used: set[int] = set()
    result: dict[tuple[int, int], int] = {}
    overflow: dict[int, str] = {}
    owners: dict[int, int] = {}
    annotated = sorted({c.rule for c in active if c.rule in parsed})
    # 1. Annotated first matches take their exact priority; the lower rule index wins a clash.
    for i in annotated:
        p = parsed[i]
        if p in owners:
            rejected[i] = f"rule-{i}-priority {p} is already used by rule {owners[p]}"
            continue
        owners[p] = i
        used.add(p)
    live = [c for c in active if c.rule not in rejected]
    # 2. Other matches of annotated rules: next free priority above the annotated one.
    for c in sorted((c for c in live if c.rule in parsed), key=lambda c: (c.rule, c.match)):
        first = min(x.match for x in live if x.rule == c.rule)
        if c.match == first:
            result[(c.rule, c.match)] = parsed[c.rule]
            continue
        p = parsed[c.rule] + 1
        while p in used:
            p += 1
        if p > max_priority:
            overflow[c.rule] = f"no free Lattice priority above {parsed[c.rule]} for match {c.match}"
            continue
        used.add(p)
        result[(c.rule, c.match)] = p
    # 3. Everything else in Gateway API precedence order, smallest free priorities first.
    nxt = 1
    for c in sorted((c for c in live if c.rule not in parsed), key=lambda c: (c.precedence, c.rule, c.match)):
        while nxt in used:
            nxt += 1
        if nxt > max_priority:
            overflow.setdefault(
                c.rule, f"the route needs more than {max_priority} Lattice rules per listener; rule {c.rule} does not fit"
            )
            continue
        used.add(nxt)
        result[(c.rule, c.match)] = nxt
    return result, overflow
