"""How one answered Lattice call changes the inventory's records: a table keyed by (kind, operation).

`Inventory.record(api, key, params, response)` is the only caller: the applier (plan operations),
the service-network steps and the status re-reads of `LatticeSync` all report what Lattice said
there, and the function registered for `(key kind, api)` updates the records, like the emulator's
handler table. Keys are the plan's (`("svc", name)`, `("listener", "svc/l")`, `("rule",
"svc/l/r")`, `("snsa", "svc/sn")`, ...) plus the service-network steps' (`("sn", name)`,
`("snva", name)`, `("snals", name)`).

`response` is what Lattice returned; `{}` for a delete Lattice answered with NotFound (already
gone: same effect), and `None` for a Get answered with NotFound (the resource is gone). A handler
returns per-item problems of a batch call (BatchUpdateRule, Register/DeregisterTargets), else [].

Records are found by name in the maps this module is given (`Records`), never by reaching into
the caller: the inventory passes itself, and this module imports no other module of ours but the
record types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lattice.observed import (
    AccessLogRec,
    AssociationRec,
    ListenerRec,
    RuleRec,
    ServiceNetworkRec,
    ServiceRec,
    TargetGroupRec,
    VpcAssociationRec,
)


class Records(Protocol):
    """What a handler may use of the inventory (which owns every record)."""

    services: dict[str, ServiceRec]
    target_groups: dict[str, TargetGroupRec]
    service_networks: dict[str, ServiceNetworkRec]

    def put_service(self, rec: ServiceRec) -> None: ...
    def drop_service(self, name: str) -> None: ...
    def put_target_group(self, rec: TargetGroupRec) -> None: ...
    def drop_target_group(self, name: str) -> None: ...
    def retag(self, kind: str, name: str, tags: dict[str, str]) -> None: ...
    def put_service_network(self, rec: ServiceNetworkRec) -> None: ...
    def drop_service_network(self, name: str) -> None: ...
    def service_network(self, name_or_id: str) -> ServiceNetworkRec | None: ...
    def listener(self, path: str) -> ListenerRec | None: ...


Handler = Callable[[Records, str, dict[str, Any], Any], list[str]]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(*keys: tuple[str, str]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for k in keys:
            if k in HANDLERS:
                raise ValueError(f"two handlers for {k}")
            HANDLERS[k] = fn
        return fn

    return register


def _tags(p: dict[str, Any]) -> dict[str, str]:
    return dict(p.get("tags") or {})


def _svc_of(inv: Records, path: str) -> ServiceRec | None:
    return inv.services.get(path.partition("/")[0])


# -- target groups ------------------------------------------------------------------------------
@handles(("tg", "CreateTargetGroup"))
def _create_tg(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.put_target_group(TargetGroupRec(id=r["id"], arn=r["arn"], name=r["name"], type=r.get("type", "IP"),
                                        status=r.get("status", "CREATE_IN_PROGRESS"),
                                        config=r.get("config") or p.get("config"), tags=_tags(p),
                                        vpc_identifier=(p.get("config") or {}).get("vpcIdentifier"), targets={}))
    return []


@handles(("tg", "UpdateTargetGroup"))
def _update_tg(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    tg = inv.target_groups.get(name)
    if tg is not None:
        tg.config = r.get("config") or tg.config
    return []


@handles(("tg", "DeleteTargetGroup"))
def _delete_tg(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.drop_target_group(name)
    return []


@handles(("tg", "GetTargetGroup"))
def _got_tg(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any] | None) -> list[str]:
    tg = inv.target_groups.get(name)
    if r is None:
        inv.drop_target_group(name)
    elif tg is not None:
        tg.config = r.get("config")
        tg.status = r.get("status", tg.status)
    return []


def _targets_changed(registering: bool) -> Handler:
    def record(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
        tg = inv.target_groups.get(name)
        if tg is not None:
            if registering and tg.status == "CREATE_IN_PROGRESS":
                tg.status = "ACTIVE"  # Lattice registers targets only into an ACTIVE target group
            tg.targets = tg.targets if tg.targets is not None else {}
            # a delete answered NotFound ({}) removed every target it named
            for t in r.get("successful", ()) if r else p["targets"]:
                k = (t["id"], t.get("port"))
                if registering:
                    tg.targets[k] = "INITIAL"
                else:
                    tg.targets.pop(k, None)
        return [f"target {u.get('id')}:{u.get('port')}: {u.get('failureCode')} {u.get('failureMessage')}"
                for u in (r or {}).get("unsuccessful", ())]

    return record


HANDLERS[("targets", "RegisterTargets")] = _targets_changed(True)
HANDLERS[("targets", "DeregisterTargets")] = _targets_changed(False)


# -- services -----------------------------------------------------------------------------------
@handles(("svc", "CreateService"))
def _create_service(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.put_service(ServiceRec(id=r["id"], arn=r["arn"], name=r["name"], status=r.get("status", ""),
                               dns_name=(r.get("dnsEntry") or {}).get("domainName"),
                               custom_domain_name=r.get("customDomainName"),
                               certificate_arn=r.get("certificateArn"), auth_type=r.get("authType", "NONE"),
                               tags=_tags(p), listeners={}, associations={}, access_logs={}, hydrated=True))
    return []


@handles(("svc", "UpdateService"))
def _update_service(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = inv.services.get(name)
    if svc is not None:
        if "certificateArn" in p:
            svc.certificate_arn = p["certificateArn"]
        if "authType" in p:
            svc.auth_type = p["authType"]
    return []


@handles(("svc", "DeleteService"))
def _delete_service(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.drop_service(name)
    return []


@handles(("svc", "GetService"))
def _got_service(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any] | None) -> list[str]:
    svc = inv.services.get(name)
    if r is None:
        inv.drop_service(name)
    elif svc is not None:
        svc.status = r.get("status", svc.status)
    return []


@handles(("auth", "PutAuthPolicy"), ("auth", "DeleteAuthPolicy"))
def _service_auth_policy(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = inv.services.get(name)
    if svc is not None:
        svc.auth_policy = p.get("policy")  # DeleteAuthPolicy carries none
    return []


@handles(("als", "CreateAccessLogSubscription"), ("als", "UpdateAccessLogSubscription"),
         ("als", "DeleteAccessLogSubscription"))
def _service_access_log(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = _svc_of(inv, name)
    if svc is not None:
        svc.access_logs = svc.access_logs if svc.access_logs is not None else {}
        _access_log(svc.access_logs, svc.id, p, r)
    return []


def _access_log(logs: dict[str, AccessLogRec], resource_id: str, p: dict[str, Any], r: dict[str, Any]) -> None:
    """One ALS call on a service's or a network's subscriptions (by id)."""
    if "resourceIdentifier" in p:  # create
        logs[r["id"]] = AccessLogRec(id=r["id"], arn=r["arn"], resource_id=resource_id,
                                     destination_arn=p["destinationArn"], tags=_tags(p))
    elif "destinationArn" in p:  # update
        a = logs.get(p["accessLogSubscriptionIdentifier"])
        if a is not None:
            a.destination_arn = p["destinationArn"]
    else:
        logs.pop(p["accessLogSubscriptionIdentifier"], None)


# -- service associations ------------------------------------------------------------------------
@handles(("snsa", "CreateServiceNetworkServiceAssociation"))
def _create_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = _svc_of(inv, name)
    if svc is not None:
        if svc.status == "CREATE_IN_PROGRESS":
            svc.status = "ACTIVE"  # Lattice refuses an association while the service is being created
        sn_id = p["serviceNetworkIdentifier"]
        sn = inv.service_network(sn_id)
        svc.associations = svc.associations or {}
        svc.associations[sn_id] = AssociationRec(
            id=r["id"], arn=r["arn"], service_id=svc.id, service_network_id=sn_id,
            service_network_name=sn.name if sn else name.partition("/")[2],
            status=r.get("status", "CREATE_IN_PROGRESS"), tags=_tags(p))
    return []


@handles(("snsa", "DeleteServiceNetworkServiceAssociation"))
def _delete_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = _svc_of(inv, name)
    if svc is not None and svc.associations:
        ident = p["serviceNetworkServiceAssociationIdentifier"]
        for sn_id, a in list(svc.associations.items()):
            if a.id == ident:
                del svc.associations[sn_id]
    return []


@handles(("snsa", "GetServiceNetworkServiceAssociation"))
def _got_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any] | None) -> list[str]:
    svc = _svc_of(inv, name)
    ident = p["serviceNetworkServiceAssociationIdentifier"]
    for sn_id, a in list((svc.associations or {}).items() if svc is not None else ()):
        if a.id != ident:
            continue
        if r is None:
            del svc.associations[sn_id]  # type: ignore[union-attr]
        else:
            a.status = r.get("status", a.status)
    return []


# -- listeners and rules -------------------------------------------------------------------------
@handles(("listener", "CreateListener"))
def _create_listener(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = _svc_of(inv, name)
    if svc is not None:
        svc.listeners = svc.listeners if svc.listeners is not None else {}
        svc.listeners[r["name"]] = ListenerRec(id=r["id"], arn=r["arn"], name=r["name"], port=r["port"],
                                               protocol=r["protocol"],
                                               default_action=r.get("defaultAction") or p["defaultAction"],
                                               tags=_tags(p))
    return []


@handles(("listener", "UpdateListener"))
def _update_listener(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    lst = inv.listener(name)
    if lst is not None:
        lst.default_action = r.get("defaultAction") or p["defaultAction"]
    return []


@handles(("listener", "DeleteListener"))
def _delete_listener(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    svc = _svc_of(inv, name)
    if svc is not None and svc.listeners is not None:
        for lname, lst in list(svc.listeners.items()):
            if lst.id == p["listenerIdentifier"]:
                del svc.listeners[lname]
    return []


@handles(("rule", "CreateRule"))
def _create_rule(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    lst = inv.listener(name.rsplit("/", 1)[0])
    if lst is not None:
        lst.rules[r["name"]] = RuleRec(id=r["id"], arn=r["arn"], name=r["name"], priority=r.get("priority"),
                                       match=r.get("match") or p["match"], action=r.get("action") or p["action"],
                                       tags=_tags(p))
    return []


@handles(("rule", "DeleteRule"))
def _delete_rule(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    lst = inv.listener(name.rsplit("/", 1)[0])
    if lst is not None:
        for rname, rule in list(lst.rules.items()):
            if rule.id == p["ruleIdentifier"]:
                del lst.rules[rname]
    return []


@handles(("rules", "BatchUpdateRule"))
def _batch_update_rules(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    lst = inv.listener(name)
    if lst is not None:
        by_id = {rule.id: rule for rule in lst.rules.values()}
        for item in r.get("successful", ()):
            rule = by_id.get(item.get("id"))
            if rule is not None:
                rule.priority = item.get("priority", rule.priority)
                rule.match = item.get("match", rule.match)
                rule.action = item.get("action", rule.action)
    return [f"rule {u.get('ruleIdentifier')}: {u.get('failureCode')} {u.get('failureMessage')}"
            for u in r.get("unsuccessful", ())]


# -- tags on the plan's resources -------------------------------------------------------------------
def _tagged(inv: Records, kind: str, name: str) -> Any:
    if kind == "svc":
        return inv.services.get(name)
    if kind == "tg":
        return inv.target_groups.get(name)
    if kind == "listener":
        return inv.listener(name)
    if kind == "rule":
        lst = inv.listener(name.rsplit("/", 1)[0])
        return lst.rules.get(name.rsplit("/", 1)[1]) if lst is not None else None
    if kind == "snsa":
        svc = _svc_of(inv, name)
        sn_name = name.partition("/")[2]
        return next((a for a in (svc.associations or {}).values() if a.service_network_name == sn_name),
                    None) if svc is not None else None
    if kind == "sn":
        return inv.service_networks.get(name)
    return None


def _retagger(kind: str) -> Handler:
    def record(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
        rec = _tagged(inv, kind, name)
        if rec is None:
            return []
        tags = dict(rec.tags or {})
        if "tagKeys" in p:  # UntagResource
            for k in p["tagKeys"]:
                tags.pop(k, None)
        else:
            tags.update(p["tags"])
        if kind in ("svc", "tg"):
            inv.retag(kind, name, tags)  # re-indexes ownership and source
        else:
            rec.tags = tags
        return []

    return record


for _kind in ("svc", "tg", "listener", "rule", "snsa", "sn"):
    HANDLERS[(_kind, "TagResource")] = HANDLERS[(_kind, "UntagResource")] = _retagger(_kind)


# -- service networks (networks.py): ("sn" | "snva" | "snals", network name) ----------------------------
@handles(("sn", "CreateServiceNetwork"))
def _create_network(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.put_service_network(ServiceNetworkRec(id=r["id"], arn=r["arn"], name=name, auth_type=r.get("authType"),
                                              tags=_tags(p), vpc_associations=None))
    return []


@handles(("sn", "DeleteServiceNetwork"))
def _delete_network(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    inv.drop_service_network(name)
    return []


@handles(("sn", "UpdateServiceNetwork"))
def _update_network(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec = inv.service_networks.get(name)
    if rec is not None and "authType" in p:
        rec.auth_type = p["authType"]
    return []


@handles(("sn", "PutAuthPolicy"), ("sn", "DeleteAuthPolicy"))
def _network_auth_policy(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec = inv.service_networks.get(name)
    if rec is not None:
        rec.auth_policy = p.get("policy")
    return []


def _network_vpc_associations(inv: Records, name: str) -> tuple[ServiceNetworkRec | None, dict[str, VpcAssociationRec]]:
    rec = inv.service_networks.get(name)
    if rec is None:
        return None, {}
    if rec.vpc_associations is None:
        rec.vpc_associations = {}
    return rec, rec.vpc_associations


@handles(("snva", "CreateServiceNetworkVpcAssociation"))
def _create_vpc_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec, vas = _network_vpc_associations(inv, name)
    if rec is not None:
        vas[rec.id] = VpcAssociationRec(id=r["id"], arn=r["arn"], service_network_id=rec.id,
                                        vpc_id=p["vpcIdentifier"], status=r.get("status", ""),
                                        security_group_ids=tuple(p.get("securityGroupIds") or ()), tags=_tags(p))
    return []


@handles(("snva", "UpdateServiceNetworkVpcAssociation"))
def _update_vpc_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec, vas = _network_vpc_associations(inv, name)
    mine = vas.get(rec.id) if rec is not None else None
    if mine is not None:
        mine.security_group_ids = tuple(p["securityGroupIds"])
    return []


@handles(("snva", "DeleteServiceNetworkVpcAssociation"))
def _delete_vpc_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec, vas = _network_vpc_associations(inv, name)
    if rec is not None:
        vas.pop(rec.id, None)
    return []


@handles(("snva", "GetServiceNetworkVpcAssociation"))
def _got_vpc_association(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any] | None) -> list[str]:
    rec, vas = _network_vpc_associations(inv, name)
    mine = vas.get(rec.id) if rec is not None else None
    if mine is None or rec is None:
        return []
    if r is None:
        vas.pop(rec.id, None)
    else:
        mine.status = r.get("status", mine.status)
        mine.security_group_ids = tuple(r.get("securityGroupIds") or ())
    return []


@handles(("snals", "CreateAccessLogSubscription"), ("snals", "UpdateAccessLogSubscription"),
         ("snals", "DeleteAccessLogSubscription"))
def _network_access_log(inv: Records, name: str, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
    rec = inv.service_networks.get(name)
    if rec is not None:
        rec.access_logs = rec.access_logs if rec.access_logs is not None else {}
        _access_log(rec.access_logs, rec.id, p, r)
    return []
