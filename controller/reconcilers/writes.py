"""Gather, decide, write: what one reconcile writes to its object, decided by one pure function.

A reconciler gathers (the cached object, the translation, Lattice's answer), states what the
object should carry -- an `Intent`: our finalizer on or off, the output annotations, the new
status -- and `decide(obj, intent)` turns that into `Writes`: at most one JSON merge patch of
`metadata` (finalizer and annotations together) and one of `status`, nothing for what the object
already has. `Context.write` sends them. So a decision writes its object at most twice, and a
converged object not at all.

The one ordering rule is the finalizer: it must be on the object before the first AWS call that
creates something for it (else a delete while we create could strand Lattice resources nobody
removes). A reconcile that has to add it first writes it alone (`decide(obj, Intent(finalizer=True))`)
and decides the rest after the AWS work from the object that write returned, so a new route's
first pass writes three times (finalizer, status, annotations) and needs no second pass: a second
pass cost as much CPU as the first (translate, plan) only to write the DNS name, which then came
one queue round later.

A patch that changes `metadata.finalizers` carries the object's resourceVersion as a precondition
(`Writes.precondition`): a merge patch replaces the whole list, so without it we could drop a
finalizer another controller added meanwhile. A patch of annotations alone touches only those keys
and needs none. The status patch always carries it (route `status.parents[]` is shared).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.reconcilers.finalizers import AWS_FINALIZERS, FINALIZERS, finalizers_of


@dataclass(frozen=True)
class Intent:
    """What the object should carry after this pass."""

    # True: ours on; False: every one we release off (ours and the AWS controller's); None: as it is
    finalizer: bool | None = None
    annotations: Mapping[str, str | None] = field(default_factory=dict)  # None: absent
    status: Mapping[str, Any] | None = None  # the new status (controller.reconcilers.status_merge); None: unchanged


@dataclass(frozen=True)
class Writes:
    metadata: Mapping[str, Any] | None = None  # the merge patch's `metadata` (without resourceVersion)
    status: Mapping[str, Any] | None = None  # the merge patch's `status`
    precondition: bool = False  # the metadata patch must carry the object's resourceVersion

    def __bool__(self) -> bool:
        return self.metadata is not None or self.status is not None


NOTHING = Writes()


def decide(obj: Mapping[str, Any], intent: Intent) -> Writes:
    """The writes that bring `obj` to `intent`."""
    meta = obj.get("metadata") or {}
    patch: dict[str, Any] = {}
    kind = obj.get("kind", "")
    ours, released = FINALIZERS.get(kind), AWS_FINALIZERS.get(kind, ())
    current = finalizers_of(obj)
    if intent.finalizer is True and ours is not None and ours not in current:
        patch["finalizers"] = [*current, ours]
    elif intent.finalizer is False and any(f in released for f in current):
        patch["finalizers"] = [f for f in current if f not in released]  # other controllers' stay
    have = meta.get("annotations") or {}
    changes = {k: v for k, v in intent.annotations.items() if have.get(k) != v}
    if changes:
        patch["annotations"] = changes
    return Writes(metadata=patch or None, status=intent.status, precondition="finalizers" in patch)


class OwnWrites:
    """Read your own writes: an object as this process last wrote it, while the informer cache
    still shows a version those writes replaced. The next pass over an object often starts before
    the cache has our writes (an in-progress route looks again within a second; a route's DNS name
    wakes its Gateway right after the Gateway wrote): from the stale copy it would decide the
    same status again and send it with a stale resourceVersion, for a 409 and a retry.

    `remember(key, superseded, written)` after a write; `current(key, cached)`: `written` while
    the cache shows a superseded version, else the cache (it caught up, or someone else wrote).
    An entry is used once.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[frozenset[str], Mapping[str, Any]]] = {}

    def remember(self, key: str, superseded: Iterable[str | None], written: Mapping[str, Any]) -> None:
        """`superseded`: the versions the writes replaced, in order (the one read, then the ones
        between two writes of the same call)."""
        rvs = {rv for rv in superseded if rv}
        prev = self._by_key.get(key)
        if prev is not None and _rv(prev[1]) in rvs:  # a second write in the same pass
            rvs |= prev[0]
        self._by_key[key] = (frozenset(rvs), written)

    def current(self, key: str, cached: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        entry = self._by_key.pop(key, None)
        if entry is None or cached is None:
            return cached
        superseded, written = entry
        return written if _rv(cached) in superseded else cached


def _rv(obj: Mapping[str, Any]) -> str | None:
    return (obj.get("metadata") or {}).get("resourceVersion")
