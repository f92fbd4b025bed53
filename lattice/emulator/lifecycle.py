"""Resource lifecycles: starting transitions, guarding them, and landing them when due.

Handlers call start_create / start_delete / start_update; store.tick() later calls
apply_transition when the scheduled time has come (see store.py's theory of operation).
"""

from __future__ import annotations

from .errors import Conflict
from .ids import KINDS, Kind
from .ops import Ctx, bump, iso
from .store import ACTIVATE, REMOVE, UNDRAIN, Partition, Record

IN_PROGRESS = ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS")


def start_create(ctx: Ctx, kind: Kind, rec: Record, with_status: bool = True) -> None:
    """Stamp a just-added record and, for stateful kinds, schedule CREATE_IN_PROGRESS -> ACTIVE."""
    rec["createdAt"] = rec["lastUpdatedAt"] = ctx.stamp
    if ctx.invisible_for > 0:
        rec["_visible"] = ctx.now + ctx.invisible_for
    if with_status:
        rec["status"] = "CREATE_IN_PROGRESS"
        if ctx.lifecycle_failure:
            rec["_fail"] = dict(ctx.lifecycle_failure)
        ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.pick("create", ctx.part.rng), ACTIVATE)


def start_delete(ctx: Ctx, kind: Kind, rec: Record) -> None:
    """DELETE_IN_PROGRESS now; the record stays visible until the delay passes, then goes."""
    rec["status"] = "DELETE_IN_PROGRESS"
    rec["lastUpdatedAt"] = ctx.stamp
    bump(rec)
    rec["_fail"] = dict(ctx.lifecycle_failure) if ctx.lifecycle_failure else None
    ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.pick("delete", ctx.part.rng), REMOVE)


def start_update(ctx: Ctx, kind: Kind, rec: Record) -> None:
    """UPDATE_IN_PROGRESS -> ACTIVE (only service-network VPC associations have this state)."""
    rec["status"] = "UPDATE_IN_PROGRESS"
    bump(rec)
    rec["_fail"] = dict(ctx.lifecycle_failure) if ctx.lifecycle_failure else None
    ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.pick("update", ctx.part.rng), ACTIVATE)


def require_settled(kind: Kind, rec: Record, action: str = "modify") -> None:
    """Conflict (naming the state) while a transition is running or after a create failed."""
    status = rec.get("status")
    if status in IN_PROGRESS:
        raise Conflict(kind.resource_type, rec["id"], f"Cannot {action} {rec['id']} while it is in status {status}")
    if status == "CREATE_FAILED" and action != "delete":
        raise Conflict(kind.resource_type, rec["id"], f"{rec['id']} is in status CREATE_FAILED; it can only be deleted")


def apply_transition(part: Partition, kind_name: str, rid: str, action: str, extra: str, due: float) -> None:
    """Land a due transition: ACTIVE (or the injected *_FAILED), gone, or a target done draining."""
    rec = part.tables[kind_name].get(rid)
    if rec is None:
        return
    if action == UNDRAIN:
        target = rec.get("_targets", {}).get(extra)
        if target is not None and target.get("drainUntil") == due:
            del rec["_targets"][extra]
        return
    fail = rec.pop("_fail", None)
    bump(rec)
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
