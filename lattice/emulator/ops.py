"""The operation registry, the per-request context, and the checks and views every
resource family shares (identifiers, quotas, names, tags, output projection).
Lifecycle helpers live in lifecycle.py, list paging in paging.py.

A handler is a plain function `(ctx, params) -> dict | None`: it validates
semantics, changes state synchronously and returns the response body. It never
awaits; latency, throttling and other faults are applied by the server around
it, which keeps every state change atomic with respect to other requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .config import QUOTA_CODES, EmulatorConfig
from .errors import AccessDenied, Conflict, NotFound, QuotaExceeded, ValidationError
from .ids import Kind, parse_arn
from .model import declared_errors, item_members, output_members
from .store import Partition, Record

Handler = Callable[["Ctx", dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


@dataclass(slots=True)
class Ctx:
    """What a handler may touch for one request."""

    part: Partition
    config: EmulatorConfig
    now: float
    op: str
    # Seconds a created resource stays invisible to Get/List (eventual consistency).
    invisible_for: float = 0.0
    # Injected lifecycle failure for this op: {"failureCode", "failureMessage"} or None.
    lifecycle_failure: dict[str, str] | None = None

    @property
    def stamp(self) -> str:
        return iso(self.now)

    @property
    def region(self) -> str:
        return self.part.region

    @property
    def account(self) -> str:
        return self.part.account

    @property
    def reading(self) -> bool:
        return self.op.startswith(("Get", "List"))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- identifiers ----------------------------------------------------------------
def resource_id(ctx: Ctx, identifier: str, kind: Kind) -> str:
    """The bare ID in an ID-or-ARN identifier (ARNs of other accounts are denied)."""
    if not identifier.startswith("arn:"):
        return identifier
    parsed = parse_arn(identifier)
    if parsed is None:
        raise ValidationError(f"Invalid ARN {identifier[:200]}")
    region, account, path = parsed
    if account != ctx.account:
        # Unshared resources of other accounts are denied, except where the op cannot say so
        # (DeleteTargetGroup has no AccessDeniedException in the model): there it is not found.
        if "AccessDeniedException" not in declared_errors(ctx.op):
            raise NotFound(kind.resource_type, identifier)
        raise AccessDenied(f"User is not authorized to access {kind.resource_type} {identifier[:200]}")
    if region != ctx.region:
        raise NotFound(kind.resource_type, identifier)
    return path[-1]


def lookup(ctx: Ctx, kind: Kind, identifier: str) -> Record:
    """Resolve an identifier to its record, or raise ResourceNotFound.

    Reads (Get/List) honour injected eventual consistency; writes see the truth,
    as in AWS where the control plane itself is consistent.
    """
    rid = resource_id(ctx, identifier, kind)
    rec = ctx.part.get(kind, rid)
    if rec is None or (ctx.reading and not visible(ctx, rec)):
        raise NotFound(kind.resource_type, identifier)
    return rec


def visible(ctx: Ctx, rec: Record) -> bool:
    at = rec.get("_visible")
    return at is None or at <= ctx.now


def touch(ctx: Ctx, rec: Record) -> None:
    """Mark a record changed: every mutation goes through here or lifecycle.py."""
    rec["lastUpdatedAt"] = ctx.stamp
    bump(rec)


def bump(rec: Record) -> None:
    # The revision keys cached list views (summary_renderer); timestamps alone are too coarse
    # (two updates within one millisecond would share a stamp).
    rec["_rev"] = rec.get("_rev", 0) + 1


# -- quotas, names, tags -----------------------------------------------------------
def check_quota(ctx: Ctx, quota: str, current: int, kind: Kind, resource_id: str | None = None,
                adding: int = 1) -> None:
    limit = ctx.config.quota(quota)
    if current + adding > limit:
        raise QuotaExceeded(
            kind.resource_type,
            QUOTA_CODES.get(quota, quota),
            f"Quota {quota} exceeded: limit is {limit}",
            resource_id,
        )


def check_name_free(ctx: Ctx, kind: Kind, name_key: str, name: str) -> None:
    existing = ctx.part.names.get(name_key)
    if existing is not None:
        raise Conflict(kind.resource_type, existing, f"{kind.resource_type} with name {name} already exists")


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    bad = [k for k in tags if k.lower().startswith("aws:")]
    if bad:
        raise ValidationError(
            "Tag keys starting with 'aws:' are reserved",
            field_list=[{"name": f"tags[{k[:64]}]", "message": "aws: prefix is reserved"} for k in bad],
        )
    return tags


# -- views ----------------------------------------------------------------
def view(op_name: str, rec: Record, **extra: Any) -> dict[str, Any]:
    """Project a record onto an op's output members, dropping nulls (never emit null members)."""
    return _project(output_members(op_name), rec, extra)


def item_view(op_name: str, rec: Record, **extra: Any) -> dict[str, Any]:
    """Project a record onto the members of an op's list items."""
    return _project(item_members(op_name), rec, extra)


def summary_renderer(ctx: Ctx) -> Callable[[Record], dict[str, Any]]:
    """Render list items of ctx.op, reusing each record's last rendering while its _rev holds.

    List pages re-render the same records over and over; with 100 items a page this
    cache is what keeps ListServices well under a millisecond at 10,000 services.
    """
    members, op_name, cache = item_members(ctx.op), ctx.op, ctx.part.view_cache

    def render(rec: Record) -> dict[str, Any]:
        rev = rec.get("_rev", 0)
        per_record = cache.get(rec["id"])
        if per_record is None:
            per_record = cache[rec["id"]] = {}
        else:
            hit = per_record.get(op_name)
            if hit is not None and hit[0] == rev:
                return hit[1]
        out = {k: v for k in members if (v := rec.get(k)) is not None}
        per_record[op_name] = (rev, out)
        return out

    return render


def _project(members: tuple[str, ...], rec: Record, extra: dict[str, Any]) -> dict[str, Any]:
    # A comprehension with one lookup per member: this runs 100 times per List page.
    if extra:
        src = {**rec, **extra}
        return {k: v for k in members if (v := src.get(k)) is not None}
    return {k: v for k in members if (v := rec.get(k)) is not None}
