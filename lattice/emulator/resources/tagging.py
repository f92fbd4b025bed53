"""Tagging by ARN (spec 2.10) for every taggable resource."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound, ValidationError
from ..ids import ALS, LISTENER, RULE, SERVICE, SERVICE_NETWORK, SNSA, SNVA, TARGET_GROUP, Kind, parse_arn
from ..ops import Ctx, check_tags, op, touch
from ..store import Record

# ARN resource path shape (type segments) -> kind of the last ID.
PATHS: dict[tuple[str, ...], Kind] = {
    ("servicenetwork",): SERVICE_NETWORK,
    ("service",): SERVICE,
    ("service", "listener"): LISTENER,
    ("service", "listener", "rule"): RULE,
    ("targetgroup",): TARGET_GROUP,
    ("servicenetworkserviceassociation",): SNSA,
    ("servicenetworkvpcassociation",): SNVA,
    ("accesslogsubscription",): ALS,
}
MAX_TAGS = 200


def _resource(ctx: Ctx, resource_arn: str) -> Record:
    parsed = parse_arn(resource_arn)
    if parsed is None:
        raise NotFound("RESOURCE", resource_arn)
    region, account, path = parsed
    kind = PATHS.get(tuple(path[0::2])) if len(path) % 2 == 0 else None
    if kind is None or region != ctx.region or account != ctx.account:
        raise NotFound("RESOURCE", resource_arn)
    rec = ctx.part.get(kind, path[-1])
    # The full ARN must match, so a listener ID under the wrong service is not found.
    if rec is None or rec["arn"] != resource_arn:
        raise NotFound(kind.resource_type, resource_arn)
    return rec


@op("TagResource")
def tag(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = _resource(ctx, p["resourceArn"])
    merged = {**rec["_tags"], **check_tags(p["tags"])}
    if len(merged) > MAX_TAGS:
        raise ValidationError(f"A resource can have at most {MAX_TAGS} tags",
                              field_list=[{"name": "tags", "message": "too many tags"}])
    rec["_tags"] = merged
    touch(ctx, rec)
    return {}


@op("UntagResource")
def untag(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = _resource(ctx, p["resourceArn"])
    if rec["_tags"]:
        # The Tagging API's GetResources keeps listing once-tagged resources (with "Tags": []).
        rec["_hadTags"] = True
    for key in p["tagKeys"]:
        rec["_tags"].pop(key, None)
    touch(ctx, rec)
    return {}


@op("ListTagsForResource")
def list_tags(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(_resource(ctx, p["resourceArn"])["_tags"])}
