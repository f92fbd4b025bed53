"""Identity by ownership, not by name: keep what was already made for this very source.

Pure (sans-I/O). Before `plan()`, the desired model of one source is renamed onto what Lattice
already holds for it, so a resource made for the same Kubernetes object under another name is
kept (same id, name, DNS name, custom domain) instead of being deleted and created again under our
name. That is what a switch from the AWS Gateway API Controller needs: it names long routes'
services by plain truncation, target groups with random letters and rules by a timestamp, and it
finds them by tags, listener port and rule match (docs/migrating.md). Our deterministic names
apply only to what we create.

What counts as "made for this source" is the same rule `plan()` uses for ownership: ManagedBy is
ours and the source tags (RouteName/RouteNamespace/RouteType on a service, SourceTypeKey/... on a
target group) name this source. Matching, in this order:

- service: ours for this source, same customDomainName, when no such service lives under the
  desired name (or its replacement name) and that name is our derived one (a name the user set
  with service-name-override is kept: changing it makes a new service, as with the AWS controller);
- target group: ours for this source with the same identity tags (ClusterName, ServiceName,
  ServiceNamespace, SourceTypeKey, ProtocolVersion, RouteName, RouteNamespace) and the same
  immutable config (type, port, protocol, protocolVersion, ipAddressType, VPC), as the AWS
  controller matches them; never one an old service of this source that is being replaced still
  forwards to (a custom-domain change needs fresh target groups, see translate/naming.py);
- listener (on a kept service): same port and protocol (the AWS controller matches by port);
- rule (on a kept listener): the same match (the AWS controller's identity for a rule).

Each observed resource is adopted at most once; names the desired model already uses are never
taken. Returns the renamed model and the renames, so callers can report under the desired names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lattice import normalize
from lattice.observed import ListenerRec, ServiceRec, TargetGroupRec, service_source, target_group_source
from lattice.plan import Desired, Observed
from translate import naming
from translate.frozen import freeze
from translate.model import Listener, Rule, TargetGroup
from translate.tags import (
    CLUSTER_NAME,
    PROTOCOL_VERSION,
    ROUTE_NAME,
    ROUTE_NAMESPACE,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SOURCE_TYPE,
)

TG_IDENTITY_TAGS = (CLUSTER_NAME, SERVICE_NAME, SERVICE_NAMESPACE, SOURCE_TYPE, PROTOCOL_VERSION, ROUTE_NAME,
                    ROUTE_NAMESPACE)
_UNUSABLE = ("CREATE_FAILED", "DELETE_IN_PROGRESS", "DELETE_FAILED")


@dataclass(frozen=True, slots=True)
class Renames:
    services: Mapping[str, str] = field(default_factory=dict)  # desired name -> adopted name
    target_groups: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.services or self.target_groups)


def adopt(desired: Desired, observed: Observed) -> tuple[Desired, Renames]:
    """`desired` with the names of what `observed` already holds for its source (see module doc)."""
    svc_renames = _service_homes(desired, observed)
    tg_renames = _target_groups(desired, observed, set(svc_renames.values()))
    if not svc_renames and not tg_renames and not _any_listener_or_rule(desired, observed):
        return desired, Renames()
    services = []
    for svc in desired.services:
        name = svc_renames.get(svc.name, svc.name)
        rec = observed.services.get(name)
        listeners = tuple(_rename_actions(lst, tg_renames) for lst in svc.listeners)
        if rec is not None and _ours_for(observed, desired, rec) and rec.listeners:
            listeners = _adopt_listeners(listeners, rec)
        services.append(replace(svc, name=name, listeners=listeners))
    tgs = tuple(replace(t, name=tg_renames[t.name]) if t.name in tg_renames else t for t in desired.target_groups)
    return Desired(desired.source, tuple(services), tgs), Renames(svc_renames, tg_renames)


def _ours_for(observed: Observed, desired: Desired, rec: ServiceRec | TargetGroupRec) -> bool:
    if rec.managed_by != observed.managed_by:
        return False
    named = service_source(rec.tags) if isinstance(rec, ServiceRec) else target_group_source(rec.tags)
    return named == desired.source


def _service_homes(desired: Desired, observed: Observed) -> dict[str, str]:
    taken = {n for s in desired.services for n in (s.name, s.replacement_name) if n}
    renames: dict[str, str] = {}
    for svc in desired.services:
        homes = [n for n in (svc.name, svc.replacement_name) if n]
        if any(n in observed.services and _ours_for(observed, desired, observed.services[n]) for n in homes):
            continue  # it lives under our name already (plan handles domain changes there)
        if svc.name in observed.services:
            continue  # someone else's under our name: plan reports it; never hide a conflict
        if svc.name != naming.service_name(desired.source.name, desired.source.namespace):
            continue  # a name the user chose (service-name-override): that name it is
        want = svc.custom_domain_name or None
        for rec in sorted(observed.services.values(), key=lambda r: r.name):
            if rec.name in taken or not _ours_for(observed, desired, rec) or rec.status in _UNUSABLE:
                continue
            if (rec.custom_domain_name or None) == want:
                renames[svc.name] = rec.name
                taken.add(rec.name)
                break
    return renames


def _tg_shape(config: Mapping[str, Any] | None, rec: TargetGroupRec | None = None) -> tuple[Any, ...]:
    c = config or {}
    if rec is not None and not c:
        return (rec.port, rec.protocol, None, rec.ip_address_type, rec.vpc_identifier)
    vpc = c.get("vpcIdentifier") if rec is None else (c.get("vpcIdentifier") or rec.vpc_identifier)
    return (c.get("port"), c.get("protocol"), c.get("protocolVersion"), c.get("ipAddressType"), vpc)


def _same_shape(tg: TargetGroup, rec: TargetGroupRec) -> bool:
    want, have = _tg_shape(tg.config), _tg_shape(rec.config, rec)
    # a field Lattice did not tell us (a list summary has no protocolVersion) is not a difference;
    # a field we do not set ourselves takes Lattice's default, which we do not guess either
    return tg.type == rec.type and all(w is None or h is None or w == h for w, h in zip(want, have))


def _target_groups(desired: Desired, observed: Observed, adopted_services: set[str]) -> dict[str, str]:
    # where desired services live: their names with the desired custom domain (a service under the
    # desired name with another domain is being replaced), and the services adopted above
    homes = {n for s in desired.services for n in (s.name, s.replacement_name)
             if n and n in observed.services
             and (observed.services[n].custom_domain_name or None) == (s.custom_domain_name or None)}
    homes |= adopted_services
    # target groups an old service of this source (not a home: being replaced) still forwards to
    busy: set[str] = set()
    for rec in observed.services.values():
        if rec.name in homes or not _ours_for(observed, desired, rec):
            continue
        if rec.listeners is None:
            return {}  # unknown: adopt nothing rather than share a TG with a service being replaced
        for lst in rec.listeners.values():
            for action in (lst.default_action, *(r.action for r in lst.rules.values())):
                for t in ((action or {}).get("forward") or {}).get("targetGroups", ()):
                    busy.add(t.get("targetGroupIdentifier", ""))
    taken = {t.name for t in desired.target_groups}
    renames: dict[str, str] = {}
    for tg in desired.target_groups:
        if tg.name in observed.target_groups:
            continue
        ident = {k: tg.tags.get(k) for k in TG_IDENTITY_TAGS}
        for tg_rec in sorted(observed.target_groups.values(), key=lambda r: r.name):
            if tg_rec.name in taken or tg_rec.id in busy or tg_rec.arn in busy or tg_rec.status in _UNUSABLE:
                continue
            if not _ours_for(observed, desired, tg_rec):
                continue
            tags = tg_rec.tags or {}
            if all(tags.get(k) == v for k, v in ident.items()) and _same_shape(tg, tg_rec):
                renames[tg.name] = tg_rec.name
                taken.add(tg_rec.name)
                break
    return renames


def _rename_actions(lst: Listener, tg_renames: Mapping[str, str]) -> Listener:
    if not tg_renames:
        return lst
    return replace(lst, default_action=_rename_action(lst.default_action, tg_renames),
                   rules=tuple(replace(r, action=_rename_action(r.action, tg_renames)) for r in lst.rules))


def _rename_action(action: Any, tg_renames: Mapping[str, str]) -> Any:
    fwd = (action or {}).get("forward")
    if not fwd:
        return action
    tgs = [{**t, "targetGroupIdentifier": tg_renames.get(t["targetGroupIdentifier"], t["targetGroupIdentifier"])}
           for t in fwd.get("targetGroups", ())]
    return freeze({**action, "forward": {**fwd, "targetGroups": tgs}})


def _any_listener_or_rule(desired: Desired, observed: Observed) -> bool:
    """Whether some desired listener or rule is missing by name on a service we keep (else nothing to do)."""
    for svc in desired.services:
        rec = observed.services.get(svc.name)
        if rec is None or not rec.listeners or not _ours_for(observed, desired, rec):
            continue
        for lst in svc.listeners:
            have = rec.listeners.get(lst.name)
            if have is None or any(r.name not in have.rules for r in lst.rules):
                return True
    return False


def _adopt_listeners(listeners: tuple[Listener, ...], rec: ServiceRec) -> tuple[Listener, ...]:
    observed = rec.listeners or {}
    taken = {lst.name for lst in listeners}
    out = []
    for lst in listeners:
        have = observed.get(lst.name)
        if have is None:
            have = next((h for h in sorted(observed.values(), key=lambda h: h.name)
                         if h.name not in taken and h.port == lst.port and h.protocol == lst.protocol), None)
            if have is not None:
                taken.add(have.name)
                lst = replace(lst, name=have.name)
        if have is not None and have.port == lst.port and have.protocol == lst.protocol:
            lst = replace(lst, rules=_adopt_rules(lst.rules, have))
        out.append(lst)
    return tuple(out)


def _adopt_rules(rules: tuple[Rule, ...], have: ListenerRec) -> tuple[Rule, ...]:
    taken = {r.name for r in rules}
    out = []
    for rule in rules:
        if rule.name not in have.rules:
            want = normalize.match(rule.match)
            match = next((r for r in sorted(have.rules.values(), key=lambda r: r.name)
                          if r.name not in taken and normalize.match(r.match) == want), None)
            if match is not None:
                taken.add(match.name)
                rule = replace(rule, name=match.name)
        out.append(rule)
    return tuple(out)


__all__ = ["Renames", "TG_IDENTITY_TAGS", "adopt"]
