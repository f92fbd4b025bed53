"""What happens when a scheduled transition comes due (see store.py's theory of operation)."""

from __future__ import annotations

from .ids import KINDS
from .ops import iso
from .store import ACTIVATE, REMOVE, UNDRAIN, Partition


def apply_transition(part: Partition, kind_name: str, rid: str, action: str, extra: str, due: float) -> None:
    rec = part.tables[kind_name].get(rid)
    if rec is None:
        return
    if action == UNDRAIN:
        target = rec.get("_targets", {}).get(extra)
        if target is not None and target.get("drainUntil") == due:
            del rec["_targets"][extra]
        return
    fail = rec.pop("_fail", None)
    if action == ACTIVATE:
        if fail:
            rec["status"] = "UPDATE_FAILED" if rec["status"] == "UPDATE_IN_PROGRESS" else "CREATE_FAILED"
            rec["failureCode"] = fail.get("failureCode")
            rec["failureMessage"] = fail.get("failureMessage")
        else:
            rec["status"] = "ACTIVE"
        rec["lastUpdatedAt"] = iso(due)
    elif action == REMOVE:
        if fail:
            rec["status"] = "DELETE_FAILED"
            rec["failureCode"] = fail.get("failureCode")
            rec["failureMessage"] = fail.get("failureMessage")
            rec["lastUpdatedAt"] = iso(due)
        else:
            part.remove(KINDS[kind_name], rid)
