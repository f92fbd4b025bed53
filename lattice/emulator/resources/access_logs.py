"""Access log subscriptions (spec 2.9): one per destination type per resource."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, NotFound, ValidationError
from ..ids import ALS, SERVICE, SERVICE_NETWORK, arn
from ..lifecycle import start_create
from ..ops import Ctx, check_tags, lookup, op, resource_id, touch, view
from ..paging import paginate
from ..store import Record

DESTINATIONS = {"logs": "CLOUDWATCH_LOGS", "s3": "S3", "firehose": "FIREHOSE"}


def destination_type(destination: str) -> str:
    parts = destination.split(":")
    kind = DESTINATIONS.get(parts[2]) if len(parts) > 2 else None
    if kind is None:
        raise ValidationError(
            "destinationArn must be a CloudWatch Logs group, S3 bucket or Kinesis Data Firehose stream",
            field_list=[{"name": "destinationArn", "message": "unsupported destination"}],
        )
    return kind


def target_resource(ctx: Ctx, identifier: str) -> Record:
    """The service network or service an identifier names (rcfg is out of scope)."""
    bare = resource_id(ctx, identifier, SERVICE_NETWORK)
    if bare.startswith("sn-"):
        return lookup(ctx, SERVICE_NETWORK, identifier)
    if bare.startswith("svc-"):
        return lookup(ctx, SERVICE, identifier)
    # Resource configurations are out of scope, so none ever exists.
    raise NotFound("RESOURCE_CONFIGURATION", identifier)


@op("CreateAccessLogSubscription")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    res = target_resource(ctx, p["resourceIdentifier"])
    dtype = destination_type(p["destinationArn"])
    log_type = p.get("serviceNetworkLogType") or ("SERVICE" if res["id"].startswith("sn-") else None)
    key = "als@res:" + res["id"]
    for other in _subscriptions(ctx, key):
        if other["_destType"] == dtype and other.get("serviceNetworkLogType") == log_type:
            raise Conflict(ALS.resource_type, other["id"], f"{res['id']} already has a {dtype} access log subscription")
    rid = ctx.part.new_id(ALS)
    rec = {
        "id": rid,
        "arn": arn(ctx.region, ctx.account, f"accesslogsubscription/{rid}"),
        "resourceId": res["id"],
        "resourceArn": res["arn"],
        "destinationArn": p["destinationArn"],
        "serviceNetworkLogType": log_type,
        "_destType": dtype,
        "_tags": check_tags(p.get("tags")),
    }
    ctx.part.add(ALS, rec, ["als", key])
    start_create(ctx, ALS, rec, with_status=False)
    return view(ctx.op, rec)


def _subscriptions(ctx: Ctx, key: str) -> list[Record]:
    index = ctx.part.indexes.get(key)
    return [ctx.part.tables[ALS.name][i] for i in index.ids()] if index else []


@op("GetAccessLogSubscription")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return view(ctx.op, lookup(ctx, ALS, p["accessLogSubscriptionIdentifier"]))


@op("ListAccessLogSubscriptions")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    bare = resource_id(ctx, p["resourceIdentifier"], SERVICE_NETWORK)
    return paginate(ctx, ALS, "als@res:" + bare, p)


@op("UpdateAccessLogSubscription")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, ALS, p["accessLogSubscriptionIdentifier"])
    dtype = destination_type(p["destinationArn"])
    if dtype != rec["_destType"]:
        raise Conflict(ALS.resource_type, rec["id"], f"Cannot change the destination type from {rec['_destType']} to {dtype}")
    rec["destinationArn"] = p["destinationArn"]
    touch(ctx, rec)
    return view(ctx.op, rec)


@op("DeleteAccessLogSubscription")
def delete(ctx: Ctx, p: dict[str, Any]) -> None:
    rec = lookup(ctx, ALS, p["accessLogSubscriptionIdentifier"])
    ctx.part.remove(ALS, rec["id"])
