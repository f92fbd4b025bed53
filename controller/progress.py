"""Progress records: which desired model was last applied successfully, kept on the object.

At start, at takeover and after every change elsewhere, objects are reconciled again. A
reconciler that finds the record on the object equal to what it would apply now (same object,
same generation, same desired-model fingerprint) has nothing to apply: it skips AWS entirely
until its drift check is due. So a new leader taking over a converged cluster makes no AWS call
at all and does not even load the Lattice inventory until something changes.

The record is one annotation, `latticegw.io/applied:
"<generation>:<config fingerprint>:<targets fingerprint>:<uid>"`, written (with the other
output annotations, in one fenced merge patch) only after a fully successful pass: no errors,
nothing in progress, no conflicts, nothing waited for. A pass that is not fully successful
removes it. The uid is part of it because the annotation can come back on a new object:
`kubectl get -o yaml`, delete, apply again gives a new object of generation 1 whose Lattice
resources were deleted with the old one.

Targets are apart because pods come and go all the time: a change of targets alone is
recorded only by a pass that also ran the drift check (about once per resync period), so pod
churn costs no write to the route. Until then the record is stale for targets, which is safe:
a stale record only means the next takeover reconciles that object normally.

The event handlers ignore the annotation (`controller.annotations.OUTPUT_ANNOTATIONS`), so
writing it enqueues nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translate.fingerprint import fingerprint

ANNOTATION = "latticegw.io/applied"


def value(obj: Mapping[str, Any], config: str, targets: str = "") -> str:
    """The record to write once this desired model has been applied to `obj`."""
    meta = obj.get("metadata") or {}
    gen = meta.get("generation")
    return f"{gen if gen is not None else ''}:{config}:{targets}:{meta.get('uid') or ''}"


def recorded(obj: Mapping[str, Any]) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)


def is_current(obj: Mapping[str, Any], config: str, targets: str = "") -> bool:
    """True when this object, at this generation, was applied with exactly this desired model."""
    return recorded(obj) == value(obj, config, targets)


def next_record(obj: Mapping[str, Any], config: str, targets: str = "", *, done: bool, verified: bool) -> str | None:
    """The annotation value after a pass (None: remove it). `done`: the pass fully succeeded;
    `verified`: it also ran the drift check."""
    if not done:
        return None
    new, old = value(obj, config, targets), recorded(obj)
    if old is not None and not verified and _without_targets(old) == _without_targets(new):
        return old  # only the targets moved on: record that with the next drift check
    return new


def _without_targets(record: str) -> tuple[str, ...]:
    gen, config, _, uid = (record.split(":") + ["", "", "", ""])[:4]
    return (gen, config, uid)


def desired_fingerprint(*parts: Any) -> str:
    """One fingerprint over the parts of an object's desired model (JSON-able values)."""
    return fingerprint(list(parts))
