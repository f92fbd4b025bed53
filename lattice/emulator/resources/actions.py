"""RuleAction handling shared by listeners and rules, and target-group references.

A target group is "in use" while a listener default action or a rule forwards to
it. Both sides keep a reference count (service `_tgRefs[tg]`, target group
`_refs[svc]`), so "one service per target group", the per-service target group
quota, `serviceArns` and target statuses are all O(1) reads.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import Conflict, ValidationError
from ..ids import TARGET_GROUP as TG
from ..ids import arn
from ..ops import Ctx, check_quota, lookup
from ..store import Record

FIXED_RESPONSE_CODES = (404, 500)


def normalize_action(ctx: Ctx, action: dict[str, Any], service: Record, protocol: str,
                     field: str = "action") -> dict[str, Any]:
    """Check an action against the service's state; return it as Lattice echoes it."""
    action = copy.deepcopy(action)
    fixed = action.get("fixedResponse")
    if fixed is not None:
        if fixed["statusCode"] not in FIXED_RESPONSE_CODES:
            raise ValidationError(
                "fixedResponse statusCode must be 404 or 500",
                field_list=[{"name": f"{field}.fixedResponse.statusCode", "message": "must be 404 or 500"}],
            )
        if protocol == "TLS_PASSTHROUGH":
            raise ValidationError("TLS_PASSTHROUGH listeners must forward to TCP target groups")
        return {"fixedResponse": {"statusCode": fixed["statusCode"]}}
    groups = action["forward"]["targetGroups"]
    if len(groups) > 1 and any(g.get("weight") is None for g in groups):
        raise ValidationError(
            "Each target group needs a weight when forwarding to several",
            field_list=[{"name": f"{field}.forward.targetGroups", "message": "weight is required"}],
        )
    seen = set()
    new_tgs = set()
    for i, group in enumerate(groups):
        tg = lookup(ctx, TG, group["targetGroupIdentifier"])
        tg_id = tg["id"]
        if tg_id in seen:
            raise ValidationError(f"Target group {tg_id} is listed twice")
        seen.add(tg_id)
        _check_compatible(tg, protocol, f"{field}.forward.targetGroups[{i}]")
        if tg.get("status") in ("DELETE_IN_PROGRESS", "CREATE_FAILED", "DELETE_FAILED"):
            raise Conflict(TG.resource_type, tg_id, f"TargetGroup {tg_id} is in status {tg['status']}")
        others = [s for s, n in tg["_refs"].items() if n > 0 and s != service["id"]]
        if others:
            raise Conflict(TG.resource_type, tg_id, f"TargetGroup {tg_id} has been associated with other services")
        if tg_id not in service["_tgRefs"]:
            new_tgs.add(tg_id)
        group["targetGroupIdentifier"] = tg_id
        group["weight"] = group.get("weight", 100)
    check_quota(ctx, "target_groups_per_service", len(service["_tgRefs"]), TG, service["id"], len(new_tgs))
    return {"forward": {"targetGroups": groups}}


def _check_compatible(tg: Record, protocol: str, field: str) -> None:
    tg_protocol = tg["config"].get("protocol")
    if protocol == "TLS_PASSTHROUGH":
        ok = tg["type"] != "LAMBDA" and tg_protocol == "TCP"
    else:
        ok = tg_protocol != "TCP"
    if not ok:
        raise ValidationError(
            f"Target group {tg['id']} ({tg['type']}/{tg_protocol}) cannot serve a {protocol} listener",
            field_list=[{"name": field, "message": "incompatible target group protocol"}],
        )


def action_tgs(action: dict[str, Any] | None) -> list[str]:
    if not action or "forward" not in action:
        return []
    return [g["targetGroupIdentifier"] for g in action["forward"]["targetGroups"]]


def add_refs(ctx: Ctx, service: Record, action: dict[str, Any] | None) -> None:
    for tg_id in action_tgs(action):
        tg = ctx.part.get(TG, tg_id)
        if tg is None:
            continue
        if not tg["_refs"]:
            # Health checking starts over when the group enters service.
            tg["_healthSince"] = ctx.now
        tg["_refs"][service["id"]] = tg["_refs"].get(service["id"], 0) + 1
        service["_tgRefs"][tg_id] = service["_tgRefs"].get(tg_id, 0) + 1


def drop_refs(ctx: Ctx, service: Record, action: dict[str, Any] | None) -> None:
    for tg_id in action_tgs(action):
        left = service["_tgRefs"].get(tg_id, 0) - 1
        if left > 0:
            service["_tgRefs"][tg_id] = left
        else:
            service["_tgRefs"].pop(tg_id, None)
        tg = ctx.part.get(TG, tg_id)
        if tg is None:
            continue
        n = tg["_refs"].get(service["id"], 0) - 1
        if n > 0:
            tg["_refs"][service["id"]] = n
        else:
            tg["_refs"].pop(service["id"], None)


def service_arns(ctx: Ctx, tg: Record) -> list[str]:
    return [arn(ctx.region, ctx.account, f"service/{sid}") for sid, n in tg["_refs"].items() if n > 0]
