"""Service-network associations (spec 2.3, 2.4): SNSA joins a service, SNVA a VPC."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, ValidationError
from ..ids import SERVICE, SERVICE_NETWORK, SNSA, SNVA, arn
from ..lifecycle import require_settled, start_create, start_delete, start_update
from ..ops import Ctx, check_quota, check_tags, lookup, op, resource_id, touch, view
from ..paging import paginate
from ..store import Record


def _one_filter(p: dict[str, Any], a: str, b: str) -> None:
    if p.get(a) is None and p.get(b) is None:
        raise ValidationError(
            f"Either {a} or {b} is required",
            field_list=[{"name": a, "message": f"either {a} or {b} is required"}],
        )


def _delete(ctx: Ctx, kind: Any, rec: Record) -> dict[str, Any]:
    # A retry while the deletion runs answers like the first call (callers retry deletes).
    if rec["status"] != "DELETE_IN_PROGRESS":
        require_settled(kind, rec, "delete")
        start_delete(ctx, kind, rec)
    return view(ctx.op, rec)


# -- service network <-> service --------------------------------------------------
@op("CreateServiceNetworkServiceAssociation")
def create_snsa(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    svc = lookup(ctx, SERVICE, p["serviceIdentifier"])
    sn = lookup(ctx, SERVICE_NETWORK, p["serviceNetworkIdentifier"])
    pair = f"snsa/{sn['id']}/{svc['id']}"
    existing = ctx.part.names.get(pair)
    if existing is not None:
        other = ctx.part.get(SNSA, existing) or {}
        raise Conflict(SNSA.resource_type, existing,
                       f"Service {svc['id']} is already associated with {sn['id']} in status {other.get('status')}")
    if svc["status"] != "ACTIVE":
        raise Conflict(SERVICE.resource_type, svc["id"], f"Service {svc['id']} is in status {svc['status']}")
    check_quota(ctx, "service_associations_per_service_network", ctx.part.count("snsa@sn:" + sn["id"]), SNSA, sn["id"])
    rid = ctx.part.new_id(SNSA)
    rec = {
        "id": rid,
        "arn": arn(ctx.region, ctx.account, f"servicenetworkserviceassociation/{rid}"),
        "createdBy": ctx.account,
        "serviceId": svc["id"],
        "serviceName": svc["name"],
        "serviceArn": svc["arn"],
        "serviceNetworkId": sn["id"],
        "serviceNetworkName": sn["name"],
        "serviceNetworkArn": sn["arn"],
        "dnsEntry": svc["dnsEntry"],
        "customDomainName": svc.get("customDomainName"),
        "_tags": check_tags(p.get("tags")),
    }
    ctx.part.add(SNSA, rec, ["snsa", "snsa@sn:" + sn["id"], "snsa@svc:" + svc["id"]], pair)
    start_create(ctx, SNSA, rec)
    return view(ctx.op, rec)


@op("GetServiceNetworkServiceAssociation")
def get_snsa(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return view(ctx.op, lookup(ctx, SNSA, p["serviceNetworkServiceAssociationIdentifier"]))


@op("ListServiceNetworkServiceAssociations")
def list_snsa(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _one_filter(p, "serviceNetworkIdentifier", "serviceIdentifier")
    sn = p.get("serviceNetworkIdentifier")
    svc = p.get("serviceIdentifier")
    sn_id = resource_id(ctx, sn, SERVICE_NETWORK) if sn else None
    svc_id = resource_id(ctx, svc, SERVICE) if svc else None
    key = f"snsa@sn:{sn_id}" if sn_id else f"snsa@svc:{svc_id}"
    return paginate(ctx, SNSA, key, p, keep=(lambda r: r["serviceId"] == svc_id) if sn_id and svc_id else None)


@op("DeleteServiceNetworkServiceAssociation")
def delete_snsa(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _delete(ctx, SNSA, lookup(ctx, SNSA, p["serviceNetworkServiceAssociationIdentifier"]))


# -- service network <-> VPC ----------------------------------------------------------
@op("CreateServiceNetworkVpcAssociation")
def create_snva(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    sn = lookup(ctx, SERVICE_NETWORK, p["serviceNetworkIdentifier"])
    vpc = p["vpcIdentifier"]
    # A VPC joins at most one service network (not adjustable; surfaces as Conflict).
    vpc_key = f"snva/{vpc}"
    existing = ctx.part.names.get(vpc_key)
    if existing is not None:
        other = ctx.part.get(SNVA, existing) or {}
        raise Conflict(SNVA.resource_type, existing,
                       f"VPC {vpc} is already associated with {other.get('serviceNetworkId')} in status "
                       f"{other.get('status')}")
    groups = p.get("securityGroupIds") or []
    check_quota(ctx, "vpc_associations_per_service_network", ctx.part.count("snva@sn:" + sn["id"]), SNVA, sn["id"])
    rid = ctx.part.new_id(SNVA)
    rec = {
        "id": rid,
        "arn": arn(ctx.region, ctx.account, f"servicenetworkvpcassociation/{rid}"),
        "createdBy": ctx.account,
        "serviceNetworkId": sn["id"],
        "serviceNetworkName": sn["name"],
        "serviceNetworkArn": sn["arn"],
        "vpcId": vpc,
        "securityGroupIds": groups,
        "privateDnsEnabled": p.get("privateDnsEnabled"),
        "dnsOptions": p.get("dnsOptions"),
        "_tags": check_tags(p.get("tags")),
    }
    ctx.part.add(SNVA, rec, ["snva", "snva@sn:" + sn["id"], "snva@vpc:" + vpc], vpc_key)
    start_create(ctx, SNVA, rec)
    return view(ctx.op, rec)


@op("GetServiceNetworkVpcAssociation")
def get_snva(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return view(ctx.op, lookup(ctx, SNVA, p["serviceNetworkVpcAssociationIdentifier"]))


@op("ListServiceNetworkVpcAssociations")
def list_snva(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _one_filter(p, "serviceNetworkIdentifier", "vpcIdentifier")
    sn = p.get("serviceNetworkIdentifier")
    vpc = p.get("vpcIdentifier")
    sn_id = resource_id(ctx, sn, SERVICE_NETWORK) if sn else None
    key = f"snva@sn:{sn_id}" if sn_id else f"snva@vpc:{vpc}"
    return paginate(ctx, SNVA, key, p, keep=(lambda r: r["vpcId"] == vpc) if sn_id and vpc else None)


@op("UpdateServiceNetworkVpcAssociation")
def update_snva(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, SNVA, p["serviceNetworkVpcAssociationIdentifier"])
    require_settled(SNVA, rec, "update")
    groups = p.get("securityGroupIds")
    if groups is not None:
        if not groups and rec["securityGroupIds"]:
            raise ValidationError("Security groups cannot all be removed",
                                  field_list=[{"name": "securityGroupIds", "message": "must not be empty"}])
        rec["securityGroupIds"] = groups
    for key in ("privateDnsEnabled", "dnsOptions"):
        if p.get(key) is not None:
            rec[key] = p[key]
    touch(ctx, rec)
    start_update(ctx, SNVA, rec)
    return view(ctx.op, rec)


@op("DeleteServiceNetworkVpcAssociation")
def delete_snva(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _delete(ctx, SNVA, lookup(ctx, SNVA, p["serviceNetworkVpcAssociationIdentifier"]))
