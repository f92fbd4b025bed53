"""Run a plan's operations against Lattice and record every result in the inventory.

Phases run in order; the operations of one phase run concurrently (bounded). `Ref`s in parameters
are resolved from the inventory (which records each create as it returns). Each Create* carries a
deterministic clientToken: SHA-256 of (operation, resource identity, desired fingerprint, resolved
parameters), so a create replayed after a timeout or a crash returns the resource made the first
time instead of making another. If Lattice answers a replay with a resource we have deleted since
(`inventory.gone`), the create is retried once with a salted token.

Outcomes per operation: done; in progress (a Conflict naming *_IN_PROGRESS, or any Conflict on a
delete - the thing blocking it is going away), which the caller turns into a short requeue;
retry later (`RetryLater`: throttled beyond our budget); or an error. A NotFound on a delete is
success (already gone). Operations that need a failed or skipped one are skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lattice.client import LatticeClient
from lattice.errors import Conflict, LatticeError, NotFound, RetryLater
from lattice.inventory import Inventory
from lattice.observed import AccessLogRec, AssociationRec, ListenerRec, RuleRec, ServiceRec, TargetGroupRec
from lattice.plan import Key, Operation, Ref
from translate.frozen import canonical_json, thaw


def client_token(api: str, key: Key, fingerprint: str, params: Mapping[str, Any], salt: str = "") -> str:
    """Deterministic clientToken (64 hex chars) for a Create*: same intent, same token."""
    h = hashlib.sha256()
    for part in (api, key[0], key[1], fingerprint, salt):
        h.update(part.encode())
        h.update(b"\0")
    h.update(canonical_json(params))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class OpError:
    key: Key
    api: str
    code: str
    message: str


@dataclass(slots=True)
class ApplyOutcome:
    done: list[Operation] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    errors: list[OpError] = field(default_factory=list)
    skipped: list[Operation] = field(default_factory=list)
    retry_after: float | None = None

    def note_retry(self, seconds: float) -> None:
        self.retry_after = seconds if self.retry_after is None else max(self.retry_after, seconds)


class UnresolvedRef(Exception):
    pass


class Applier:
    def __init__(self, client: LatticeClient, inventory: Inventory, concurrency: int = 8) -> None:
        self.client = client
        self.inv = inventory
        self.sem = asyncio.Semaphore(concurrency)

    # -- records by key ----------------------------------------------------------------------
    def _svc(self, name: str) -> ServiceRec | None:
        return self.inv.services.get(name)

    def _listener(self, path: str) -> ListenerRec | None:
        svc, _, lname = path.partition("/")
        rec = self._svc(svc)
        return (rec.listeners or {}).get(lname) if rec is not None else None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            rec: Any
            if value.kind == "svc":
                rec = self._svc(value.name)
            elif value.kind == "tg":
                rec = self.inv.target_groups.get(value.name)
            elif value.kind == "listener":
                rec = self._listener(value.name)
            else:
                rec = None
            if rec is None:
                raise UnresolvedRef(f"{value.kind} {value.name} does not exist yet")
            return rec.id
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(v) for v in value]
        return value

    # -- run -----------------------------------------------------------------------------------
    async def run(self, operations: list[Operation] | tuple[Operation, ...]) -> ApplyOutcome:
        out = ApplyOutcome()
        failed: set[Key] = set()
        phases = sorted({op.phase for op in operations})
        for phase in phases:
            batch = []
            for op in operations:
                if op.phase != phase:
                    continue
                if (op.after_all and (failed or out.errors or out.in_progress)) or any(n in failed for n in op.needs):
                    out.skipped.append(op)
                    failed.add(op.key)
                    continue
                batch.append(op)
            # operations on the same key run in plan order; different keys concurrently
            by_key: dict[Key, list[Operation]] = {}
            for op in batch:
                by_key.setdefault(op.key, []).append(op)

            async def run_key(ops: list[Operation]) -> None:
                for op in ops:
                    if op.key in failed:
                        out.skipped.append(op)
                        continue
                    ok = await self.one(op, out)
                    if not ok:
                        failed.add(op.key)

            await asyncio.gather(*(run_key(ops) for ops in by_key.values()))
        return out

    async def one(self, op: Operation, out: ApplyOutcome) -> bool:
        try:
            params = self.resolve(thaw(op.params))
        except UnresolvedRef as exc:
            out.in_progress.append(f"{op.describe()}: {exc}")
            return False
        try:
            async with self.sem:
                if op.api.startswith("Create"):
                    resp = await self.create(op, params)
                else:
                    resp = await self.client.call(op.api, **params)
        except NotFound as exc:
            if op.api.startswith(("Delete", "Deregister")) or op.api == "UntagResource":
                self.record(op, params, {})
                out.done.append(op)
                return True
            out.errors.append(OpError(op.key, op.api, exc.code, exc.message))
            self.stale(op, exc)
            return False
        except Conflict as exc:
            if "IN_PROGRESS" in exc.message or op.api.startswith("Delete") or op.api in (
                    "RegisterTargets", "DeregisterTargets"):
                out.in_progress.append(f"{op.describe()}: {exc.message}")
            else:
                out.errors.append(OpError(op.key, op.api, exc.code, exc.message))
                if op.api in ("CreateService", "CreateTargetGroup"):
                    await self.relearn(op)
                else:
                    self.stale(op, exc)
            return False
        except RetryLater as exc:
            out.note_retry(exc.retry_after)
            out.in_progress.append(f"{op.describe()}: {exc.code}, retry in {exc.retry_after:.1f}s")
            return False
        except LatticeError as exc:
            out.errors.append(OpError(op.key, op.api, exc.code, exc.message))
            return False
        problems = self.record(op, params, resp)
        if problems:
            out.errors.append(OpError(op.key, op.api, "PartialFailure", "; ".join(problems)))
            return False
        out.done.append(op)
        return True

    def stale(self, op: Operation, exc: LatticeError) -> None:
        """Lattice disagrees with our records (changed behind our back, or a create whose answer we
        lost): forget what we know, so the next apply re-reads it instead of repeating the error."""
        kind, name = op.key
        if kind in ("tg", "targets"):
            rec = self.inv.target_groups.get(name)
            if rec is not None and exc.resource_type == "TARGET_GROUP" and isinstance(exc, NotFound):
                self.inv.drop_target_group(name)
            elif rec is not None:
                rec.targets = None
                rec.config = None
            return
        svc = self._svc(name.partition("/")[0])
        if svc is None:
            return
        if isinstance(exc, NotFound) and exc.resource_type == "SERVICE":
            self.inv.drop_service(svc.name)
        else:
            svc.hydrated = False

    async def create(self, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
        token = client_token(op.api, op.key, op.fingerprint, params)
        made = self.inv.created_by_token.get(token)
        if made in self.inv.gone:  # we know this token's resource was deleted since: salt at once
            token = client_token(op.api, op.key, op.fingerprint, params, salt=made)
        resp = await self.client.call(op.api, clientToken=token, **params)
        if resp.get("id") in self.inv.gone:
            # Lattice replayed a create whose resource was deleted since: make a new one
            token = client_token(op.api, op.key, op.fingerprint, params, salt=resp["id"])
            resp = await self.client.call(op.api, clientToken=token, **params)
        if resp.get("id"):
            self.inv.created_by_token[token] = resp["id"]
        return resp

    async def relearn(self, op: Operation) -> None:
        """A create hit an existing name we did not know about (stale index): learn it now."""
        name = op.params.get("name")
        listing = "ListServices" if op.api == "CreateService" else "ListTargetGroups"
        try:
            items = await self.client.paginate(listing)
        except LatticeError:
            return
        for it in items:
            if it["name"] != name:
                continue
            tags = await self.inv._tags(it["arn"])
            if op.api == "CreateService":
                self.inv.put_service(ServiceRec(id=it["id"], arn=it["arn"], name=name, status=it.get("status", ""),
                                                dns_name=(it.get("dnsEntry") or {}).get("domainName"),
                                                custom_domain_name=it.get("customDomainName"), tags=tags))
            else:
                self.inv.put_target_group(TargetGroupRec(id=it["id"], arn=it["arn"], name=name,
                                                         type=it.get("type", "IP"), status=it.get("status", ""),
                                                         tags=tags, vpc_identifier=it.get("vpcIdentifier")))

    # -- recording results -------------------------------------------------------------------
    def record(self, op: Operation, p: dict[str, Any], r: dict[str, Any]) -> list[str]:
        """Update the inventory from a successful call; return per-item problems (batch ops)."""
        kind, name = op.key
        api = op.api
        inv = self.inv
        if api == "CreateTargetGroup":
            inv.put_target_group(TargetGroupRec(id=r["id"], arn=r["arn"], name=r["name"], type=r.get("type", "IP"),
                                                status=r.get("status", "CREATE_IN_PROGRESS"),
                                                config=r.get("config") or p.get("config"), tags=dict(p.get("tags") or {}),
                                                vpc_identifier=(p.get("config") or {}).get("vpcIdentifier"),
                                                targets={}))
        elif api == "CreateService":
            inv.put_service(ServiceRec(id=r["id"], arn=r["arn"], name=r["name"], status=r.get("status", ""),
                                       dns_name=(r.get("dnsEntry") or {}).get("domainName"),
                                       custom_domain_name=r.get("customDomainName"),
                                       certificate_arn=r.get("certificateArn"), auth_type=r.get("authType", "NONE"),
                                       tags=dict(p.get("tags") or {}), listeners={}, associations={}, access_logs={},
                                       hydrated=True))
        elif api == "CreateServiceNetworkServiceAssociation":
            svc = self._svc(name.partition("/")[0])
            if svc is not None:
                if svc.status == "CREATE_IN_PROGRESS":
                    svc.status = "ACTIVE"  # Lattice refuses an association while the service is being created
                sn_name = name.partition("/")[2]
                sn = inv.service_network(p["serviceNetworkIdentifier"])
                svc.associations = svc.associations or {}
                svc.associations[p["serviceNetworkIdentifier"]] = AssociationRec(
                    id=r["id"], arn=r["arn"], service_id=svc.id, service_network_id=p["serviceNetworkIdentifier"],
                    service_network_name=sn.name if sn else sn_name, status=r.get("status", "CREATE_IN_PROGRESS"),
                    tags=dict(p.get("tags") or {}))
        elif api == "DeleteServiceNetworkServiceAssociation":
            svc = self._svc(name.partition("/")[0])
            if svc is not None and svc.associations:
                ident = p["serviceNetworkServiceAssociationIdentifier"]
                for sn_id, a in list(svc.associations.items()):
                    if a.id == ident:
                        del svc.associations[sn_id]
        elif api == "CreateListener":
            svc = self._svc(name.partition("/")[0])
            if svc is not None:
                svc.listeners = svc.listeners if svc.listeners is not None else {}
                svc.listeners[r["name"]] = ListenerRec(id=r["id"], arn=r["arn"], name=r["name"], port=r["port"],
                                                       protocol=r["protocol"],
                                                       default_action=r.get("defaultAction") or p["defaultAction"],
                                                       tags=dict(p.get("tags") or {}))
        elif api == "UpdateListener":
            lst = self._listener(name)
            if lst is not None:
                lst.default_action = r.get("defaultAction") or p["defaultAction"]
        elif api == "DeleteListener":
            svc = self._svc(name.partition("/")[0])
            if svc is not None and svc.listeners is not None:
                for lname, lst in list(svc.listeners.items()):
                    if lst.id == p["listenerIdentifier"]:
                        del svc.listeners[lname]
        elif api == "CreateRule":
            svc_name, lname, _ = name.split("/", 2)
            lst = self._listener(f"{svc_name}/{lname}")
            if lst is not None:
                lst.rules[r["name"]] = RuleRec(id=r["id"], arn=r["arn"], name=r["name"], priority=r.get("priority"),
                                               match=r.get("match") or p["match"],
                                               action=r.get("action") or p["action"], tags=dict(p.get("tags") or {}))
        elif api == "DeleteRule":
            lst = self._listener(name.rsplit("/", 1)[0])
            if lst is not None:
                for rname, rule in list(lst.rules.items()):
                    if rule.id == p["ruleIdentifier"]:
                        del lst.rules[rname]
        elif api == "BatchUpdateRule":
            lst = self._listener(name)
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
        elif api == "UpdateService":
            svc = self._svc(name)
            if svc is not None:
                if "certificateArn" in p:
                    svc.certificate_arn = p["certificateArn"]
                if "authType" in p:
                    svc.auth_type = p["authType"]
        elif api == "DeleteService":
            inv.drop_service(name)
        elif api == "PutAuthPolicy":
            svc = self._svc(name)
            if svc is not None:
                svc.auth_policy = p["policy"]
        elif api == "DeleteAuthPolicy":
            svc = self._svc(name)
            if svc is not None:
                svc.auth_policy = None
        elif api in ("CreateAccessLogSubscription", "UpdateAccessLogSubscription", "DeleteAccessLogSubscription"):
            svc = self._svc(name.partition("/")[0])
            if svc is not None:
                svc.access_logs = svc.access_logs if svc.access_logs is not None else {}
                if api == "CreateAccessLogSubscription":
                    svc.access_logs[r["id"]] = AccessLogRec(id=r["id"], arn=r["arn"], resource_id=svc.id,
                                                            destination_arn=p["destinationArn"],
                                                            tags=dict(p.get("tags") or {}))
                elif api == "UpdateAccessLogSubscription":
                    a = svc.access_logs.get(p["accessLogSubscriptionIdentifier"])
                    if a is not None:
                        a.destination_arn = p["destinationArn"]
                else:
                    svc.access_logs.pop(p["accessLogSubscriptionIdentifier"], None)
        elif api == "UpdateTargetGroup":
            tg = inv.target_groups.get(name)
            if tg is not None:
                tg.config = r.get("config") or tg.config
        elif api == "DeleteTargetGroup":
            inv.drop_target_group(name)
        elif api in ("RegisterTargets", "DeregisterTargets"):
            tg = inv.target_groups.get(name)
            if tg is not None:
                if api == "RegisterTargets" and tg.status == "CREATE_IN_PROGRESS":
                    tg.status = "ACTIVE"  # Lattice registers targets only into an ACTIVE target group
                tg.targets = tg.targets if tg.targets is not None else {}
                for t in r.get("successful", ()) if r else p["targets"]:
                    k = (t["id"], t.get("port"))
                    if api == "RegisterTargets":
                        tg.targets[k] = "INITIAL"
                    else:
                        tg.targets.pop(k, None)
            return [f"target {u.get('id')}:{u.get('port')}: {u.get('failureCode')} {u.get('failureMessage')}"
                    for u in (r or {}).get("unsuccessful", ())]
        elif api in ("TagResource", "UntagResource"):
            self._record_tags(op, p)
        return []

    def _record_tags(self, op: Operation, p: dict[str, Any]) -> None:
        kind, name = op.key
        rec: Any = None
        if kind == "svc":
            rec = self._svc(name)
        elif kind == "tg":
            rec = self.inv.target_groups.get(name)
        elif kind == "listener":
            rec = self._listener(name)
        elif kind == "rule":
            lst = self._listener(name.rsplit("/", 1)[0])
            rec = lst.rules.get(name.rsplit("/", 1)[1]) if lst is not None else None
        elif kind == "snsa":
            svc = self._svc(name.partition("/")[0])
            sn_name = name.partition("/")[2]
            if svc is not None:
                rec = next((a for a in (svc.associations or {}).values()
                            if a.service_network_name == sn_name), None)
        if rec is None:
            return
        tags = dict(rec.tags or {})
        if op.api == "TagResource":
            tags.update(p["tags"])
        else:
            for k in p["tagKeys"]:
                tags.pop(k, None)
        if kind in ("svc", "tg"):
            self.inv.retag(kind, name, tags)
        else:
            rec.tags = tags
