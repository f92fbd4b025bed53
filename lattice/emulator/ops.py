"""The operation registry and the helpers every resource family shares.

A handler is a plain function `(ctx, params) -> dict | None`: it validates
semantics, changes state synchronously and returns the response body. It never
awaits; latency, throttling and other faults are applied by the server around
it, which keeps every state change atomic with respect to other requests.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .config import QUOTA_CODES, EmulatorConfig
from .errors import AccessDenied, Conflict, NotFound, QuotaExceeded, ValidationError
from .ids import Kind, parse_arn
from .model import item_members, output_members
from .store import ACTIVATE, REMOVE, Partition, Record

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


# -- lifecycle -----------------------------------------------------------------
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
        ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.create, ACTIVATE)


def start_delete(ctx: Ctx, kind: Kind, rec: Record) -> None:
    rec["status"] = "DELETE_IN_PROGRESS"
    rec["lastUpdatedAt"] = ctx.stamp
    rec["_fail"] = dict(ctx.lifecycle_failure) if ctx.lifecycle_failure else None
    ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.delete, REMOVE)


def start_update(ctx: Ctx, kind: Kind, rec: Record) -> None:
    rec["status"] = "UPDATE_IN_PROGRESS"
    rec["_fail"] = dict(ctx.lifecycle_failure) if ctx.lifecycle_failure else None
    ctx.part.schedule(kind, rec["id"], ctx.now + ctx.config.delays.update, ACTIVATE)


def require_settled(kind: Kind, rec: Record, action: str = "modify") -> None:
    """Conflict (naming the state) while a transition is running or after a create failed."""
    status = rec.get("status")
    if status in IN_PROGRESS:
        raise Conflict(kind.resource_type, rec["id"], f"Cannot {action} {rec['id']} while it is in status {status}")
    if status == "CREATE_FAILED" and action != "delete":
        raise Conflict(kind.resource_type, rec["id"], f"{rec['id']} is in status CREATE_FAILED; it can only be deleted")


def touch(ctx: Ctx, rec: Record) -> None:
    rec["lastUpdatedAt"] = ctx.stamp


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


# -- views and paging ----------------------------------------------------------------
def view(op_name: str, rec: Record, **extra: Any) -> dict[str, Any]:
    """Project a record onto an op's output members, dropping nulls (never emit null members)."""
    out = {}
    for key in output_members(op_name):
        value = extra[key] if key in extra else rec.get(key)
        if value is not None:
            out[key] = value
    return out


def item_view(op_name: str, rec: Record, **extra: Any) -> dict[str, Any]:
    out = {}
    for key in item_members(op_name):
        value = extra[key] if key in extra else rec.get(key)
        if value is not None:
            out[key] = value
    return out


def encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")


def decode_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, _, seq = raw.partition(":")
        if tag != "v1" or not seq.isdigit():
            raise ValueError
        return int(seq)
    except ValueError:  # includes binascii.Error and UnicodeDecodeError
        raise ValidationError(
            "Invalid nextToken", field_list=[{"name": "nextToken", "message": "is not a valid token"}]
        ) from None


def paginate(
    ctx: Ctx,
    kind: Kind,
    index_key: str,
    params: dict[str, Any],
    render: Callable[[Record], dict[str, Any]],
    keep: Callable[[Record], bool] | None = None,
) -> dict[str, Any]:
    after = decode_token(params.get("nextToken"))
    limit = params.get("maxResults") or 100
    table = ctx.part.tables[kind.name]
    index = ctx.part.indexes.get(index_key)
    if index is None:
        return {"items": []}
    now = ctx.now

    def ok(rid: str) -> bool:
        rec = table[rid]
        at = rec.get("_visible")
        if at is not None and at > now:
            return False
        return keep is None or keep(rec)

    ids, resume = index.page(after, limit, ok)
    out: dict[str, Any] = {"items": [render(table[rid]) for rid in ids]}
    if resume is not None:
        out["nextToken"] = encode_token(resume)
    return out


def records(ctx: Ctx, kind: Kind, index_key: str) -> Iterable[Record]:
    index = ctx.part.indexes.get(index_key)
    if index is None:
        return []
    table = ctx.part.tables[kind.name]
    return [table[rid] for rid in index.ids()]
