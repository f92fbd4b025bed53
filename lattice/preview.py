"""What a plan means, object by object: the rows `latticegw diff` prints. Pure.

`describe(source_plan, adopting=...)` reads a `SourcePlan` (sync.plan_source: the desired model
before and after adoption, what plan saw, and the plan itself) and gives one `Change` per Lattice
object of the source: its service, DNS name, associations, auth policy, access log subscriptions,
listeners, rules, target groups and their targets, plus whatever the plan deletes.
`describe_network(sn, result)` does the same for a service network from a dry run of its step
(`NetworkResult.planned`). Nothing here decides anything: the operations are plan.py's (and
networks.py's); this only says which object each one touches.

Actions:
- `adopt`:    exists, made by someone else for this source (the AWS controller: its name for it,
              or no latticegw pass has recorded it yet, or taken over from another owner); kept
              in place, same id and DNS name. With operations it is an `update` (`adopted` set).
- `keep`:     exists, nothing to do.
- `create`, `update` (`fields` say what), `delete`.
- `recreate`: deleted and created again: a service whose customDomainName changes (or that
              failed); its DNS name changes.
- `blocked`:  not done: held by another owner (a conflict, e.g. a takeover the operator did not
              allow), or waiting for something (`note` says what).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lattice.observed import ServiceRec, service_source
from lattice.plan import Key, Operation

if TYPE_CHECKING:
    from lattice.networks import NetworkResult
    from lattice.sync import SourcePlan
    from translate.model import ServiceNetwork

ACTIONS = ("adopt", "keep", "create", "update", "delete", "recreate", "blocked")
# what the key kinds of plan.py and networks.py are, for people
KINDS = {"svc": "service", "tg": "target group", "targets": "targets", "listener": "listener", "rule": "rule",
         "snsa": "association", "auth": "auth policy", "als": "access log", "sn": "service network",
         "snva": "VPC association", "snals": "access log", "dns": "DNS name"}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # a KINDS value
    name: str  # the Lattice name it has (or will have); "service/listener/rule" for children
    action: str  # one of ACTIONS
    id: str | None = None
    fields: tuple[str, ...] = ()  # an update: what changes; a create/delete: why
    note: str = ""
    adopted: bool = False  # an update of something adopted in the same pass

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "action": self.action, "id": self.id,
                "fields": list(self.fields), "note": self.note, "adopted": self.adopted}


def operations(ops: Iterable[Operation]) -> Counter[str]:
    """The Lattice API calls a plan makes, by operation."""
    return Counter(op.api for op in ops)


def _label(op: Operation) -> str:
    if op.api in ("TagResource", "UntagResource"):
        return "tags"
    if op.api == "UpdateTargetGroup":
        return "health check"
    if op.api == "UpdateListener":
        return "default action"
    if op.api == "PutAuthPolicy":
        return "policy"
    if op.api in ("RegisterTargets", "DeregisterTargets"):
        return f"{op.reason} targets"
    if op.api == "UpdateAccessLogSubscription":
        return "destination"
    if op.api == "UpdateServiceNetworkVpcAssociation":
        return "security groups"
    if op.api == "UpdateServiceNetwork":
        return "authType"
    return op.reason or op.api


def _ident(op: Operation) -> str | None:
    for key in ("ruleIdentifier", "listenerIdentifier", "serviceNetworkServiceAssociationIdentifier",
                "accessLogSubscriptionIdentifier", "targetGroupIdentifier", "serviceIdentifier"):
        v = op.params.get(key)
        if isinstance(v, str):
            return v
    return None


def classify(kind: str, name: str, ops: list[Operation], *, exists: bool, existing: str, ident: str | None = None,
             note: str = "") -> Change:
    """One object's action from the operations on it. `existing`: "adopt" or "keep"."""
    creates = [op for op in ops if op.api.startswith("Create")]
    deletes = [op for op in ops if op.api.startswith("Delete")]
    if any(op.api == "DeleteService" and op.reason.startswith("replace") for op in deletes) or (creates and deletes):
        why = tuple(dict.fromkeys(op.reason for op in deletes))
        return Change(kind, name, "recreate", ident, why, note or "deleted and created again: its DNS name changes")
    if creates:
        return Change(kind, name, "create", ident, (), note)
    if deletes:
        return Change(kind, name, "delete", ident or _ident(deletes[0]),
                      tuple(dict.fromkeys(op.reason for op in deletes)), note)
    if ops:
        return Change(kind, name, "update", ident, tuple(dict.fromkeys(_label(op) for op in ops)), note,
                      adopted=existing == "adopt")
    if not exists:
        return Change(kind, name, "blocked", ident, (), note or "not made: see the problems")
    return Change(kind, name, existing, ident, (), note)


class _Rows:
    def __init__(self, ops: Iterable[Operation], existing: str) -> None:
        self.existing = existing
        self.by_key: dict[Key, list[Operation]] = {}
        for op in ops:
            self.by_key.setdefault(op.key, []).append(op)
        self.used: set[Key] = set()
        self.out: list[Change] = []

    def add(self, key: Key, kind: str, name: str, *, exists: bool, ident: str | None = None, note: str = "",
            extra: Iterable[str] = (), existing: str | None = None) -> Change:
        self.used.add(key)
        ch = classify(kind, name, self.by_key.get(key, []), exists=exists, existing=existing or self.existing,
                      ident=ident, note=note)
        extra = tuple(extra)
        if extra:
            fields = tuple(dict.fromkeys((*ch.fields, *extra)))
            action = "update" if ch.action in ("adopt", "keep") else ch.action
            ch = Change(ch.kind, ch.name, action, ch.id, fields, ch.note,
                        adopted=ch.adopted or (action == "update" and ch.action == "adopt"))
        self.out.append(ch)
        return ch

    def rest(self) -> None:
        """Operations no desired object accounts for: deletes of what is no longer wanted."""
        for key, ops in self.by_key.items():
            if key in self.used:
                continue
            kind = KINDS.get(key[0], key[0])
            if key[0] == "rules":
                kind = "rule"
            self.out.append(classify(kind, key[1], ops, exists=True, existing=self.existing, ident=_ident(ops[0])))


def _renamed(theirs: str, ours: str) -> str:
    return "" if theirs == ours else f"its existing name (latticegw would name it {ours})"


def describe(sp: "SourcePlan", *, adopting: bool) -> list[Change]:
    """One Change per Lattice object of `sp`'s source (see the module doc). `adopting`: latticegw
    has not recorded a pass over this source yet, so what exists was made by someone else."""
    p, o = sp.plan, sp.observed
    rows = _Rows(p.operations, "adopt" if adopting else "keep")
    blocked = {(c.kind, c.name): c.message for c in p.conflicts}
    creates = {op.key for op in p.operations if op.api == "CreateService"}

    def mine(rec: ServiceRec) -> bool:
        return rec.managed_by == o.managed_by and service_source(rec.tags) in (None, sp.source)

    for i, svc in enumerate(sp.desired.services):
        wanted = sp.wanted.services[i] if i < len(sp.wanted.services) else svc
        homes = [n for n in (svc.name, svc.replacement_name) if n]
        home = next((n for n in homes if n in o.services and mine(o.services[n])
                     and (o.services[n].custom_domain_name or None) == (svc.custom_domain_name or None)),
                    next((n for n in homes if ("svc", n) in creates), svc.name))
        rec = o.services.get(home)
        if ("service", home) in blocked or ("service", svc.name) in blocked:
            msg = blocked.get(("service", home)) or blocked[("service", svc.name)]
            rows.out.append(Change("service", home, "blocked", rec.id if rec else None, (), msg))
            rows.used.add(("svc", home))
            continue
        takeover = rec is not None and rec.managed_by != o.managed_by
        note = _renamed(home, wanted.name) if home != svc.replacement_name else ""
        if takeover:
            note = f"taken over from {rec.managed_by or 'nobody (untagged)'}"  # type: ignore[union-attr]
        ch = rows.add(("svc", home), "service", home, exists=rec is not None, ident=rec.id if rec else None,
                      note=note, existing="adopt" if takeover else None)
        dns_action = {"create": "create", "recreate": "recreate", "delete": "delete"}.get(
            ch.action, "adopt" if ch.action == "adopt" or ch.adopted else rows.existing)
        domain = f"custom domain {svc.custom_domain_name}" if svc.custom_domain_name else ""
        rows.out.append(Change("DNS name", (rec.dns_name or "") if rec is not None and ch.action != "create"
                               else "(assigned by Lattice at creation)", dns_action, None, (),
                               "; ".join(x for x in (domain, "it changes" if dns_action == "recreate" else "") if x)))
        if ch.action == "recreate":
            continue  # its children come back with the new service
        for a in svc.associations:
            sn_id = o.service_networks.get(a.service_network, "")
            have = (rec.associations or {}).get(sn_id) if rec is not None else None
            rows.add(("snsa", f"{home}/{a.service_network}"), "association", f"{home} → {a.service_network}",
                     exists=have is not None, ident=have.id if have else None)
        if svc.auth_policy is not None or ("auth", home) in rows.by_key:
            rows.add(("auth", home), "auth policy", home, exists=rec is not None and rec.auth_policy is not None)
        for als in svc.access_log_subscriptions:
            rows.add(("als", f"{home}/{als.destination_type}"), "access log", f"{home} → {als.destination_arn}",
                     exists=rec is not None)
        for j, lst in enumerate(svc.listeners):
            have_l = (rec.listeners or {}).get(lst.name) if rec is not None else None
            wl = wanted.listeners[j] if j < len(wanted.listeners) else lst
            lkey = f"{home}/{lst.name}"
            rows.add(("listener", lkey), "listener", lkey, exists=have_l is not None,
                     ident=have_l.id if have_l else None, note=_renamed(lst.name, wl.name))
            changed: dict[str, list[str]] = {}
            for op in rows.by_key.get(("rules", lkey), ()):
                rows.used.add(("rules", lkey))
                by_id = {r.id: r.name for r in (have_l.rules.values() if have_l else ())}
                for entry in op.params.get("rules", ()):
                    changed[by_id.get(entry.get("ruleIdentifier"), "")] = [
                        k for k in ("priority", "match", "action") if k in entry]
            wanted_rules = {r.priority: r.name for r in wl.rules}
            for rule in lst.rules:
                have_r = have_l.rules.get(rule.name) if have_l is not None else None
                rows.add(("rule", f"{lkey}/{rule.name}"), "rule", f"{lkey}/{rule.name}", exists=have_r is not None,
                         ident=have_r.id if have_r else None, extra=changed.get(rule.name, ()),
                         note=_renamed(rule.name, wanted_rules.get(rule.priority, rule.name)))
    for old in p.kept:
        rec = o.services.get(old)
        rows.used.add(("svc", old))
        rows.out.append(Change("service", old, "recreate", rec.id if rec else None, ("customDomainName",),
                               "replaced by a new service once that is ready: the DNS name changes"))
    all_blocked = bool(sp.desired.services) and all(c.action == "blocked" for c in rows.out if c.kind == "service")
    for k, tg in enumerate(sp.desired.target_groups):
        wanted_tg = sp.wanted.target_groups[k] if k < len(sp.wanted.target_groups) else tg
        tg_rec = o.target_groups.get(tg.name)
        if ("target_group", tg.name) in blocked or all_blocked:
            why = blocked.get(("target_group", tg.name)) or "its service is blocked"
            rows.out.append(Change("target group", tg.name, "blocked", tg_rec.id if tg_rec else None, (), why))
            rows.used.update({("tg", tg.name), ("targets", tg.name)})
            continue
        made = rows.add(("tg", tg.name), "target group", tg.name, exists=tg_rec is not None,
                        ident=tg_rec.id if tg_rec else None, note=_renamed(tg.name, wanted_tg.name))
        n = len(tg.targets)
        count = f"{n} target{'s' if n != 1 else ''}"
        if made.action == "create":  # registered into the new target group
            rows.used.add(("targets", tg.name))
            rows.out.append(Change("targets", tg.name, "create", None, (), count))
            continue
        rows.add(("targets", tg.name), "targets", tg.name, exists=tg_rec is not None, note=count)
    rows.rest()
    for (kind, name), msg in blocked.items():
        if not any(c.action == "blocked" and c.name == name for c in rows.out):
            rows.out.append(Change(KINDS.get(kind, kind.replace("_", " ")), name, "blocked", None, (), msg))
    return rows.out


def describe_network(sn: "ServiceNetwork", result: "NetworkResult", *, adopting: bool) -> list[Change]:
    """The rows of one service network from a dry run of its step (`ensure(..., dry_run=True)`)."""
    if result.conflicts:
        return [Change("service network", sn.name, "blocked", result.id, (),
                       "; ".join(c.message for c in result.conflicts))]
    planned = list(result.planned)
    if not (result.found or any(op.api == "CreateServiceNetwork" for op in planned)):
        why = "; ".join(e.message for e in result.errors) or "not found"
        return [Change("service network", sn.name, "blocked", None, (), why)]
    existing = "adopt" if adopting and sn.managed and result.owned else "keep"
    note = "" if sn.managed else "looked up by the Gateway's name (never created or deleted by latticegw)"
    if sn.managed and result.found and not result.owned:
        note = "found without our ManagedBy tag: used as it is, never deleted"

    def row(kind: str, name: str, ops: list[Operation], note: str = "") -> Change:
        return classify(kind, name, ops, exists=result.found, existing=existing,
                        ident=result.id if kind == "service network" else None, note=note)

    sn_ops = [op for op in planned if op.key[0] == "sn"]
    own = [op for op in sn_ops if op.api in ("CreateServiceNetwork", "TagResource", "DeleteServiceNetwork")]
    out = [row("service network", sn.name, own, note)]
    auth = [op for op in sn_ops if op not in own]
    if sn.auth_policy is not None or auth:
        out.append(row("auth policy", sn.name, auth))
    va = [op for op in planned if op.key[0] == "snva"]
    if sn.vpc_association is not None or va:
        out.append(row("VPC association", f"{sn.name} → {sn.vpc_association.vpc_identifier}"
                       if sn.vpc_association else sn.name, va))
    als_ops = [op for op in planned if op.key[0] == "snals"]
    for als in sn.access_log_subscriptions:
        out.append(row("access log", f"{sn.name} → {als.destination_arn}",
                       [op for op in als_ops if op.params.get("destinationArn") == als.destination_arn]))
    for op in als_ops:
        if op.api == "DeleteAccessLogSubscription":
            out.append(row("access log", str(op.params.get("accessLogSubscriptionIdentifier", sn.name)), [op]))
    if result.errors:
        out.append(Change("service network", sn.name, "blocked", result.id, (),
                          "; ".join(e.message for e in result.errors)))
    return out


def summary(changes: Iterable[Change]) -> dict[str, int]:
    counts = Counter(c.action for c in changes)
    return {a: counts.get(a, 0) for a in ACTIONS}


__all__ = ["ACTIONS", "Change", "classify", "describe", "describe_network", "operations", "summary"]
