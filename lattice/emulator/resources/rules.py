"""Listener rules (spec 2.6), including BatchUpdateRule's whole-batch priority check."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import ApiError, Conflict, NotFound, ValidationError
from ..ids import RULE, SERVICE
from ..lifecycle import start_create
from ..ops import (
    Ctx,
    check_name_free,
    check_quota,
    check_tags,
    lookup,
    op,
    resource_id,
    touch,
    view,
)
from ..paging import paginate, records
from ..store import Record
from .actions import add_refs, drop_refs, normalize_action
from .listeners import find_listener, service_for_write


def _parents(ctx: Ctx, p: dict[str, Any], write: bool) -> tuple[Record, Record]:
    svc = service_for_write(ctx, p["serviceIdentifier"]) if write else lookup(ctx, SERVICE, p["serviceIdentifier"])
    return svc, find_listener(ctx, svc, p["listenerIdentifier"])


def _find_rule(ctx: Ctx, listener: Record, identifier: str) -> Record:
    rec = ctx.part.get(RULE, resource_id(ctx, identifier, RULE))
    if rec is None or rec["_listener"] != listener["id"]:
        raise NotFound(RULE.resource_type, identifier)
    return rec


def normalize_match(match: dict[str, Any], field: str = "match") -> dict[str, Any]:
    """Require at least one condition and fill the documented case-sensitivity defaults."""
    http = copy.deepcopy(match["httpMatch"])
    if not any(http.get(k) for k in ("method", "pathMatch", "headerMatches")):
        raise ValidationError(
            "A rule match needs at least one condition",
            field_list=[{"name": f"{field}.httpMatch", "message": "needs method, pathMatch or headerMatches"}],
        )
    if http.get("pathMatch") is not None:
        http["pathMatch"].setdefault("caseSensitive", True)
    for header in http.get("headerMatches") or ():
        header.setdefault("caseSensitive", False)
    return {"httpMatch": {k: v for k, v in http.items() if v is not None}}


def _check_listener_takes_rules(listener: Record) -> None:
    if listener["protocol"] == "TLS_PASSTHROUGH":
        raise ValidationError("TLS_PASSTHROUGH listeners cannot have rules")


def _priority_owner(ctx: Ctx, listener: Record, priority: int, ignore: str | None = None) -> Record | None:
    for rule in records(ctx, RULE, "rule@lis:" + listener["id"]):
        if rule.get("priority") == priority and rule["id"] != ignore:
            return rule
    return None


@op("CreateRule")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc, listener = _parents(ctx, p, write=True)
    _check_listener_takes_rules(listener)
    name_key = f"rule/{listener['id']}/{p['name']}"
    check_name_free(ctx, RULE, name_key, p["name"])
    clash = _priority_owner(ctx, listener, p["priority"])
    if clash is not None:
        raise Conflict(RULE.resource_type, clash["id"], f"Priority {p['priority']} is already used by {clash['id']}")
    check_quota(ctx, "rules_per_listener", ctx.part.count("rule@lis:" + listener["id"]) - 1, RULE, listener["id"])
    match = normalize_match(p["match"])
    action = normalize_action(ctx, p["action"], svc, listener["protocol"])
    tags = check_tags(p.get("tags"))
    rid = ctx.part.new_id(RULE)
    rec = {
        "id": rid,
        "name": p["name"],
        "arn": f"{listener['arn']}/rule/{rid}",
        "isDefault": False,
        "match": match,
        "priority": p["priority"],
        "action": action,
        "_listener": listener["id"],
        "_service": svc["id"],
        "_tags": tags,
    }
    ctx.part.add(RULE, rec, ["rule@lis:" + listener["id"]], name_key)
    start_create(ctx, RULE, rec, with_status=False)
    add_refs(ctx, svc, action)
    return view(ctx.op, rec)


@op("GetRule")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _, listener = _parents(ctx, p, write=False)
    return view(ctx.op, _find_rule(ctx, listener, p["ruleIdentifier"]))


@op("ListRules")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _, listener = _parents(ctx, p, write=False)
    return paginate(ctx, RULE, "rule@lis:" + listener["id"], p)


def _prepare(ctx: Ctx, svc: Record, listener: Record, rule: Record, upd: dict[str, Any]) -> dict[str, Any]:
    """Validate one rule update; returns the new match/action/priority without applying them."""
    if rule.get("isDefault"):
        raise ValidationError("The default rule cannot be changed; use UpdateListener")
    change: dict[str, Any] = {}
    if upd.get("match") is not None:
        change["match"] = normalize_match(upd["match"])
    if upd.get("action") is not None:
        drop_refs(ctx, svc, rule["action"])
        try:
            change["action"] = normalize_action(ctx, upd["action"], svc, listener["protocol"])
        finally:
            add_refs(ctx, svc, rule["action"])
    if upd.get("priority") is not None:
        change["priority"] = upd["priority"]
    return change


def _apply(ctx: Ctx, svc: Record, rule: Record, change: dict[str, Any]) -> None:
    if "action" in change:
        drop_refs(ctx, svc, rule["action"])
        add_refs(ctx, svc, change["action"])
    rule.update(change)
    touch(ctx, rule)


@op("UpdateRule")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc, listener = _parents(ctx, p, write=True)
    rule = _find_rule(ctx, listener, p["ruleIdentifier"])
    change = _prepare(ctx, svc, listener, rule, p)
    if "priority" in change:
        clash = _priority_owner(ctx, listener, change["priority"], ignore=rule["id"])
        if clash is not None:
            raise Conflict(RULE.resource_type, clash["id"], f"Priority {change['priority']} is already used by {clash['id']}")
    _apply(ctx, svc, rule, change)
    return view(ctx.op, rule)


@op("DeleteRule")
def delete(ctx: Ctx, p: dict[str, Any]) -> None:
    svc, listener = _parents(ctx, p, write=False)
    rule = _find_rule(ctx, listener, p["ruleIdentifier"])
    if rule.get("isDefault"):
        raise ValidationError("The default rule cannot be deleted; delete the listener instead")
    drop_refs(ctx, svc, rule["action"])
    ctx.part.remove(RULE, rule["id"])


@op("BatchUpdateRule")
def batch_update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc, listener = _parents(ctx, p, write=True)
    failed: list[dict[str, Any]] = []
    pending: dict[str, tuple[Record, dict[str, Any], str]] = {}
    for upd in p["rules"]:
        ident = upd["ruleIdentifier"]
        try:
            rule = _find_rule(ctx, listener, ident)
            if rule["id"] in pending:
                raise ValidationError(f"Rule {ident} appears twice in the batch")
            pending[rule["id"]] = (rule, _prepare(ctx, svc, listener, rule, upd), ident)
        except NotFound:
            failed.append({"ruleIdentifier": ident, "failureCode": "RuleNotFound", "failureMessage": f"Rule {ident} not found"})
        except ApiError as exc:
            failed.append({"ruleIdentifier": ident, "failureCode": _failure_code(exc), "failureMessage": exc.message})
    # Priorities must be unique in the state after the whole batch, so swaps work.
    # Drop clashing updates until the rest is consistent.
    while True:
        final: dict[int, list[str]] = {}
        for rule in records(ctx, RULE, "rule@lis:" + listener["id"]):
            prio = pending[rule["id"]][1].get("priority", rule.get("priority")) if rule["id"] in pending else rule.get("priority")
            if prio is not None:
                final.setdefault(prio, []).append(rule["id"])
        losers = {rid for ids in final.values() if len(ids) > 1 for rid in ids if rid in pending
                  and "priority" in pending[rid][1]}
        if not losers:
            break
        for rid in losers:
            _, change, ident = pending.pop(rid)
            failed.append({
                "ruleIdentifier": ident,
                "failureCode": "ConflictException",
                "failureMessage": f"Priority {change['priority']} clashes with another rule after this batch",
            })
    successful = []
    for rule, change, _ in pending.values():
        _apply(ctx, svc, rule, change)
        successful.append(view("GetRule", rule, createdAt=None, lastUpdatedAt=None))
    return {"successful": successful, "unsuccessful": failed}


def _failure_code(exc: ApiError) -> str:
    return {"ValidationException": "InvalidParameter"}.get(exc.code, exc.code)
