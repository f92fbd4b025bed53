"""Services (spec 2.2): CREATE_IN_PROGRESS -> ACTIVE; delete cascades listeners and rules."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, ValidationError
from ..ids import LISTENER, SERVICE, arn, service_dns
from ..lifecycle import require_settled, start_create, start_delete
from ..ops import Ctx, check_name_free, check_quota, check_tags, lookup, op, touch, view
from ..paging import paginate, records
from .cleanup import drop_attachments
from .listeners import remove_listener


def _check_certificate(ctx: Ctx, certificate_arn: str | None) -> None:
    """A certificate of this account and region must exist in ACM (acm_api/, same partition) and
    have a 2048-bit RSA key: "VPC Lattice only supports certificates with 2048-bit RSA keys" (user
    guide, Bring Your Own Certificate). Other accounts' certificates cannot be checked here."""
    if not certificate_arn or not certificate_arn.startswith(f"arn:aws:acm:{ctx.region}:{ctx.account}:"):
        return
    cert = ctx.part.certificates.get(certificate_arn)
    if cert is None:
        raise ValidationError(f"Certificate {certificate_arn[:200]} not found",
                              field_list=[{"name": "certificateArn", "message": "certificate not found"}])
    if cert.get("KeyAlgorithm") != "RSA_2048":
        raise ValidationError(f"Certificate {certificate_arn[:200]} has a {cert.get('KeyAlgorithm')} key; "
                              "only RSA_2048 certificates are supported",
                              field_list=[{"name": "certificateArn", "message": "unsupported key algorithm"}])


@op("CreateService")
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    _check_certificate(ctx, p.get("certificateArn"))
    name_key = f"svc/{name}"
    check_name_free(ctx, SERVICE, name_key, name)
    check_quota(ctx, "services", ctx.part.count("service"), SERVICE)
    rid = ctx.part.new_id(SERVICE)
    rec = {
        "id": rid,
        "name": name,
        "arn": arn(ctx.region, ctx.account, f"service/{rid}"),
        "customDomainName": p.get("customDomainName"),
        "certificateArn": p.get("certificateArn") or None,
        "authType": p.get("authType") or "NONE",
        "idleTimeoutSeconds": p.get("idleTimeoutSeconds", 60),
        "dnsEntry": service_dns(name, rid, ctx.region),
        "_tags": check_tags(p.get("tags")),
        # target group id -> number of actions (listener defaults and rules) forwarding to it
        "_tgRefs": {},
    }
    ctx.part.add(SERVICE, rec, ["service"], name_key)
    start_create(ctx, SERVICE, rec)
    return view(ctx.op, rec)


@op("GetService")
def get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return view(ctx.op, lookup(ctx, SERVICE, p["serviceIdentifier"]))


@op("ListServices")
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return paginate(ctx, SERVICE, "service", p)


@op("UpdateService")
def update(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, SERVICE, p["serviceIdentifier"])
    require_settled(SERVICE, rec, "update")
    if rec["status"] != "ACTIVE":
        raise Conflict(SERVICE.resource_type, rec["id"], f"Service {rec['id']} is in status {rec['status']}")
    _check_certificate(ctx, p.get("certificateArn"))
    for key in ("certificateArn", "authType", "idleTimeoutSeconds"):
        if p.get(key) is not None:
            rec[key] = p[key] or None
    touch(ctx, rec)
    return view(ctx.op, rec)


@op("DeleteService")
def delete(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = lookup(ctx, SERVICE, p["serviceIdentifier"])
    rid = rec["id"]
    if ctx.part.count("snsa@svc:" + rid):
        raise Conflict(SERVICE.resource_type, rid, f"Service {rid} has service network association(s)")
    require_settled(SERVICE, rec, "delete")
    # Listeners and rules go at once; target groups survive and lose the reference.
    for listener in records(ctx, LISTENER, "listener@svc:" + rid):
        remove_listener(ctx, listener)
    drop_attachments(ctx, rec)
    start_delete(ctx, SERVICE, rec)
    return view(ctx.op, rec)
