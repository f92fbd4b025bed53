"""Service networks (spec 2.1): synchronous, no status; delete blocked by associations."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict
from ..ids import SERVICE_NETWORK as SN
from ..ids import arn
from ..lifecycle import start_create
from ..ops import Ctx, check_name_free, check_quota, check_tags, item_view, lookup, op, touch, view
from ..paging import paginate
from .cleanup import drop_attachments


def counts(ctx: Ctx, rid: str) -> dict[str, int]:
    return {
        "numberOfAssociatedVPCs": ctx.part.count("snva@sn:" + rid),
        "numberOfAssociatedServices": ctx.part.count("snsa@sn:" + rid),
    }


@op("CreateServiceNetwork")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    name_key = f"sn/{name}"
    check_name_free(ctx, SN, name_key, name)
    check_quota(ctx, "service_networks", ctx.part.count("servicenetwork"), SN)
    rid = ctx.part.new_id(SN)
    rec = {
        "id": rid,
        "name": name,
        "arn": arn(ctx.region, ctx.account, f"servicenetwork/{rid}"),
        "authType": p.get("authType") or "NONE",
        "sharingConfig": p.get("sharingConfig") or {"enabled": False},
        "_tags": check_tags(p.get("tags")),
    }
    ctx.part.add(SN, rec, ["servicenetwork"], name_key)
    start_create(ctx, SN, rec, with_status=False)
    return view(ctx.op, rec)


@op("GetServiceNetwork")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, SN, p["serviceNetworkIdentifier"])
    return view(ctx.op, rec, **counts(ctx, rec["id"]))


@op("ListServiceNetworks")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return paginate(
        ctx, SN, "servicenetwork", p,
        lambda r: item_view(ctx.op, r, numberOfAssociatedResourceConfigurations=0, **counts(ctx, r["id"])),
    )


@op("UpdateServiceNetwork")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, SN, p["serviceNetworkIdentifier"])
    rec["authType"] = p["authType"]
    touch(ctx, rec)
    return view(ctx.op, rec)


@op("DeleteServiceNetwork")
def delete(ctx: Ctx, p: dict[str, Any]) -> None:
    rec = lookup(ctx, SN, p["serviceNetworkIdentifier"])
    rid = rec["id"]
    if ctx.part.count("snva@sn:" + rid):
        raise Conflict(SN.resource_type, rid, f"ServiceNetwork {rid} has VPC(s) associated")
    if ctx.part.count("snsa@sn:" + rid):
        raise Conflict(SN.resource_type, rid, f"ServiceNetwork {rid} has service(s) associated")
    drop_attachments(ctx, rec)
    ctx.part.remove(SN, rid)
