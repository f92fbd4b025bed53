"""The index of Lattice resources, kept current from our own writes.

    inv = Inventory(client, managed_by="123456789012/cluster/vpc-...")
    await inv.load()          # once at start: paginated List calls + tags (GetResources, else one by one)

What it holds: every service network (by name and id), every service and target group of the
account with its tags (ownership = ManagedBy tag; `sources` indexes OUR services/TGs by the
Kubernetes source their tags name), and, lazily on first use, the children of the services we touch
(listeners, rules with match/action, SN associations with tags, auth policy) and the targets of
target groups we touch. After `load()` nothing lists the account again: `LatticeSync` records every
create/update/delete it makes (`put_*`, `drop_*`), and `refresh_service()` / `refresh_target_group()`
re-read one resource for drift resync (Get + tags + children: a handful of reads).

`gone` remembers the IDs we deleted, so a Create replayed with an old clientToken (Lattice keeps
tokens for hours and answers with the original, now deleted, resource) is detected and retried
with a fresh token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog

from lattice.client import LatticeClient
from lattice.errors import LatticeError, NotFound
from lattice.observed import (  # noqa: F401  (service_source/target_group_source re-exported)
    ROUTE_KINDS_BY_TYPE,
    AccessLogRec,
    AssociationRec,
    ListenerRec,
    RuleRec,
    ServiceNetworkRec,
    ServiceRec,
    TargetGroupRec,
    VpcAssociationRec,
    service_source,
    target_group_source,
)
from lattice.plan import Key, Observed
from lattice.recording import HANDLERS
from translate.model import Source
from translate.tags import MANAGED_BY

log = structlog.get_logger("latticegw.lattice")

# Seconds after our create during which Lattice's eventually consistent reads may not show the
# new resource yet (Inventory.just_created).
READ_AFTER_CREATE = 30.0


def _dns(item: dict[str, Any]) -> str | None:
    return (item.get("dnsEntry") or {}).get("domainName")


def _tg_summary(it: dict[str, Any]) -> TargetGroupRec:
    """A target group as a list (TargetGroupSummary) shows it: tags and config not loaded yet."""
    return TargetGroupRec(id=it["id"], arn=it["arn"], name=it["name"], type=it.get("type", "IP"),
                          status=it.get("status", "ACTIVE"), vpc_identifier=it.get("vpcIdentifier"),
                          port=it.get("port"), protocol=it.get("protocol"), ip_address_type=it.get("ipAddressType"))


async def _bounded(aws: Iterable[Awaitable[Any]], limit: int) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(aw: Awaitable[Any]) -> Any:
        async with sem:
            return await aw

    return await asyncio.gather(*(one(a) for a in aws))


class Inventory:
    def __init__(self, client: LatticeClient, managed_by: str, *, concurrency: int = 8,
                 read_after_create: float = READ_AFTER_CREATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.read_after_create = read_after_create
        self.clock = clock
        self._created_at: dict[str, float] = {}  # id -> when our create of it was answered
        self.managed_by = managed_by
        self.concurrency = concurrency
        self.service_networks: dict[str, ServiceNetworkRec] = {}  # by name
        self.services: dict[str, ServiceRec] = {}  # by name, every owner
        self.target_groups: dict[str, TargetGroupRec] = {}  # by name, every owner
        self._svc_by_source: dict[Source, set[str]] = {}
        self._tg_by_source: dict[Source, set[str]] = {}
        self.gone: set[str] = set()
        self._created_by_token: dict[str, str] = {}  # clientToken -> id it created (this process)
        self.loaded = False
        self._load_lock = asyncio.Lock()
        # Tags of our associations and access log subscriptions, from the start-up GetResources:
        # each is used once, by the first look at its service (later looks read them afresh).
        self._startup_tags: dict[str, dict[str, str]] = {}

    # -- start -------------------------------------------------------------------------------
    async def load(self) -> None:
        """List service networks, services and target groups (+ their tags). Once, at start;
        concurrent callers wait for the first load instead of listing again."""
        async with self._load_lock:
            if not self.loaded:
                await self._load()

    async def _load(self) -> None:
        sns, svcs, tgs = await asyncio.gather(
            self.client.paginate("ListServiceNetworks"), self.client.paginate("ListServices"),
            self.client.paginate("ListTargetGroups"))
        for it in sns:
            self.put_service_network(ServiceNetworkRec(id=it["id"], arn=it["arn"], name=it["name"]))
        svc_recs = [ServiceRec(id=it["id"], arn=it["arn"], name=it["name"], status=it.get("status", "ACTIVE"),
                               dns_name=_dns(it), custom_domain_name=it.get("customDomainName"))
                    for it in svcs]
        tg_recs = [_tg_summary(it) for it in tgs]
        if self.client.has_tagging:
            # our resources with their tags in a few pages; the rest stay "unknown" (tags None) and
            # are read one by one only if a reconcile ever needs them (same name as something we want)
            ours = await self.client.tagged_resources(
                ["vpc-lattice:service", "vpc-lattice:targetgroup", "vpc-lattice:servicenetworkserviceassociation",
                 "vpc-lattice:accesslogsubscription"], {MANAGED_BY: self.managed_by})
            recs: list[ServiceRec | TargetGroupRec] = [*svc_recs, *tg_recs]
            for rec in recs:
                rec.tags = ours.pop(rec.arn, None)
            self._startup_tags = ours  # the children: saves one ListTagsForResource each later
        else:
            recs = [*svc_recs, *tg_recs]
            tags = await _bounded([self._tags(r.arn) for r in recs], self.concurrency)
            for rec, t in zip(recs, tags):
                rec.tags = t
        for s in svc_recs:
            if s.status != "DELETE_IN_PROGRESS" or s.tags is not None:
                self.put_service(s)
        for tg in tg_recs:
            self.put_target_group(tg)
        self.loaded = True

    async def fill_tags(self, records: Iterable[ServiceRec | TargetGroupRec]) -> None:
        """Read the tags of records whose tags are unknown (only with the tagging API at start)."""
        todo = [r for r in records if r.tags is None]
        got = await _bounded([self._tags(r.arn) for r in todo], self.concurrency)
        for rec, tags in zip(todo, got):
            if tags is None:
                continue
            if isinstance(rec, ServiceRec):
                self.retag("svc", rec.name, tags)
            else:
                self.retag("tg", rec.name, tags)

    async def _tags(self, arn: str) -> dict[str, str] | None:
        known = self._startup_tags.pop(arn, None)
        if known is not None:
            return known
        try:
            return dict((await self.client.call("ListTagsForResource", resourceArn=arn)).get("tags") or {})
        except NotFound:
            return None

    # -- our writes (and re-reads) -------------------------------------------------------------
    def record(self, api: str, key: Key, params: dict[str, Any], response: dict[str, Any] | None) -> list[str]:
        """What Lattice answered to `api` on `key` changes our records (the table in recording.py).
        `response` {} = a delete found nothing to delete; None = a Get found nothing. Returns the
        per-item problems of a batch call."""
        if response and api.startswith("Create") and response.get("id"):
            self._created_at[response["id"]] = self.clock()
        handler = HANDLERS.get((key[0], api))
        if handler is None:
            log.warning("no inventory handler for an operation", api=api, kind=key[0])
            return []
        return handler(self, key[1], params, response)

    async def reread(self, api: str, key: Key, **params: Any) -> None:
        """Get one resource again (a transitional state we wait on) and record what Lattice says."""
        try:
            got: dict[str, Any] | None = await self.client.call(api, **params)
        except NotFound:
            if any(self.just_created(v) for k, v in params.items() if k.endswith("Identifier")):
                return  # not visible yet (see just_created): what we were told stands; look again later
            got = None
        self.record(api, key, params, got)

    def just_created(self, resource_id: str) -> bool:
        """Our create of `resource_id` was answered moment ago. Lattice's reads are eventually
        consistent: for a while after a create, Get and List may not show the new resource. Such
        an absence is not a deletion; believing it would make us create the resource again (a
        replay of the same clientToken, answered with the same resource still being created)."""
        at = self._created_at.get(resource_id)
        if at is None:
            return False
        if self.clock() - at <= self.read_after_create:
            return True
        del self._created_at[resource_id]
        return False

    def appearing(self, resource_id: str, status: str | None) -> bool:
        """Being created by us right now: a read that does not show it is not a deletion. (A
        resource already ACTIVE that a read misses was deleted behind our back: drift.)"""
        return status == "CREATE_IN_PROGRESS" and self.just_created(resource_id)

    def forget(self, key: Key, exc: LatticeError) -> None:
        """Lattice disagrees with our records (changed behind our back, or a create whose answer we
        lost): forget what we know, so the next apply re-reads it instead of repeating the error."""
        kind, name = key
        if kind in ("tg", "targets"):
            rec = self.target_groups.get(name)
            if rec is not None and exc.resource_type == "TARGET_GROUP" and isinstance(exc, NotFound):
                self.drop_target_group(name)
            elif rec is not None:
                rec.targets = None
                rec.config = None
            return
        svc = self.services.get(name.partition("/")[0])
        if svc is None:
            return
        if isinstance(exc, NotFound) and exc.resource_type == "SERVICE":
            self.drop_service(svc.name)
        else:
            svc.hydrated = False

    def made_by_token(self, token: str) -> str | None:
        """The id a create with this clientToken made (in this process), if any."""
        return self._created_by_token.get(token)

    def note_token(self, token: str, resource_id: str) -> None:
        self._created_by_token[token] = resource_id

    async def learn_named(self, kind: str, name: str) -> str | None:
        """A create hit an existing name we did not know about (stale index): learn it now. Returns
        its status ("GONE" when it is no longer there); one still being deleted is not recorded (the
        name frees up when it is gone)."""
        listing = "ListServices" if kind == "svc" else "ListTargetGroups"
        try:
            items = await self.client.paginate(listing)
        except LatticeError:
            return None
        for it in items:
            if it["name"] != name:
                continue
            if it.get("status") == "DELETE_IN_PROGRESS":
                return "DELETE_IN_PROGRESS"
            tags = await self._tags(it["arn"])
            if kind == "svc":
                self.put_service(ServiceRec(id=it["id"], arn=it["arn"], name=name, status=it.get("status", ""),
                                            dns_name=_dns(it), custom_domain_name=it.get("customDomainName"),
                                            tags=tags))
            else:
                rec = _tg_summary(it)
                rec.tags = tags
                self.put_target_group(rec)
            return str(it.get("status", ""))
        return "GONE"  # deleted between the create and this listing: the name is free again

    # -- indexes -------------------------------------------------------------------------------
    def _index(self, table: dict[Source, set[str]], source: Source | None, name: str, add: bool) -> None:
        if source is None:
            return
        names = table.setdefault(source, set())
        if add:
            names.add(name)
        else:
            names.discard(name)
            if not names:
                del table[source]

    def owned(self, managed_by: str | None) -> bool:
        return managed_by == self.managed_by

    def put_service(self, rec: ServiceRec) -> None:
        old = self.services.get(rec.name)
        if old is not None:
            self._index(self._svc_by_source, service_source(old.tags), old.name, False)
        self.services[rec.name] = rec
        if self.owned(rec.managed_by):
            self._index(self._svc_by_source, service_source(rec.tags), rec.name, True)

    def drop_service(self, name: str) -> None:
        rec = self.services.pop(name, None)
        if rec is not None:
            self._index(self._svc_by_source, service_source(rec.tags), name, False)
            self.gone.add(rec.id)

    def put_target_group(self, rec: TargetGroupRec) -> None:
        old = self.target_groups.get(rec.name)
        if old is not None:
            self._index(self._tg_by_source, target_group_source(old.tags), old.name, False)
        self.target_groups[rec.name] = rec
        if self.owned(rec.managed_by):
            self._index(self._tg_by_source, target_group_source(rec.tags), rec.name, True)

    def drop_target_group(self, name: str) -> None:
        rec = self.target_groups.pop(name, None)
        if rec is not None:
            self._index(self._tg_by_source, target_group_source(rec.tags), name, False)
            self.gone.add(rec.id)

    def retag(self, kind: str, name: str, tags: dict[str, str]) -> None:
        """Record new tags on a service or TG (re-indexes ownership and source)."""
        if kind == "svc" and name in self.services:
            rec = self.services[name]
            self._index(self._svc_by_source, service_source(rec.tags), name, False)
            rec.tags = tags
            self.put_service(rec)
        elif kind == "tg" and name in self.target_groups:
            rec2 = self.target_groups[name]
            self._index(self._tg_by_source, target_group_source(rec2.tags), name, False)
            rec2.tags = tags
            self.put_target_group(rec2)

    def put_service_network(self, rec: ServiceNetworkRec) -> None:
        self.service_networks[rec.name] = rec

    def drop_service_network(self, name: str) -> None:
        rec = self.service_networks.pop(name, None)
        if rec is not None:
            self.gone.add(rec.id)

    def services_of(self, source: Source) -> list[ServiceRec]:
        return [self.services[n] for n in sorted(self._svc_by_source.get(source, ())) if n in self.services]

    def target_groups_of(self, source: Source) -> list[TargetGroupRec]:
        return [self.target_groups[n] for n in sorted(self._tg_by_source.get(source, ()))
                if n in self.target_groups]

    def service_network(self, name_or_id: str) -> ServiceNetworkRec | None:
        rec = self.service_networks.get(name_or_id)
        if rec is None and name_or_id.startswith("sn-"):
            rec = next((r for r in self.service_networks.values() if r.id == name_or_id), None)
        return rec

    def listener(self, path: str) -> ListenerRec | None:
        """A listener by "service/listener" name, if its service is hydrated."""
        svc, _, lname = path.partition("/")
        rec = self.services.get(svc)
        return (rec.listeners or {}).get(lname) if rec is not None else None

    def service_network_ids(self) -> dict[str, str]:
        out = {name: r.id for name, r in self.service_networks.items()}
        out.update({r.id: r.id for r in self.service_networks.values()})
        return out

    def scope(self, source: Source, service_names: Iterable[str], tg_names: Iterable[str],
              lookups: dict[str, str] | None = None) -> Observed:
        """Observed state for one source: its owned services/TGs plus whatever holds the desired names."""
        services = {r.name: r for r in self.services_of(source)}
        for n in service_names:
            if n in self.services:
                services[n] = self.services[n]
        tgs = {r.name: r for r in self.target_groups_of(source)}
        for n in tg_names:
            if n in self.target_groups:
                tgs[n] = self.target_groups[n]
        return Observed(self.managed_by, services, tgs, self.service_network_ids(), dict(lookups or {}))

    # -- lazy loading and drift resync ---------------------------------------------------------------
    async def refresh_service_networks(self) -> None:
        """Re-list service networks (cheap: one page for most accounts); used when a name is unknown."""
        items = await self.client.paginate("ListServiceNetworks")
        seen = set()
        for it in items:
            seen.add(it["name"])
            rec = self.service_networks.get(it["name"])
            if rec is None or rec.id != it["id"]:
                self.put_service_network(ServiceNetworkRec(id=it["id"], arn=it["arn"], name=it["name"]))
        for name in list(self.service_networks):
            if name not in seen:
                self.drop_service_network(name)

    async def learn_new_target_groups(self) -> int:
        """List target groups again and index the ones we have never seen (with their tags).
        Used rarely (an unresolved ServiceImport lookup); never forgets anything."""
        items = await self.client.paginate("ListTargetGroups")
        new = [_tg_summary(it) for it in items if it["name"] not in self.target_groups and it["id"] not in self.gone]
        tags = await _bounded([self._tags(r.arn) for r in new], self.concurrency)
        for rec, t in zip(new, tags):
            rec.tags = t
            self.put_target_group(rec)
        return len(new)

    async def hydrate_service(self, rec: ServiceRec) -> None:
        """Load listeners, rules (match/action via GetRule), SN associations (+ tags), auth policy,
        access log subscriptions. A service that turns out to be gone is dropped from the index."""
        try:
            await self._hydrate_service(rec)
        except NotFound as exc:
            if exc.resource_type in (None, "SERVICE") or exc.operation in ("GetService", "ListListeners"):
                if not self.appearing(rec.id, rec.status):
                    self.drop_service(rec.name)
            else:
                raise

    async def _hydrate_service(self, rec: ServiceRec) -> None:
        c = self.client
        if rec.auth_type is None or rec.certificate_arn is None and rec.custom_domain_name:
            try:
                got = await c.call("GetService", serviceIdentifier=rec.id)
            except NotFound:
                if not self.appearing(rec.id, rec.status):
                    self.drop_service(rec.name)
                return
            rec.status = got.get("status", rec.status)
            rec.auth_type = got.get("authType")
            rec.certificate_arn = got.get("certificateArn")
            rec.custom_domain_name = got.get("customDomainName")
            rec.dns_name = _dns(got) or rec.dns_name
        listeners_raw, assocs_raw = await asyncio.gather(
            c.paginate("ListListeners", serviceIdentifier=rec.id),
            c.paginate("ListServiceNetworkServiceAssociations", serviceIdentifier=rec.id))
        listeners: dict[str, ListenerRec] = {}
        for it in listeners_raw:
            listeners[it["name"]] = ListenerRec(id=it["id"], arn=it["arn"], name=it["name"], port=it["port"],
                                                protocol=it["protocol"], default_action=None)

        async def load_listener(lst: ListenerRec) -> None:
            got, rules = await asyncio.gather(
                c.call("GetListener", serviceIdentifier=rec.id, listenerIdentifier=lst.id),
                c.paginate("ListRules", serviceIdentifier=rec.id, listenerIdentifier=lst.id))
            lst.default_action = got.get("defaultAction")
            full = await asyncio.gather(*(
                c.call("GetRule", serviceIdentifier=rec.id, listenerIdentifier=lst.id, ruleIdentifier=r["id"])
                for r in rules if not r.get("isDefault")))
            for r in full:
                lst.rules[r["name"]] = RuleRec(id=r["id"], arn=r["arn"], name=r["name"], priority=r.get("priority"),
                                               match=r.get("match"), action=r.get("action"))

        assocs = {it["serviceNetworkId"]: AssociationRec(
            id=it["id"], arn=it["arn"], service_id=rec.id, service_network_id=it["serviceNetworkId"],
            service_network_name=it.get("serviceNetworkName", ""), status=it.get("status", "ACTIVE"))
            for it in assocs_raw}
        tags = await _bounded([*(load_listener(lst) for lst in listeners.values()),
                               *(self._tags(a.arn) for a in assocs.values())], self.concurrency)
        for a, t in zip(assocs.values(), tags[len(listeners):]):
            a.tags = t
        als = await c.paginate("ListAccessLogSubscriptions", resourceIdentifier=rec.id)
        rec.access_logs = {}
        for it in als:
            log_rec = AccessLogRec(id=it["id"], arn=it["arn"], resource_id=rec.id, destination_arn=it["destinationArn"],
                             tags=await self._tags(it["arn"]))
            rec.access_logs[log_rec.id] = log_rec
        self._keep_just_created(rec, assocs)
        rec.auth_policy = None
        if rec.auth_type == "AWS_IAM":
            try:
                rec.auth_policy = (await c.call("GetAuthPolicy", resourceIdentifier=rec.id)).get("policy")
            except NotFound:
                rec.auth_policy = None
        # whatever we knew that is gone now was deleted behind our back: remember its ID, so a
        # create replayed with the same clientToken is not answered with the deleted resource
        before = {lst.id for lst in (rec.listeners or {}).values()}
        before |= {r.id for lst in (rec.listeners or {}).values() for r in lst.rules.values()}
        before |= {a.id for a in (rec.associations or {}).values()}
        now = {lst.id for lst in listeners.values()} | {r.id for lst in listeners.values() for r in lst.rules.values()}
        now |= {a.id for a in assocs.values()}
        self.gone |= before - now
        rec.listeners = listeners
        rec.associations = assocs
        rec.hydrated = True

    def _keep_just_created(self, rec: ServiceRec, assocs: dict[str, AssociationRec]) -> None:
        """An association we are creating (just_created, still CREATE_IN_PROGRESS) that the list
        does not show yet stays."""
        for sn_id, a in (rec.associations or {}).items():
            if sn_id not in assocs and self.appearing(a.id, a.status):
                assocs[sn_id] = a

    async def load_targets(self, rec: TargetGroupRec) -> None:
        try:
            items = await self.client.paginate("ListTargets", targetGroupIdentifier=rec.id)
        except NotFound:
            if not self.appearing(rec.id, rec.status):
                self.drop_target_group(rec.name)
            return
        rec.targets = {(str(t["id"]), int(t.get("port") or 0)): t.get("status", "") for t in items
                       if t.get("status") != "DRAINING"}

    async def refresh_service(self, name: str) -> ServiceRec | None:
        """Drift resync of one service: Get + tags, then children again."""
        rec = self.services.get(name)
        if rec is None:
            return None
        try:
            got = await self.client.call("GetService", serviceIdentifier=rec.id)
        except NotFound:
            if self.appearing(rec.id, rec.status):
                return rec
            self.drop_service(name)
            return None
        fresh = ServiceRec(id=got["id"], arn=got["arn"], name=got["name"], status=got.get("status", "ACTIVE"),
                           dns_name=_dns(got), custom_domain_name=got.get("customDomainName"),
                           certificate_arn=got.get("certificateArn"), auth_type=got.get("authType"),
                           tags=await self._tags(got["arn"]),
                           listeners=rec.listeners, associations=rec.associations)
        self.put_service(fresh)
        if self.owned(fresh.managed_by):
            await self.hydrate_service(fresh)
        return fresh

    async def refresh_target_group(self, name: str) -> TargetGroupRec | None:
        rec = self.target_groups.get(name)
        if rec is None:
            return None
        try:
            got = await self.client.call("GetTargetGroup", targetGroupIdentifier=rec.id)
        except NotFound:
            if self.appearing(rec.id, rec.status):
                return rec
            self.drop_target_group(name)
            return None
        fresh = TargetGroupRec(id=got["id"], arn=got["arn"], name=got["name"], type=got.get("type", "IP"),
                               status=got.get("status", "ACTIVE"), config=got.get("config"),
                               tags=await self._tags(got["arn"]),
                               vpc_identifier=(got.get("config") or {}).get("vpcIdentifier"))
        self.put_target_group(fresh)
        if self.owned(fresh.managed_by):
            await self.load_targets(fresh)
        return fresh

    async def hydrate_service_network(self, rec: ServiceNetworkRec, vpc_id: str | None, *,
                                      with_auth: bool) -> None:
        """Load the parts of an SN we may own: VPC associations of our VPC (tags only for this SN's),
        access log subscriptions (+ tags) and, when `with_auth`, authType, tags and the auth policy."""
        c = self.client
        vas: dict[str, VpcAssociationRec] = {}
        if vpc_id:
            items = await c.paginate("ListServiceNetworkVpcAssociations", vpcIdentifier=vpc_id)
            for it in items:
                if it.get("status") in ("CREATE_FAILED",):
                    continue
                va = VpcAssociationRec(id=it["id"], arn=it["arn"], service_network_id=it["serviceNetworkId"],
                                       vpc_id=it.get("vpcId", vpc_id), status=it.get("status", "ACTIVE"))
                if va.service_network_id == rec.id:
                    va.tags = await self._tags(va.arn)
                    got_va = await c.call("GetServiceNetworkVpcAssociation",
                                          serviceNetworkVpcAssociationIdentifier=va.id)
                    va.security_group_ids = tuple(got_va.get("securityGroupIds") or ())
                vas[va.service_network_id] = va
        rec.vpc_associations = vas
        als = await c.paginate("ListAccessLogSubscriptions", resourceIdentifier=rec.id)
        rec.access_logs = {}
        for it in als:
            a = AccessLogRec(id=it["id"], arn=it["arn"], resource_id=rec.id, destination_arn=it["destinationArn"])
            a.tags = await self._tags(a.arn)
            rec.access_logs[a.id] = a
        if with_auth:
            await self.load_service_network_auth(rec)
        rec.hydrated = True

    async def load_service_network_auth(self, rec: ServiceNetworkRec) -> None:
        c = self.client
        got = await c.call("GetServiceNetwork", serviceNetworkIdentifier=rec.id)
        rec.auth_type = got.get("authType")
        if rec.tags is None:
            rec.tags = await self._tags(rec.arn) or {}
        rec.auth_policy = None
        if rec.auth_type == "AWS_IAM":
            try:
                rec.auth_policy = (await c.call("GetAuthPolicy", resourceIdentifier=rec.id)).get("policy")
            except NotFound:
                pass

    async def resolve_lookup(self, arn: str | None, tags: dict[str, str], vpc: str | None) -> str | None:
        """A TargetGroupLookup's TG id: by ARN (GetTargetGroup once), else the TG whose tags match."""
        if arn:
            for rec in self.target_groups.values():
                if rec.arn == arn:
                    return rec.id
            try:
                got = await self.client.call("GetTargetGroup", targetGroupIdentifier=arn)
            except NotFound:
                return None
            self.put_target_group(TargetGroupRec(id=got["id"], arn=got["arn"], name=got["name"],
                                                 type=got.get("type", "IP"), status=got.get("status", "ACTIVE"),
                                                 config=got.get("config"), tags={}))
            return got["id"]
        if self.client.has_tagging and any(r.tags is None for r in self.target_groups.values()):
            found = await self.client.tagged_resources(["vpc-lattice:targetgroup"], dict(tags))
            await self.fill_tags(r for r in self.target_groups.values() if r.arn in found)
        for rec in sorted(self.target_groups.values(), key=lambda r: r.name):
            t = rec.tags or {}
            if all(t.get(k) == v for k, v in tags.items()) and (not vpc or rec.vpc_identifier in (None, vpc)):
                if rec.status not in ("DELETE_IN_PROGRESS", "CREATE_FAILED"):
                    return rec.id
        return None
