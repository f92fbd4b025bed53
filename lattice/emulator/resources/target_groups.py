"""Target groups (spec 2.7): config defaults per type, delete blocked while referenced."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, ValidationError
from ..ids import TARGET_GROUP as TG
from ..ids import arn
from ..lifecycle import require_settled, start_create, start_delete
from ..ops import Ctx, check_name_free, check_quota, check_tags, item_view, lookup, op, touch, view
from ..paging import paginate
from ..store import Record
from .actions import service_arns

HEALTH_DEFAULTS = {
    "protocol": "HTTP",
    "protocolVersion": "HTTP1",
    "path": "/",
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
    "matcher": {"httpCode": "200"},
}
LAMBDA_FORBIDDEN = ("port", "protocol", "protocolVersion", "vpcIdentifier", "healthCheck", "ipAddressType")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field_list=[{"name": field, "message": message}])


def build_config(tg_type: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """The config Lattice stores for a new target group, defaults filled in."""
    if tg_type == "LAMBDA":
        for key in LAMBDA_FORBIDDEN:
            if cfg.get(key) is not None:
                raise _invalid(f"config.{key}", "not allowed for LAMBDA target groups")
        return {"lambdaEventStructureVersion": cfg.get("lambdaEventStructureVersion") or "V1"}
    if cfg.get("lambdaEventStructureVersion") is not None:
        raise _invalid("config.lambdaEventStructureVersion", "only allowed for LAMBDA target groups")
    protocol = cfg.get("protocol")
    if protocol is None:
        raise _invalid("config.protocol", "is required")
    if cfg.get("vpcIdentifier") is None:
        raise _invalid("config.vpcIdentifier", "is required")
    if tg_type == "ALB":
        if protocol == "TCP":
            raise _invalid("config.protocol", "ALB target groups support HTTP and HTTPS only")
        if cfg.get("healthCheck") is not None:
            raise _invalid("config.healthCheck", "not allowed for ALB target groups")
    if cfg.get("ipAddressType") is not None and tg_type != "IP":
        raise _invalid("config.ipAddressType", "only allowed for IP target groups")
    port = cfg.get("port")
    if port is None:
        if protocol == "TCP":
            raise _invalid("config.port", "is required for TCP")
        port = 443 if protocol == "HTTPS" else 80
    out: dict[str, Any] = {"port": port, "protocol": protocol, "vpcIdentifier": cfg["vpcIdentifier"]}
    if protocol != "TCP":
        out["protocolVersion"] = cfg.get("protocolVersion") or "HTTP1"
    elif cfg.get("protocolVersion") is not None:
        raise _invalid("config.protocolVersion", "not allowed for TCP")
    if tg_type == "IP":
        out["ipAddressType"] = cfg.get("ipAddressType") or "IPV4"
    if tg_type != "ALB":
        out["healthCheck"] = merge_health(None, cfg.get("healthCheck") or {}, protocol)
    return out


def merge_health(current: dict[str, Any] | None, patch: dict[str, Any], tg_protocol: str) -> dict[str, Any]:
    if current is None:
        enabled = patch.get("enabled", tg_protocol != "TCP")
        base = {"enabled": enabled, **HEALTH_DEFAULTS}
        if tg_protocol == "TCP" and enabled and (patch.get("protocol") is None or patch.get("protocolVersion") is None):
            raise _invalid("config.healthCheck", "TCP target groups need protocol and protocolVersion to health check")
    else:
        base = dict(current)
    base.update({k: v for k, v in patch.items() if v is not None})
    return base


@op("CreateTargetGroup")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    name_key = f"tg/{name}"
    check_name_free(ctx, TG, name_key, name)
    check_quota(ctx, "target_groups", ctx.part.count("targetgroup"), TG)
    config = build_config(p["type"], p.get("config") or {})
    rid = ctx.part.new_id(TG)
    rec = {
        "id": rid,
        "name": name,
        "arn": arn(ctx.region, ctx.account, f"targetgroup/{rid}"),
        "type": p["type"],
        "config": config,
        "_tags": check_tags(p.get("tags")),
        # service id -> number of actions forwarding here
        "_refs": {},
        # "id|port" -> target record
        "_targets": {},
        "_healthSince": ctx.now,
    }
    ctx.part.add(TG, rec, ["targetgroup"], name_key)
    start_create(ctx, TG, rec)
    return view(ctx.op, rec)


@op("GetTargetGroup")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, TG, p["targetGroupIdentifier"])
    return view(ctx.op, rec, serviceArns=service_arns(ctx, rec))


def _summary(ctx: Ctx, rec: Record) -> dict[str, Any]:
    cfg = rec["config"]
    return item_view(
        ctx.op, rec,
        port=cfg.get("port"),
        protocol=cfg.get("protocol"),
        ipAddressType=cfg.get("ipAddressType"),
        vpcIdentifier=cfg.get("vpcIdentifier"),
        lambdaEventStructureVersion=cfg.get("lambdaEventStructureVersion"),
        serviceArns=service_arns(ctx, rec),
    )


@op("ListTargetGroups")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    vpc, tg_type = p.get("vpcIdentifier"), p.get("targetGroupType")

    def keep(rec: Record) -> bool:
        return (vpc is None or rec["config"].get("vpcIdentifier") == vpc) and (tg_type is None or rec["type"] == tg_type)

    return paginate(ctx, TG, "targetgroup", p, lambda r: _summary(ctx, r), keep)


@op("UpdateTargetGroup")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, TG, p["targetGroupIdentifier"])
    require_settled(TG, rec, "update")
    if rec["type"] in ("LAMBDA", "ALB"):
        raise _invalid("healthCheck", f"{rec['type']} target groups have no health check")
    rec["config"]["healthCheck"] = merge_health(rec["config"].get("healthCheck"), p["healthCheck"], rec["config"]["protocol"])
    # New health-check settings restart health evaluation of every target.
    rec["_healthSince"] = ctx.now
    touch(ctx, rec)
    return view(ctx.op, rec)


@op("DeleteTargetGroup")
def delete(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, TG, p["targetGroupIdentifier"])
    if rec["status"] == "DELETE_IN_PROGRESS":
        return view(ctx.op, rec)
    if rec["status"] == "CREATE_IN_PROGRESS":
        raise Conflict(TG.resource_type, rec["id"], f"TargetGroup {rec['id']} is in status CREATE_IN_PROGRESS")
    if any(n > 0 for n in rec["_refs"].values()):
        raise Conflict(TG.resource_type, rec["id"], f"TargetGroup {rec['id']} is in use by a listener or rule")
    start_delete(ctx, TG, rec)
    return view(ctx.op, rec)
