"""Auth policies and resource policies (spec 2.9)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import NotFound, ValidationError
from ..ops import Ctx, op, view
from ..store import Record
from .access_logs import target_resource


def _check_policy(policy: str, limit: int) -> str:
    """The policy minified (key order kept), as Lattice stores and returns it. Multi-line JSON is
    accepted: the model's documentation says the string "must not contain newlines", but Lattice
    takes a pretty-printed policy and answers with it on one line (observed by running the AWS
    controller, which sends its IAMAuthPolicy documents as written)."""
    try:
        doc = json.loads(policy)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ValidationError("Policy is not a valid JSON policy document",
                              field_list=[{"name": "policy", "message": "invalid JSON"}])
    minified = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    if len(minified.encode()) > limit:
        raise ValidationError(f"Policy is larger than {limit} bytes",
                              field_list=[{"name": "policy", "message": "too large"}])
    return minified


def _state(res: Record) -> str:
    # Derived on every read: flipping the resource's authType flips the policy state.
    return "Active" if res.get("authType") == "AWS_IAM" else "Inactive"


@op("PutAuthPolicy")
def put_auth(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    res = target_resource(ctx, p["resourceIdentifier"])
    policy = _check_policy(p["policy"], ctx.config.quota("auth_policy_bytes"))
    existing = ctx.part.auth_policies.get(res["id"])
    ctx.part.auth_policies[res["id"]] = {
        "policy": policy,
        "createdAt": existing["createdAt"] if existing else ctx.stamp,
        "lastUpdatedAt": ctx.stamp,
    }
    return {"policy": policy, "state": _state(res)}


@op("GetAuthPolicy")
def get_auth(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    res = target_resource(ctx, p["resourceIdentifier"])
    rec = ctx.part.auth_policies.get(res["id"])
    if rec is None:
        raise NotFound("AUTH_POLICY", p["resourceIdentifier"], f"No auth policy on {res['id']}")
    return view(ctx.op, rec, state=_state(res))


@op("DeleteAuthPolicy")
def delete_auth(ctx: Ctx, p: dict[str, Any]) -> None:
    res = target_resource(ctx, p["resourceIdentifier"])
    ctx.part.auth_policies.pop(res["id"], None)


@op("PutResourcePolicy")
def put_resource(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    res = target_resource(ctx, p["resourceArn"])
    _check_policy(p["policy"], 10_000)
    ctx.part.resource_policies[res["arn"]] = {"policy": p["policy"]}
    return {}


@op("GetResourcePolicy")
def get_resource(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    res = target_resource(ctx, p["resourceArn"])
    rec = ctx.part.resource_policies.get(res["arn"])
    if rec is None:
        raise NotFound("RESOURCE_POLICY", p["resourceArn"], f"No resource policy on {res['arn']}")
    return {"policy": rec["policy"]}


@op("DeleteResourcePolicy")
def delete_resource(ctx: Ctx, p: dict[str, Any]) -> None:
    res = target_resource(ctx, p["resourceArn"])
    ctx.part.resource_policies.pop(res["arn"], None)
