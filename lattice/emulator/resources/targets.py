"""Targets (spec 2.8) and their derived statuses (spec 3, "Target status")."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..errors import Conflict
from ..ids import TARGET_GROUP as TG
from ..ops import Ctx, check_quota, lookup, op
from ..paging import decode_token, encode_token
from ..store import UNDRAIN, Record

INSTANCE_ID = re.compile(r"i-[0-9a-f]{8}([0-9a-f]{9})?")
LAMBDA_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?")
ALB_ARN = re.compile(r"arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/.+")


def target_status(ctx: Ctx, tg: Record, target: dict[str, Any]) -> tuple[str, str | None]:
    """(status, reasonCode) as Lattice derives it from use, health checks and time."""
    if target.get("drainUntil") is not None:
        return "DRAINING", "Target.DeregistrationInProgress"
    if not tg["_refs"]:
        return "UNUSED", "Target.NotInUse"
    health = tg["config"].get("healthCheck")
    if not health or not health.get("enabled", True):
        return "UNAVAILABLE", "Target.HealthCheckDisabled"
    if target.get("health"):
        return target["health"], target.get("reasonCode") or "Target.ResponseCodeMismatch"
    since = max(target["registeredAt"], tg.get("_healthSince", 0))
    if ctx.now < since + initial_seconds(ctx, health):
        return "INITIAL", "Elb.RegistrationInProgress"
    return "HEALTHY", None


# Lattice's health check defaults (CreateTargetGroup's healthCheck members, when not given).
DEFAULT_INTERVAL_SECONDS = 30
DEFAULT_HEALTHY_THRESHOLD = 5


def initial_seconds(ctx: Ctx, health: dict[str, Any]) -> float:
    """How long a new target stays INITIAL: a fixed delay, or the health checks it must pass."""
    scale = ctx.config.delays.health_checks
    if scale <= 0:
        return ctx.config.delays.target_health
    interval = health.get("healthCheckIntervalSeconds") or DEFAULT_INTERVAL_SECONDS
    threshold = health.get("healthyThresholdCount") or DEFAULT_HEALTHY_THRESHOLD
    return scale * interval * threshold


def _bad_id(tg: Record, target_id: str) -> str | None:
    kind = tg["type"]
    if kind == "IP":
        try:
            addr = ipaddress.ip_address(target_id)
        except ValueError:
            return "not an IP address"
        want = 6 if tg["config"].get("ipAddressType") == "IPV6" else 4
        return None if addr.version == want else f"not an IPv{want} address"
    if kind == "INSTANCE":
        return None if INSTANCE_ID.fullmatch(target_id) else "not an EC2 instance id"
    if kind == "LAMBDA":
        return None if LAMBDA_ARN.fullmatch(target_id) else "not a Lambda function ARN"
    return None if ALB_ARN.fullmatch(target_id) else "not an Application Load Balancer ARN"


def _key(target_id: str, port: int | None) -> str:
    return f"{target_id}|{port if port is not None else ''}"


def _port(tg: Record, target: dict[str, Any]) -> int | None:
    return None if tg["type"] == "LAMBDA" else target.get("port") or tg["config"].get("port")


@op("RegisterTargets")
def register(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    tg = lookup(ctx, TG, p["targetGroupIdentifier"])
    if tg["status"] != "ACTIVE":
        raise Conflict(TG.resource_type, tg["id"], f"TargetGroup {tg['id']} is in status {tg['status']}")
    targets: dict[str, dict[str, Any]] = tg["_targets"]
    ok: list[tuple[str, Any, int | None]] = []
    failed: list[dict[str, Any]] = []
    new: list[str] = []
    single = tg["type"] in ("LAMBDA", "ALB")
    for t in p["targets"]:
        port = _port(tg, t)
        problem = _bad_id(tg, t["id"])
        key = _key(t["id"], port)
        if problem is None and single and any(k != key for k in [*targets, *new]):
            problem = f"{tg['type']} target groups take one target"
        if problem is not None:
            failed.append({"id": t["id"], "port": port, "failureCode": "InvalidParameter", "failureMessage": problem})
            continue
        if key not in targets and key not in new:
            new.append(key)
        ok.append((key, t["id"], port))
    check_quota(ctx, "targets_per_target_group", len(targets), TG, tg["id"], len(new))
    for key, target_id, port in ok:
        existing = targets.get(key)
        if existing is None:
            ctx.part.seq += 1
            targets[key] = {"id": target_id, "port": port, "registeredAt": ctx.now, "seq": ctx.part.seq}
        elif existing.get("drainUntil") is not None:
            # Registering a draining target again cancels the deregistration.
            existing["drainUntil"] = None
            existing["registeredAt"] = ctx.now
    return {"successful": [_ident(tid, port) for _, tid, port in ok], "unsuccessful": [_clean(f) for f in failed]}


@op("DeregisterTargets")
def deregister(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    tg = lookup(ctx, TG, p["targetGroupIdentifier"])
    targets = tg["_targets"]
    ok = []
    drain = ctx.config.delays.draining
    for t in p["targets"]:
        port = _port(tg, t)
        key = _key(t["id"], port)
        target = targets.get(key)
        if target is not None and target.get("drainUntil") is None:
            if tg["_refs"] and drain > 0:
                target["drainUntil"] = ctx.now + drain
                ctx.part.schedule(TG, tg["id"], target["drainUntil"], UNDRAIN, key)
            else:
                del targets[key]
        ok.append(_ident(t["id"], port))
    return {"successful": ok, "unsuccessful": []}


@op("ListTargets")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    tg = lookup(ctx, TG, p["targetGroupIdentifier"])
    wanted = p.get("targets")
    after = decode_token(p.get("nextToken"))
    limit = p.get("maxResults") or 100
    items: list[dict[str, Any]] = []
    resume: int | None = None
    last = after
    for target in tg["_targets"].values():
        if target["seq"] <= after:
            continue
        if wanted and not any(w["id"] == target["id"] and w.get("port") in (None, target["port"]) for w in wanted):
            continue
        if len(items) == limit:
            resume = last
            break
        status, reason = target_status(ctx, tg, target)
        items.append(_clean({"id": target["id"], "port": target["port"], "status": status, "reasonCode": reason}))
        last = target["seq"]
    out: dict[str, Any] = {"items": items}
    if resume is not None:
        out["nextToken"] = encode_token(resume)
    return out


def _ident(target_id: Any, port: int | None = None) -> dict[str, Any]:
    return _clean({"id": target_id, "port": port})


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
