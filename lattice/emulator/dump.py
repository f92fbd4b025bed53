"""The human- and test-friendly state dump served at GET /_emulator/state."""

from __future__ import annotations

from typing import Any

from .config import EmulatorConfig
from .ops import Ctx
from .resources.actions import service_arns
from .resources.targets import target_status
from .store import Partition, Record

SECTIONS = {
    "servicenetwork": "serviceNetworks",
    "service": "services",
    "listener": "listeners",
    "rule": "rules",
    "targetgroup": "targetGroups",
    "servicenetworkserviceassociation": "serviceNetworkServiceAssociations",
    "servicenetworkvpcassociation": "serviceNetworkVpcAssociations",
    "accesslogsubscription": "accessLogSubscriptions",
}


def _public(rec: Record) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if not k.startswith("_") and v is not None}
    out["tags"] = rec.get("_tags", {})
    return out


def dump_partition(part: Partition, config: EmulatorConfig, now: float) -> dict[str, Any]:
    ctx = Ctx(part, config, now, "Dump")
    out: dict[str, Any] = {"account": part.account, "region": part.region}
    for kind, section in SECTIONS.items():
        items = []
        for rec in sorted(part.tables[kind].values(), key=lambda r: r["_seq"]):
            item = _public(rec)
            if kind == "targetgroup":
                item["serviceArns"] = service_arns(ctx, rec)
                item["targets"] = []
                for target in rec["_targets"].values():
                    status, reason = target_status(ctx, rec, target)
                    item["targets"].append({"id": target["id"], "port": target["port"], "status": status,
                                            "reasonCode": reason})
            if kind in ("listener", "rule"):
                item["serviceId"] = rec.get("serviceId") or rec.get("_service")
            if kind == "rule":
                item["listenerId"] = rec["_listener"]
            items.append(item)
        out[section] = items
    # ACM certificates, without their PEM (ACM never returns an imported key either)
    out["certificates"] = [_public(rec) for rec in sorted(part.certificates.values(), key=lambda r: r["_seq"])]
    out["authPolicies"] = part.auth_policies
    out["resourcePolicies"] = part.resource_policies
    return out
