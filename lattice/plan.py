"""plan(desired, observed) -> Plan: the ordered, minimal list of Lattice operations. Pure.

Theory of operation
-------------------
`Desired` is what translate wants for ONE Kubernetes source (a route or a ServiceExport): its
services and target groups. `Observed` is what the inventory knows about every Lattice resource that
could matter: the same-named services/TGs (whoever owns them) and the owned resources of that
source (tags RouteName/RouteNamespace/RouteType, SourceTypeKey ...), already hydrated.

For each resource the plan decides one of: nothing (matches), update in place (UpdateService
certificate/auth, UpdateListener default action, BatchUpdateRule match/action/priority,
UpdateTargetGroup health check, Tag/Untag), create, delete (owned and no longer desired: orphan GC
in the same reconcile), replace (see below), or conflict (same name, other owner: reported, never
touched - unless the desired service's `allow_takeover_from` equals its ManagedBy, then it is
adopted by retagging). "Ours" means our ManagedBy AND source tags that name this source (or none):
a service/TG of ours made for another Kubernetes object (two routes whose names map to one Lattice
name) is a conflict ("already used by HTTPRoute ns/name") and is never garbage-collected here.

Custom-domain change (customDomainName is create-only), make-before-break: the route's service is
found by its source tags; `home()` puts the desired service under `name`, or under
`replacement_name` while `name` still holds the old domain. The new service, its associations,
listeners and rules (forwarding to new TGs: translate hashes the domain into TG names) are created
while the old one keeps serving; the old service (and then its TGs) is deleted only in a plan
that finds the new one ready (ACTIVE, nothing to do, associations and TGs ACTIVE). `serving` names
the service that serves each desired one (the old until then). Names are pure functions of desired
and observed state, so a crash anywhere resumes with the same names. An old service that uses a
TG the new one needs (a looked-up TG) must go first, as must a failed one (delete, then create).

A service network that does not exist is `waiting` (the rest of the plan proceeds), not an error.

Operations are frozen data. Each has a `phase`; apply runs phases in order and the operations of
one phase concurrently. Phases put parents before children on create and children before parents
on delete:

  1 target groups and services: create / update / tag; auth policy put (or authType NONE first)
  2 targets register/deregister; SN associations create/delete; stale listeners deleted;
    authType AWS_IAM after its policy (or policy delete after NONE); access logs
  3 stale rules deleted (frees their priorities); orphan or replaced services deleted (their
    associations went in phase 2; a TG may serve only one service, so before anything new uses it)
  4 listeners create/update
  5 BatchUpdateRule (priorities/matches/actions of existing rules; swaps are atomic)
  6 rules created
  7 a listener default action that stops forwarding (once the rules that take over exist; see below)
  8 orphan target groups deleted (nothing references them any more)

Without deletes of listeners, rules or services, phases 4-6 move up to 2-4 (`_compact`): a new
route then needs three round trips (TGs+service, targets+association+listener, rules).

A listener whose last rule matches every request (path prefix "/", no method, no header: what a
route rule without matches becomes) has two forms that route exactly alike: the translated one
(default action a fixed 404, then that rule) and the folded one (that rule's action as the default
action, no such rule): a request no earlier rule takes reaches the rule in one and the default in
the other, and the 404 it replaces could never be reached. `listener_form` picks the form to plan
against: a new listener is created folded (one CreateRule less per route), an existing one keeps
the form it has (the AWS controller's listeners have the 404 and the rule: adopted as they are), so
neither form is ever rewritten into the other. `desired_state.missing` accepts both.

IDs that exist only after an earlier create are `Ref(kind, name)` in `params`; apply resolves them.
An operation whose `needs` failed or was skipped is skipped (and reported as pending); `after_all`
operations (the target-group deletes of phase 7) run only when everything before them succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lattice import normalize
from lattice.observed import ListenerRec, ServiceRec, TargetGroupRec, service_source, target_group_source
from translate.frozen import EMPTY, FrozenDict, freeze
from translate.model import AUTH_IAM, AUTH_NONE, Listener, Service, Source, TargetGroup, destination_type
from translate.tags import MANAGED_BY

MAX_TARGETS_PER_CALL = 100
MAX_RULES_PER_BATCH = 10

Key = tuple[str, str]


@dataclass(frozen=True, slots=True, order=True)
class Ref:
    """The ID of a resource created earlier in the same apply: kind "svc" | "tg" | "listener"."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Operation:
    phase: int
    api: str  # the Lattice operation, e.g. "CreateService"
    key: Key  # the resource it changes: ("svc", name), ("tg", name), ("listener", "svc/l"), ...
    params: FrozenDict = EMPTY  # botocore parameters; values may be Ref
    needs: tuple[Key, ...] = ()
    after_all: bool = False
    fingerprint: str = ""  # desired fingerprint, for the clientToken of a Create*
    reason: str = ""

    def describe(self) -> str:
        return f"{self.api} {self.key[0]}:{self.key[1]}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True, slots=True)
class PlanConflict:
    kind: str  # "service" | "target_group" | "service_network" | "vpc_association"
    name: str
    managed_by: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Plan:
    operations: tuple[Operation, ...] = ()
    conflicts: tuple[PlanConflict, ...] = ()
    pending: tuple[str, ...] = ()  # observed states that block progress now (requeue soon)
    errors: tuple[str, ...] = ()  # desired state that cannot be planned
    # dependencies that do not exist yet (a service network nobody has created): not errors, the
    # rest of the plan still converges; look again in a while
    waiting: tuple[str, ...] = ()
    # desired service name -> the Lattice service that serves it now: its home (the name it lives
    # under, `name` or `replacement_name`), or, during a custom-domain change, the old service
    # until the new one is ready
    serving: Mapping[str, str] = field(default_factory=dict)
    # old services of this source kept until their replacement (a custom-domain change) is ready,
    # then deleted by a later plan
    kept: tuple[str, ...] = ()

    @property
    def writes(self) -> int:
        return len(self.operations)


@dataclass(frozen=True, slots=True)
class Desired:
    source: Source
    services: tuple[Service, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()


@dataclass(slots=True)
class Observed:
    """Observed state scoped to one source (built by the inventory; read-only here)."""

    managed_by: str
    services: Mapping[str, ServiceRec] = field(default_factory=dict)  # by name
    target_groups: Mapping[str, TargetGroupRec] = field(default_factory=dict)  # by name
    service_networks: Mapping[str, str] = field(default_factory=dict)  # SN name -> id
    lookups: Mapping[str, str] = field(default_factory=dict)  # TargetGroupLookup name -> TG id


# ---------------------------------------------------------------------------------------------
# Helpers


def tag_ops(phase: int, key: Key, arn: Any, desired: Mapping[str, str], observed: Mapping[str, str] | None,
            needs: tuple[Key, ...] = (), force: bool = False) -> list[Operation]:
    """TagResource for added/changed keys, UntagResource for keys no longer desired (never aws:)."""
    if observed is None and not force:
        return []
    have = observed or {}
    add = {k: v for k, v in desired.items() if have.get(k) != v}
    drop = sorted(k for k in have if k not in desired and not k.startswith("aws:"))
    ops = []
    if add:
        ops.append(Operation(phase, "TagResource", key, freeze({"resourceArn": arn, "tags": add}), needs,
                             reason="tags " + ",".join(sorted(add))))
    if drop:
        ops.append(Operation(phase, "UntagResource", key, freeze({"resourceArn": arn, "tagKeys": drop}), needs,
                             reason="untag " + ",".join(drop)))
    return ops


def match_all(match: Mapping[str, Any] | None) -> bool:
    """Whether every request satisfies a rule match: path prefix "/" and nothing else (no method, no
    header match). (A gRPC rule without matches also matches the method POST: not every request.)"""
    hm = (match or {}).get("httpMatch")
    if not isinstance(hm, Mapping) or any(value for key, value in hm.items() if key != "pathMatch"):
        return False
    pm = hm.get("pathMatch")
    return isinstance(pm, Mapping) and dict(pm.get("match") or {}) == {"prefix": "/"}


def folded(lst: Listener) -> Listener | None:
    """`lst` with its last rule (by priority) as its default action and without that rule, when that
    rule matches every request; else None. Routes exactly as `lst` does (see the module doc)."""
    if not lst.rules:
        return None
    last = max(lst.rules, key=lambda r: r.priority)
    if not match_all(last.match):
        return None
    return replace(lst, default_action=last.action, rules=tuple(r for r in lst.rules if r is not last))


def listener_form(lst: Listener, have_rules: Iterable[str] | None, have_default: Any = None) -> Listener:
    """The form of desired listener `lst` to plan against (or to look for) given what exists:
    `have_rules`, the names of the existing listener's rules (None: there is no listener yet), and
    `have_default`, its default action in `normalize.action`'s form with target-group names.

    A new listener: folded. An existing one that has the match-all rule, or lacks it but still has
    the translated default action: as translated (its missing rule is created). Otherwise (no such
    rule, another default action): folded. So an existing listener is never moved between forms."""
    fold = folded(lst)
    if fold is None:
        return lst
    if have_rules is None:
        return fold
    dropped = next(r.name for r in lst.rules if r not in fold.rules)
    if dropped in set(have_rules) or have_default == normalize.action(lst.default_action):
        return lst
    return fold


def chunks(items: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class _Planner:
    def __init__(self, desired: Desired, observed: Observed) -> None:
        self.d = desired
        self.o = observed
        self.ops: list[Operation] = []
        self.conflicts: list[PlanConflict] = []
        self.pending: list[str] = []
        self.errors: list[str] = []
        self.waiting: list[str] = []
        self.serving: dict[str, str] = {}
        self.kept: list[str] = []  # old services of this source kept until their replacement is ready
        # desired service name -> (the name it lives or goes under, the record there)
        self.homes: dict[str, tuple[str, ServiceRec | None]] = {}
        # TG name -> id (or Ref when created in this plan); id -> name for comparing actions
        self.tg_ident: dict[str, Any] = dict(observed.lookups)
        self.tg_name_of: dict[str, str] = {v: k for k, v in observed.lookups.items()}
        self.created_tgs: set[str] = set()
        self.blocked_tgs: set[str] = set()

    # -- ownership -------------------------------------------------------------------------
    def ours(self, managed_by: str | None) -> bool:
        return managed_by == self.o.managed_by

    def claimant(self, rec: ServiceRec | TargetGroupRec) -> Source | None:
        """The Kubernetes object a record's source tags name, when that is not our source."""
        src = service_source(rec.tags) if isinstance(rec, ServiceRec) else target_group_source(rec.tags)
        return src if src is not None and src != self.d.source else None

    def mine(self, rec: ServiceRec | TargetGroupRec) -> bool:
        """Ours (ManagedBy) and made for this source (a record naming no source at all is adopted)."""
        return self.ours(rec.managed_by) and self.claimant(rec) is None

    def _used_by(self, kind: str, rec: ServiceRec | TargetGroupRec) -> PlanConflict | None:
        other = self.claimant(rec) if self.ours(rec.managed_by) else None
        if other is None:
            return None
        what = "Lattice service" if kind == "service" else "target group"
        return PlanConflict(kind, rec.name, rec.managed_by,
                            f"{what} {rec.name} is already used by {other.kind} {other.namespace}/{other.name}")

    def _takeover_from(self) -> set[str]:
        return {s.allow_takeover_from for s in self.d.services if s.allow_takeover_from}

    # -- target groups ---------------------------------------------------------------------
    def target_groups(self) -> None:
        for seen in self.o.target_groups.values():
            self.tg_ident.setdefault(seen.name, seen.id)
            self.tg_name_of[seen.id] = seen.name
            self.tg_name_of[seen.arn] = seen.name
        takeover = self._takeover_from()
        for tg in self.d.target_groups:
            key: Key = ("tg", tg.name)
            rec = self.o.target_groups.get(tg.name)
            if rec is not None and rec.status == "DELETE_IN_PROGRESS":
                self.pending.append(f"target group {tg.name} is being deleted; it will be recreated")
                self.blocked_tgs.add(tg.name)
                continue
            if rec is None:
                self.created_tgs.add(tg.name)
                self.tg_ident[tg.name] = Ref("tg", tg.name)
                self.ops.append(Operation(1, "CreateTargetGroup", key, freeze({
                    "name": tg.name, "type": tg.type, "config": tg.config, "tags": tg.tags}),
                    fingerprint=tg.fingerprint, reason="create"))
                self._targets(tg, {}, created=True)
                continue
            adopt = False
            sibling = self._used_by("target_group", rec)
            if sibling is not None:
                self.conflicts.append(sibling)
                self.blocked_tgs.add(tg.name)
                continue
            if not self.ours(rec.managed_by):
                if rec.managed_by is not None and rec.managed_by in takeover:
                    adopt = True
                else:
                    self.conflicts.append(PlanConflict(
                        "target_group", tg.name, rec.managed_by,
                        f"target group {tg.name} exists and is managed by {rec.managed_by or 'nobody'}, not us"))
                    self.blocked_tgs.add(tg.name)
                    continue
            if rec.status == "CREATE_FAILED":
                self.errors.append(f"target group {tg.name} is CREATE_FAILED; delete it to retry")
                self.blocked_tgs.add(tg.name)
                continue
            self.ops += tag_ops(1, key, rec.arn, tg.tags, rec.tags, force=adopt)
            hc = tg.config.get("healthCheck") if tg.config else None
            if hc and rec.config is not None and normalize.health_check_differs(hc, rec.config.get("healthCheck")):
                self.ops.append(Operation(1, "UpdateTargetGroup", key, freeze({
                    "targetGroupIdentifier": rec.id, "healthCheck": hc}), reason="health check"))
            self._targets(tg, rec.targets or {}, created=False, unknown=rec.targets is None)

    def _targets(self, tg: TargetGroup, have: Mapping[tuple[str, int], str], *, created: bool,
                 unknown: bool = False) -> None:
        if unknown:
            return  # sync loads targets before planning; unknown here means "leave alone"
        ident = self.tg_ident[tg.name]
        want = {(t.id, t.port) for t in tg.targets}
        present = {k for k, status in have.items() if status != "DRAINING"}
        add = sorted(want - present)
        drop = sorted(present - want)
        needs: tuple[Key, ...] = (("tg", tg.name),) if created else ()
        for part in chunks(drop, MAX_TARGETS_PER_CALL):
            self.ops.append(Operation(2, "DeregisterTargets", ("targets", tg.name), freeze({
                "targetGroupIdentifier": ident, "targets": [{"id": i, "port": p} for i, p in part]}),
                needs, reason=f"-{len(part)}"))
        for part in chunks(add, MAX_TARGETS_PER_CALL):
            self.ops.append(Operation(2, "RegisterTargets", ("targets", tg.name), freeze({
                "targetGroupIdentifier": ident, "targets": [{"id": i, "port": p} for i, p in part]}),
                needs, reason=f"+{len(part)}"))

    # -- actions ---------------------------------------------------------------------------
    def resolve_action(self, action: Mapping[str, Any]) -> tuple[Any, tuple[Key, ...], str | None]:
        """(action with TG names → IDs or Refs, keys it needs, problem)."""
        fwd = action.get("forward")
        if not fwd:
            return action, (), None
        needs: list[Key] = []
        out = []
        for t in fwd.get("targetGroups", ()):
            name = t["targetGroupIdentifier"]
            if name in self.blocked_tgs:
                return None, (), f"target group {name} is not available"
            ident = self.tg_ident.get(name)
            if ident is None:
                return None, (), f"target group {name} not found"
            if isinstance(ident, Ref):
                needs.append(("tg", name))
            out.append({**t, "targetGroupIdentifier": ident})
        return freeze({**action, "forward": {**fwd, "targetGroups": out}}), tuple(needs), None

    def observed_action(self, action: Mapping[str, Any] | None) -> Any:
        return normalize.action(action, lambda ident: self.tg_name_of.get(ident, ident))

    # -- services --------------------------------------------------------------------------
    def home(self, svc: Service) -> tuple[str, ServiceRec | None]:
        """Where a desired service lives (or goes) and the record there.

        Our service of this source (found by its tags, under `name` or `replacement_name`) whose
        customDomainName is the desired one; else, when `name` holds our service with another domain
        (create-only: it must be replaced), `replacement_name` if free, so the old one keeps serving
        until the new one is ready (make-before-break); else `name`. A pure function of names and
        observed state, so a crash at any step resumes with the same names.
        """
        names = [svc.name] + ([svc.replacement_name] if svc.replacement_name and svc.replacement_name != svc.name
                              else [])
        want = svc.custom_domain_name or None
        for n in names:
            rec = self.o.services.get(n)
            if rec is not None and self.mine(rec) and (rec.custom_domain_name or None) == want:
                return n, rec
        rec = self.o.services.get(svc.name)
        if rec is None or not self.mine(rec):
            return svc.name, rec  # free, or someone else's: service() adopts or reports a conflict
        for n in names[1:]:
            if n not in self.o.services:
                return n, None
        return svc.name, rec  # both names held: replace in place (service() deletes, then recreates)

    def _blocked(self, svc: Service) -> bool:
        """The desired service's home is held by something we may not touch."""
        _, rec = self.homes[svc.name]
        if rec is None or self.mine(rec):
            return False
        takeover = (svc.allow_takeover_from and not self.ours(rec.managed_by)
                    and rec.managed_by == svc.allow_takeover_from)
        return not takeover

    def services(self) -> None:
        ready = True
        homes: set[str] = set()
        blocked = False
        for svc in self.d.services:
            name, rec = self.homes[svc.name]
            homes.add(name)
            blocked = blocked or self._blocked(svc)
            ready = self.service(svc, name, rec) and ready
        # old services of this source (ours, found by tags) that no desired service lives in: the
        # previous home after a custom-domain change, or an orphan (route renamed or gone)
        wanted = self._wanted_tg_names()
        for rec in sorted(self.o.services.values(), key=lambda r: r.name):
            if rec.name in homes or not self.mine(rec):
                continue  # never another source's or another owner's
            if not self.d.services:
                self.delete_service(rec, reason="orphan")
            elif ready or self._shares_target_groups(rec, wanted):
                # a TG serves one service only: one that shares ours must go first (break-before-make)
                self.delete_service(rec, reason="replaced")
            else:
                self.kept.append(rec.name)
                if not (blocked or self.errors or self.waiting):
                    self.pending.append(f"service {rec.name} keeps serving until "
                                        f"{', '.join(sorted(homes))} is ready")
        for svc in self.d.services:
            name, _ = self.homes[svc.name]
            old = next((n for n in self.kept if self.o.services[n].status == "ACTIVE"), None)
            self.serving[svc.name] = name if ready or old is None else old

    def _wanted_tg_names(self) -> set[str]:
        """Names of the target groups (and looked-up TGs) the desired services forward to."""
        return {t["targetGroupIdentifier"] for svc in self.d.services for lst in svc.listeners
                for action in (lst.default_action, *(r.action for r in lst.rules))
                for t in (action.get("forward") or {}).get("targetGroups", ())}

    def _shares_target_groups(self, rec: ServiceRec, wanted: set[str]) -> bool:
        if rec.listeners is None:
            return True  # unknown (not hydrated): assume it does
        for lst in rec.listeners.values():
            for action in (lst.default_action, *(r.action for r in lst.rules.values())):
                for t in ((action or {}).get("forward") or {}).get("targetGroups", ()):
                    ident = t.get("targetGroupIdentifier")
                    if self.tg_name_of.get(ident, ident) in wanted:
                        return True
        return False

    def delete_service(self, rec: ServiceRec, reason: str) -> None:
        key: Key = ("svc", rec.name)
        if rec.status == "DELETE_IN_PROGRESS":
            self.pending.append(f"service {rec.name} is being deleted")
            return
        needs = []
        for a in (rec.associations or {}).values():
            if a.status == "DELETE_IN_PROGRESS":
                self.pending.append(f"association of {rec.name} with {a.service_network_name} is being deleted")
                continue
            akey: Key = ("snsa", f"{rec.name}/{a.service_network_name}")
            needs.append(akey)
            self.ops.append(Operation(2, "DeleteServiceNetworkServiceAssociation", akey, freeze({
                "serviceNetworkServiceAssociationIdentifier": a.id}), reason=reason))
        # phase 3, before the listeners/rules of a replacement are created: Lattice lets a target
        # group serve one service only, so a renamed route's TGs are free only once this is gone
        self.ops.append(Operation(3, "DeleteService", key, freeze({"serviceIdentifier": rec.id}),
                                  tuple(needs), reason=reason))

    def service(self, svc: Service, name: str, rec: ServiceRec | None) -> bool:
        """Plan one desired service at its home `name`; True when it exists, is ACTIVE, needs no
        operation, and its associations and target groups are ACTIVE (ready to serve on its own)."""
        if name != svc.name:
            svc = replace(svc, name=name)
        key: Key = ("svc", svc.name)
        adopt = False
        if rec is not None:
            sibling = self._used_by("service", rec)
            if sibling is not None:
                self.conflicts.append(sibling)
                return False
            if not self.ours(rec.managed_by):
                if svc.allow_takeover_from and rec.managed_by == svc.allow_takeover_from:
                    adopt = True
                else:
                    owner = rec.managed_by or "nobody (untagged)"
                    self.conflicts.append(PlanConflict(
                        "service", svc.name, rec.managed_by,
                        f"Lattice service {svc.name} already exists and is managed by {owner}; "
                        f"set the takeover annotation to adopt it"))
                    return False
            if rec.status == "DELETE_IN_PROGRESS":
                self.pending.append(f"service {svc.name} is being deleted; it will be recreated")
                return False
            if rec.status in ("CREATE_FAILED", "DELETE_FAILED") or (
                    (rec.custom_domain_name or None) != (svc.custom_domain_name or None)):
                why = (f"status {rec.status}" if rec.status.endswith("FAILED")
                       else f"customDomainName {rec.custom_domain_name} -> {svc.custom_domain_name}")
                self.delete_service(rec, reason=f"replace: {why}")
                self.pending.append(f"service {svc.name} is being replaced ({why})")
                return False
        mark = (len(self.ops), len(self.pending), len(self.errors), len(self.waiting))
        if rec is None:
            params: dict[str, Any] = {"name": svc.name, "tags": svc.tags, "authType": svc.auth_type}
            if svc.custom_domain_name:
                params["customDomainName"] = svc.custom_domain_name
            if svc.certificate_arn:
                params["certificateArn"] = svc.certificate_arn
            if svc.auth_policy is not None and svc.auth_type == AUTH_IAM:
                params["authType"] = AUTH_NONE  # switched after the policy is in place (no deny-all window)
            self.ops.append(Operation(1, "CreateService", key, freeze(params), fingerprint=svc.fingerprint,
                                      reason="create"))
            sid: Any = Ref("svc", svc.name)
            created = True
            observed_auth = params["authType"]
        else:
            sid = rec.id
            created = False
            observed_auth = rec.auth_type
            self.ops += tag_ops(1, key, rec.arn, svc.tags, rec.tags, force=adopt)
            if svc.certificate_arn and svc.certificate_arn != rec.certificate_arn:
                self.ops.append(Operation(1, "UpdateService", key, freeze({
                    "serviceIdentifier": rec.id, "certificateArn": svc.certificate_arn}), reason="certificate"))
        needs_svc: tuple[Key, ...] = (key,) if created else ()
        self.auth(svc, key, sid, observed_auth, None if rec is None else rec.auth_policy, needs_svc)
        self.associations(svc, sid, rec, needs_svc, adopt)
        self.access_logs(svc, sid, rec, needs_svc)
        self.listeners(svc, sid, rec, needs_svc, adopt)
        return rec is not None and self._ready(svc, rec, mark)

    def _ready(self, svc: Service, rec: ServiceRec, mark: tuple[int, ...]) -> bool:
        if rec.status != "ACTIVE" or mark != (len(self.ops), len(self.pending), len(self.errors), len(self.waiting)):
            return False
        for a in svc.associations:
            have = (rec.associations or {}).get(self.o.service_networks.get(a.service_network, ""))
            if have is None or have.status != "ACTIVE":
                return False
        busy = {op.key[1] for op in self.ops if op.key[0] in ("tg", "targets")}
        for lst in svc.listeners:
            for action in (lst.default_action, *(r.action for r in lst.rules)):
                for t in (action.get("forward") or {}).get("targetGroups", ()):
                    n = t["targetGroupIdentifier"]
                    tg = self.o.target_groups.get(n)
                    if n in busy or n in self.blocked_tgs or (tg is not None and tg.status != "ACTIVE"):
                        return False
        return True

    def access_logs(self, svc: Service, sid: Any, rec: ServiceRec | None, needs: tuple[Key, ...]) -> None:
        """Our subscriptions (by ManagedBy tag) matched to the desired ones by destination type."""
        if rec is not None and rec.access_logs is None:
            return  # not loaded: leave alone
        observed = [a for a in ((rec.access_logs or {}).values() if rec is not None else ())
                    if a.tags is not None and self.ours(a.tags.get(MANAGED_BY))]
        used: set[str] = set()
        for als in svc.access_log_subscriptions:
            key: Key = ("als", f"{svc.name}/{als.destination_type}")
            have = next((a for a in observed if a.id not in used
                         and destination_type(a.destination_arn) == als.destination_type), None)
            if have is None:
                self.ops.append(Operation(2, "CreateAccessLogSubscription", key, freeze({
                    "resourceIdentifier": sid, "destinationArn": als.destination_arn, "tags": als.tags}), needs,
                    fingerprint=svc.fingerprint, reason="create"))
                continue
            used.add(have.id)
            if have.destination_arn != als.destination_arn:
                self.ops.append(Operation(2, "UpdateAccessLogSubscription", key, freeze({
                    "accessLogSubscriptionIdentifier": have.id, "destinationArn": als.destination_arn}),
                    reason="destination"))
        for a in observed:
            if a.id not in used:
                self.ops.append(Operation(2, "DeleteAccessLogSubscription", ("als", f"{svc.name}/{a.id}"), freeze({
                    "accessLogSubscriptionIdentifier": a.id}), reason="no longer desired"))

    def auth(self, svc: Service, key: Key, sid: Any, observed_auth: str | None, observed_policy: str | None,
             needs: tuple[Key, ...]) -> None:
        pkey: Key = ("auth", svc.name)
        want_policy = svc.auth_policy.policy if svc.auth_policy is not None else None
        if want_policy is not None:
            if observed_policy != want_policy:
                self.ops.append(Operation(1 if not needs else 2, "PutAuthPolicy", pkey, freeze({
                    "resourceIdentifier": sid, "policy": want_policy}), needs, reason="auth policy"))
            if observed_auth != svc.auth_type:
                phase = 2 if not needs else 3
                self.ops.append(Operation(phase, "UpdateService", key, freeze({
                    "serviceIdentifier": sid, "authType": svc.auth_type}), needs + (pkey,), reason="authType"))
        else:
            if observed_auth is not None and observed_auth != svc.auth_type:
                self.ops.append(Operation(1, "UpdateService", key, freeze({
                    "serviceIdentifier": sid, "authType": svc.auth_type}), needs, reason="authType"))
            if observed_policy is not None:
                self.ops.append(Operation(2, "DeleteAuthPolicy", pkey, freeze({"resourceIdentifier": sid}),
                                          needs, reason="auth policy removed"))

    def associations(self, svc: Service, sid: Any, rec: ServiceRec | None, needs: tuple[Key, ...],
                     adopt: bool) -> None:
        observed = dict((rec.associations or {}) if rec is not None else {})
        wanted_ids: set[str] = set()
        for a in svc.associations:
            sn_id = self.o.service_networks.get(a.service_network)
            akey: Key = ("snsa", f"{svc.name}/{a.service_network}")
            if sn_id is None:
                self.waiting.append(f"service network {a.service_network} not found")
                continue
            wanted_ids.add(sn_id)
            have = observed.get(sn_id)
            if have is None or have.status in ("CREATE_FAILED",):
                if have is not None:
                    self.ops.append(Operation(2, "DeleteServiceNetworkServiceAssociation", akey, freeze({
                        "serviceNetworkServiceAssociationIdentifier": have.id}), reason="failed"))
                    self.pending.append(f"association with {a.service_network} failed; recreating")
                    continue
                self.ops.append(Operation(2, "CreateServiceNetworkServiceAssociation", akey, freeze({
                    "serviceIdentifier": sid, "serviceNetworkIdentifier": sn_id, "tags": a.tags}), needs,
                    fingerprint=svc.fingerprint, reason="create"))
            elif have.status == "DELETE_IN_PROGRESS":
                self.pending.append(f"association with {a.service_network} is being deleted; recreating later")
            elif have.status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
                # Settling: Lattice accepted it (the create answered with the service's DNS entry)
                # and finishes on its own. Nothing here waits for it, so it is not pending (no
                # poll per route); `_ready` still waits for ACTIVE where that matters (an old
                # service kept serving until its replacement is ready), and the drift check
                # re-reads it (a CREATE_FAILED one is then recreated).
                pass
            elif have.tags is None or self.ours(have.tags.get(MANAGED_BY)) or adopt:
                self.ops += tag_ops(2, akey, have.arn, a.tags, have.tags, force=adopt)
            # an association someone else made already gives us what we want: leave it alone
        for sn_id, have in observed.items():
            if sn_id in wanted_ids or have.status == "DELETE_IN_PROGRESS":
                continue
            if have.tags is not None and not self.ours(have.tags.get(MANAGED_BY)):
                continue  # not ours: never removed
            akey = ("snsa", f"{svc.name}/{have.service_network_name}")
            self.ops.append(Operation(2, "DeleteServiceNetworkServiceAssociation", akey, freeze({
                "serviceNetworkServiceAssociationIdentifier": have.id}), reason="no longer desired"))

    def listeners(self, svc: Service, sid: Any, rec: ServiceRec | None, needs: tuple[Key, ...],
                  adopt: bool) -> None:
        observed: dict[str, ListenerRec] = dict((rec.listeners or {}) if rec is not None else {})
        desired_names = {lst.name for lst in svc.listeners}
        replaced: set[str] = set()
        for lst in svc.listeners:
            have = observed.get(lst.name)
            if have is not None and (have.port != lst.port or have.protocol != lst.protocol):
                replaced.add(lst.name)
        for name, have in observed.items():
            if name not in desired_names or name in replaced:
                self.ops.append(Operation(2, "DeleteListener", ("listener", f"{svc.name}/{name}"), freeze({
                    "serviceIdentifier": sid, "listenerIdentifier": have.id}), needs, reason="no longer desired"))
        for lst in svc.listeners:
            have = None if lst.name in replaced else observed.get(lst.name)
            self.listener(svc, sid, lst, have, needs, adopt)

    def listener(self, svc: Service, sid: Any, lst: Listener, have: ListenerRec | None,
                 needs: tuple[Key, ...], adopt: bool) -> None:
        lkey: Key = ("listener", f"{svc.name}/{lst.name}")
        lst = listener_form(lst, None if have is None else have.rules,
                            None if have is None else self.observed_action(have.default_action))
        action, aneeds, problem = self.resolve_action(lst.default_action)
        if problem:
            self.errors.append(f"listener {lst.name}: {problem}")
            return
        if have is None:
            self.ops.append(Operation(4, "CreateListener", lkey, freeze({
                "serviceIdentifier": sid, "name": lst.name, "port": lst.port, "protocol": lst.protocol,
                "defaultAction": action, "tags": lst.tags}), needs + aneeds, fingerprint=svc.fingerprint,
                reason="create"))
            lid: Any = Ref("listener", f"{svc.name}/{lst.name}")
            lneeds: tuple[Key, ...] = (lkey,)
            observed_rules = {}
        else:
            lid = have.id
            lneeds = ()
            observed_rules = dict(have.rules)
            self.ops += tag_ops(2, lkey, have.arn, lst.tags, have.tags, force=adopt)
            if self.observed_action(have.default_action) != normalize.action(lst.default_action):
                if (have.default_action or {}).get("forward") and not lst.default_action.get("forward"):
                    # It stops forwarding (a folded listener whose route got matches): only once the
                    # rules that take its traffic now exist, and not at all if one could not be made.
                    first = len(self.ops)
                    self.rules(svc, sid, lst, lid, observed_rules, lneeds, adopt)
                    made = tuple(op.key for op in self.ops[first:] if op.api == "CreateRule")
                    self.ops.append(Operation(7, "UpdateListener", lkey, freeze({
                        "serviceIdentifier": sid, "listenerIdentifier": have.id, "defaultAction": action}),
                        aneeds + made, reason="default action"))
                    return
                self.ops.append(Operation(4, "UpdateListener", lkey, freeze({
                    "serviceIdentifier": sid, "listenerIdentifier": have.id, "defaultAction": action}),
                    aneeds, reason="default action"))
        self.rules(svc, sid, lst, lid, observed_rules, lneeds, adopt)

    def rules(self, svc: Service, sid: Any, lst: Listener, lid: Any, observed: dict[str, Any],
              lneeds: tuple[Key, ...], adopt: bool) -> None:
        desired_names = {r.name for r in lst.rules}
        base = {"serviceIdentifier": sid, "listenerIdentifier": lid}
        for name, have in observed.items():
            if name not in desired_names:
                self.ops.append(Operation(3, "DeleteRule", ("rule", f"{svc.name}/{lst.name}/{name}"), freeze({
                    **base, "ruleIdentifier": have.id}), lneeds, reason="no longer desired"))
        updates: list[dict[str, Any]] = []
        update_needs: list[Key] = []
        for rule in lst.rules:
            rkey: Key = ("rule", f"{svc.name}/{lst.name}/{rule.name}")
            action, aneeds, problem = self.resolve_action(rule.action)
            if problem:
                self.errors.append(f"rule {rule.name}: {problem}")
                continue
            have = observed.get(rule.name)
            if have is None:
                self.ops.append(Operation(6, "CreateRule", rkey, freeze({
                    **base, "name": rule.name, "priority": rule.priority, "match": rule.match, "action": action,
                    "tags": rule.tags}), lneeds + aneeds, fingerprint=svc.fingerprint, reason="create"))
                continue
            self.ops += tag_ops(2, rkey, have.arn, rule.tags, have.tags, force=adopt)
            change: dict[str, Any] = {}
            if have.priority != rule.priority:
                change["priority"] = rule.priority
            if normalize.match(have.match) != normalize.match(rule.match):
                change["match"] = rule.match
            if self.observed_action(have.action) != normalize.action(rule.action):
                change["action"] = action
                update_needs.extend(aneeds)
            if change:
                updates.append({"ruleIdentifier": have.id, **change})
        for part in chunks(updates, MAX_RULES_PER_BATCH):
            self.ops.append(Operation(5, "BatchUpdateRule", ("rules", f"{svc.name}/{lst.name}"), freeze({
                **base, "rules": part}), lneeds + tuple(dict.fromkeys(update_needs)),
                reason=f"{len(part)} rule(s)"))

    # -- orphan target groups ----------------------------------------------------------------
    def orphan_target_groups(self) -> None:
        desired = {tg.name for tg in self.d.target_groups}
        for rec in self.o.target_groups.values():
            if rec.name in desired or not self.mine(rec):
                continue
            if self.kept:
                continue  # an old service still uses them: deleted once it is gone
            if rec.status == "DELETE_IN_PROGRESS":
                continue
            if rec.status == "CREATE_IN_PROGRESS":
                self.pending.append(f"target group {rec.name} is still being created; deleting it later")
                continue
            self.ops.append(Operation(8, "DeleteTargetGroup", ("tg", rec.name), freeze({
                "targetGroupIdentifier": rec.id}), after_all=True, reason="orphan"))

    def run(self) -> Plan:
        self.homes = {s.name: self.home(s) for s in self.d.services}
        all_conflicted = bool(self.d.services) and all(self._blocked(s) for s in self.d.services)
        if all_conflicted:
            # the route cannot be programmed: make nothing for it (but still report the conflict)
            self.d = Desired(self.d.source, self.d.services, ())
        self.target_groups()
        self.services()
        self.orphan_target_groups()
        ops = sorted(_compact(self.ops), key=lambda op: op.phase)  # stable: keeps per-phase order
        return Plan(tuple(ops), tuple(self.conflicts), tuple(dict.fromkeys(self.pending)),
                    tuple(dict.fromkeys(self.errors)), tuple(dict.fromkeys(self.waiting)), self.serving,
                    tuple(self.kept))


def _compact(ops: list[Operation]) -> list[Operation]:
    """Fewer round trips when nothing is being removed: phases 3 and 4 exist to free ports,
    priorities and target groups before listeners and rules use them; without such deletes,
    listeners can go with phase 2 and rules right after them."""
    if any(op.api in ("DeleteListener", "DeleteService", "DeleteRule") for op in ops):
        return ops
    has_batch = any(op.api == "BatchUpdateRule" for op in ops)
    moved = {4: 2, 5: 3, 6: 4 if has_batch else 3}
    return [replace(op, phase=moved.get(op.phase, op.phase)) if op.phase in moved else op for op in ops]


def plan(desired: Desired, observed: Observed) -> Plan:
    """The operations that turn `observed` into `desired` for one Kubernetes source (see module doc)."""
    return _Planner(desired, observed).run()

