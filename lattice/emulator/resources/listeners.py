"""Listeners (spec 2.5): synchronous; each owns an implicit default rule."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, NotFound, ValidationError
from ..ids import LISTENER, RULE, SERVICE, arn
from ..lifecycle import start_create
from ..ops import Ctx, check_name_free, check_quota, check_tags, lookup, op, touch, view
from ..paging import paginate, records
from ..store import Record
from .actions import add_refs, drop_refs, normalize_action

DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443, "TLS_PASSTHROUGH": 443}


def service_for_write(ctx: Ctx, identifier: str) -> Record:
    svc = lookup(ctx, SERVICE, identifier)
    if svc["status"] in ("DELETE_IN_PROGRESS", "CREATE_FAILED", "DELETE_FAILED"):
        raise Conflict(SERVICE.resource_type, svc["id"], f"Service {svc['id']} is in status {svc['status']}")
    return svc


def find_listener(ctx: Ctx, svc: Record, identifier: str) -> Record:
    """A listener of this service; one under another service counts as missing."""
    rec = lookup(ctx, LISTENER, identifier)
    if rec["serviceId"] != svc["id"]:
        raise NotFound(LISTENER.resource_type, identifier)
    return rec


@op("CreateListener")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc = service_for_write(ctx, p["serviceIdentifier"])
    sid = svc["id"]
    protocol = p["protocol"]
    port = p.get("port") or DEFAULT_PORTS[protocol]
    name_key = f"listener/{sid}/{p['name']}"
    check_name_free(ctx, LISTENER, name_key, p["name"])
    siblings = list(records(ctx, LISTENER, "listener@svc:" + sid))
    for other in siblings:
        if other["port"] == port:
            raise Conflict(LISTENER.resource_type, other["id"], f"Listener {other['id']} already uses port {port}")
    check_quota(ctx, "listeners_per_service", len(siblings), LISTENER, sid)
    if protocol == "TLS_PASSTHROUGH" and not svc.get("customDomainName"):
        raise ValidationError("TLS_PASSTHROUGH listeners need a service with a customDomainName")
    action = normalize_action(ctx, p["defaultAction"], svc, protocol, "defaultAction")
    tags = check_tags(p.get("tags"))
    rid = ctx.part.new_id(LISTENER)
    rec = {
        "id": rid,
        "name": p["name"],
        "arn": arn(ctx.region, ctx.account, f"service/{sid}/listener/{rid}"),
        "protocol": protocol,
        "port": port,
        "serviceArn": svc["arn"],
        "serviceId": sid,
        "defaultAction": action,
        "_tags": tags,
    }
    ctx.part.add(LISTENER, rec, ["listener@svc:" + sid], name_key)
    start_create(ctx, LISTENER, rec, with_status=False)
    add_refs(ctx, svc, action)
    _add_default_rule(ctx, rec, action)
    return view(ctx.op, rec)


def _add_default_rule(ctx: Ctx, listener: Record, action: dict[str, Any]) -> None:
    rid = ctx.part.new_id(RULE)
    rule = {
        "id": rid,
        "name": "default",
        "arn": f"{listener['arn']}/rule/{rid}",
        "isDefault": True,
        "action": action,
        "_listener": listener["id"],
        "_service": listener["serviceId"],
        "_tags": {},
    }
    ctx.part.add(RULE, rule, ["rule@lis:" + listener["id"]])
    start_create(ctx, RULE, rule, with_status=False)
    listener["_defaultRule"] = rid


@op("GetListener")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc = lookup(ctx, SERVICE, p["serviceIdentifier"])
    return view(ctx.op, find_listener(ctx, svc, p["listenerIdentifier"]))


@op("ListListeners")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc = lookup(ctx, SERVICE, p["serviceIdentifier"])
    return paginate(ctx, LISTENER, "listener@svc:" + svc["id"], p)


@op("UpdateListener")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc = service_for_write(ctx, p["serviceIdentifier"])
    rec = find_listener(ctx, svc, p["listenerIdentifier"])
    # Release the old references first so re-pointing within the same service is not a conflict.
    drop_refs(ctx, svc, rec["defaultAction"])
    try:
        action = normalize_action(ctx, p["defaultAction"], svc, rec["protocol"], "defaultAction")
    except Exception:
        add_refs(ctx, svc, rec["defaultAction"])
        raise
    add_refs(ctx, svc, action)
    rec["defaultAction"] = action
    touch(ctx, rec)
    rule = ctx.part.get(RULE, rec["_defaultRule"])
    if rule is not None:
        rule["action"] = action
        touch(ctx, rule)
    return view(ctx.op, rec)


@op("DeleteListener")
def delete(ctx: Ctx, p: dict[str, Any]) -> None:
    svc = lookup(ctx, SERVICE, p["serviceIdentifier"])
    remove_listener(ctx, find_listener(ctx, svc, p["listenerIdentifier"]))


def remove_listener(ctx: Ctx, listener: Record) -> None:
    """Delete a listener with its rules, releasing every target group reference."""
    svc = ctx.part.get(SERVICE, listener["serviceId"])
    for rule in records(ctx, RULE, "rule@lis:" + listener["id"]):
        if svc is not None and not rule.get("isDefault"):
            drop_refs(ctx, svc, rule["action"])
        ctx.part.remove(RULE, rule["id"])
    if svc is not None:
        drop_refs(ctx, svc, listener["defaultAction"])
    ctx.part.remove(LISTENER, listener["id"])
