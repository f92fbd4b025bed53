"""LatticeSync: the API the reconcilers call.

At process start (leader only, before workers run)::

    client = LatticeClient(lattice_config,                   # a LatticeConfig (controller.config.lattice_config)
                           observer=metrics)                  # with_acm=True for ACM discovery
    await client.open()
    inventory = Inventory(client, managed_by=translate_config.managed_by)
    await inventory.load()                                   # paginated Lists + ListTagsForResource
    sync = LatticeSync(client, inventory, vpc_id=translate_config.vpc_id)
    # optional: certificates=CertificateFinder(client) when the client was opened with_acm=True
    ...
    await client.close()          # at shutdown (the inventory holds no connections)

Per reconcile::

    result = await sync.apply_source(route_source, services, target_groups, lookups)
    result.services["rates-default"].dns_name     # for the route annotation
    if result.conflicts: ...                       # Accepted=False / Programmed=False with the message
    if result.errors: requeue with backoff (at least result.retry_after)
    elif result.requeue_after is not None: requeue the key after it (in progress / throttled / waiting)

    await sync.apply_source(route_source, (), ())  # finalizer: delete everything we own for it
    await sync.sync_targets(tg)                    # EndpointSlice change: Register/Deregister only
    await sync.ensure_service_network(sn)          # Gateway / ServiceNetwork CR / default SN
    await sync.delete_service_network(sn)          # removes what we own on it; deletes it if ours
    await sync.plan_source(route_source, services, target_groups, lookups)   # latticegw diff: no writes
    await sync.remove_service_network_auth(sn)     # an IAMAuthPolicy left a looked-up network

Results never raise for AWS trouble: `errors` (OpError: key, api, code, message), `conflicts`
(PlanConflict: kind, name, managed_by, message - a same-named resource that is not ours, or ours but
made for another Kubernetes object; nothing was changed), `in_progress` (human lines) and `waiting`
(dependencies nobody has created yet, e.g. the Gateway's service network: not an error, everything
else still converges) tell the reconciler what to report; `requeue_after` is the retry-after of a
throttle beyond our budget, 2 s while something is still in a transitional state, or
WAITING_REQUEUE while only waiting. `calls` counts AWS attempts by operation (`reads`, `writes`).

`services` is keyed by the desired service's name and describes the Lattice service that serves it:
during a custom-domain change (make-before-break, see plan.py) the old one until the new one (under
`replacement_name`) is ready, then the new one; `ServiceState.name` is the Lattice name.

`apply_source` trusts the inventory: a converged source costs no AWS call at all. Resources it
last saw in a transitional state (CREATE_IN_PROGRESS, ...) are re-read with one Get each, so a
requeued reconcile notices when they become ACTIVE. Except a service-network association Lattice is
still creating: it is settling, not in progress (nothing the route reports waits for it; its DNS
name came with the service), so it is neither polled nor requeued for, unless an old service of the
source is kept serving until its replacement is ready (plan.py); the drift check re-reads it. `refresh=True` (the periodic drift resync)
re-reads the source's resources first (Get + tags + children).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from opentelemetry import trace

from lattice.adopt import Renames, adopt
from lattice.apply import Applier, ApplyOutcome, OpError
from lattice.certificates import CertificateFinder, CertificateImporter
from lattice.client import CallTally, LatticeClient, record_calls
from lattice.errors import LatticeError, NotFound, RetryLater
from lattice.inventory import Inventory
from lattice.networks import SN_LOOKUP_INTERVAL, SN_RELIST_INTERVAL, NetworkResult, ServiceNetworks
from lattice.observed import IN_PROGRESS, ServiceRec, TargetGroupRec, service_source, target_group_source
from lattice.plan import Desired, Observed, Plan, PlanConflict, plan
from translate.model import Service as DesiredService
from translate.model import ServiceNetwork, Source, TargetGroup, TargetGroupLookup

log = structlog.get_logger("latticegw.lattice")

# How soon to look again at something Lattice is still creating or deleting.
IN_PROGRESS_REQUEUE = 2.0
# How soon to look again for a dependency nobody has created yet (a service network).
WAITING_REQUEUE = 20.0
# An unresolved ServiceImport lookup lists target groups again at most this often (an export made
# by another cluster after we loaded).
TG_RELIST_INTERVAL = 10.0

__all__ = ["IN_PROGRESS_REQUEUE", "LatticeSync", "NetworkResult", "ServiceState", "SourcePlan", "SyncResult",
           "WAITING_REQUEUE"]


@dataclass(frozen=True, slots=True)
class ServiceState:
    name: str
    id: str
    arn: str
    dns_name: str | None
    status: str
    # service network name -> association status (ACTIVE once traffic can flow from that network)
    associations: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SyncResult(CallTally):
    source: Source
    services: dict[str, ServiceState] = field(default_factory=dict)  # desired services that exist, by name
    target_groups: dict[str, str] = field(default_factory=dict)  # desired TG name -> ARN
    in_progress: list[str] = field(default_factory=list)  # human lines; requeue soon
    conflicts: list[PlanConflict] = field(default_factory=list)  # not ours, same name: never touched
    waiting: list[str] = field(default_factory=list)  # missing dependencies (service networks)
    errors: list[OpError] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # AWS attempts by operation
    retry_after: float | None = None  # from throttling beyond our budget
    operations: list[str] = field(default_factory=list)  # what was done, for logs/events

    @property
    def converged(self) -> bool:
        return not (self.in_progress or self.errors or self.conflicts or self.waiting)

    @property
    def requeue_after(self) -> float | None:
        """Seconds until the reconciler should look again; None = done (or use error backoff)."""
        if self.retry_after is not None:
            return self.retry_after
        if self.in_progress:
            return IN_PROGRESS_REQUEUE
        if self.waiting:
            return WAITING_REQUEUE
        return None


@dataclass(slots=True)
class SourcePlan:
    """What `apply_source` would do for one source now, worked out without doing it
    (`LatticeSync.plan_source`): the same lookups, adoption (adopt.py) and plan (plan.py), reads only.

    `wanted` is the desired model as translated; `desired` the same after adoption (the names
    Lattice already holds for this source); `observed` what plan saw; `problems` what would keep
    the apply from finishing (errors, pending states, missing service networks), as lines;
    `imports` the certificates (Secrets) the apply would import into ACM first.
    """

    source: Source
    wanted: Desired
    desired: Desired
    observed: Observed
    renames: Renames
    plan: Plan
    problems: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # the AWS calls (reads) made to work it out


def _annotate(span: Any, result: "SyncResult", calls: Counter[str]) -> None:
    span.set_attribute("aws.calls", sum(calls.values()))
    span.set_attribute("latticegw.operations", len(result.operations))
    span.set_attribute("latticegw.in_progress", len(result.in_progress))
    span.set_attribute("latticegw.conflicts", len(result.conflicts))
    span.set_attribute("latticegw.errors", len(result.errors))
    if result.errors:
        span.set_status(trace.Status(trace.StatusCode.ERROR, result.errors[0].message[:200]))


def _forwarded_names(services: Iterable[DesiredService]) -> set[str]:
    names: set[str] = set()
    for s in services:
        for lst in s.listeners:
            for action in (lst.default_action, *(r.action for r in lst.rules)):
                for t in (action.get("forward") or {}).get("targetGroups", ()):
                    names.add(t["targetGroupIdentifier"])
    return names


def _error(key: tuple[str, str], api: str, exc: LatticeError) -> OpError:
    return OpError(key, api, exc.code, exc.message)


class LatticeSync:
    def __init__(self, client: LatticeClient, inventory: Inventory, managed_by: str | None = None, *,
                 vpc_id: str | None = None, concurrency: int | None = None,
                 certificates: "CertificateFinder | None" = None,
                 importer: "CertificateImporter | None" = None,
                 sn_relist_interval: float = SN_RELIST_INTERVAL, sn_lookup_interval: float = SN_LOOKUP_INTERVAL,
                 tg_relist_interval: float = TG_RELIST_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        # ACM discovery for custom domains (needs LatticeClient(with_acm=True)); None = off
        self.certificates = certificates
        # listener Secrets imported into ACM (needs with_acm too); None = no ACM: reported as an error
        self.importer = importer
        self.inventory = inventory
        self.managed_by = managed_by or inventory.managed_by
        self.vpc_id = vpc_id
        self.concurrency = concurrency or client.config.concurrency
        self.clock = clock
        # service networks (Gateways, ServiceNetwork objects) and the relisting a waiting route may do
        self.networks = ServiceNetworks(client, inventory, vpc_id=vpc_id, lookup_interval=sn_lookup_interval,
                                        relist_interval=sn_relist_interval, clock=clock)
        self.tg_relist_interval = tg_relist_interval
        self._tg_refreshed_at = float("-inf")
        # per source: desired target-group name -> the adopted one's (adopt.py), from its last apply
        self._adopted_tgs: dict[Source, dict[str, str]] = {}
        # one apply at a time per source; different sources run concurrently
        self._locks: dict[Source, list[Any]] = {}

    @contextlib.asynccontextmanager
    async def _lock(self, source: Source) -> AsyncIterator[None]:
        """One apply at a time per source (the work queue already ensures it; this is a backstop)."""
        entry = self._locks.get(source)
        if entry is None:
            entry = self._locks[source] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(source, None)

    # -- routes and exports ----------------------------------------------------------------------------
    async def apply_source(self, source: Source, services: Iterable[DesiredService] = (),
                           target_groups: Iterable[TargetGroup] = (),
                           target_group_lookups: Iterable[TargetGroupLookup] = (), *,
                           refresh: bool = False) -> SyncResult:
        services = tuple(services)
        target_groups = tuple(target_groups)
        lookups = tuple(target_group_lookups)
        result = SyncResult(source)
        async with self._lock(source):
            with record_calls() as calls, self.client.tracer.start_as_current_span(
                    "lattice.apply_source", attributes={"latticegw.source": source.key,
                                                        "latticegw.refresh": refresh}) as span:
                try:
                    await self._apply_source(source, services, target_groups, lookups, refresh, result)
                except RetryLater as exc:
                    result.retry_after = exc.retry_after
                    result.in_progress.append(f"{exc.operation}: {exc.code}, retry in {exc.retry_after:.1f}s")
                except LatticeError as exc:
                    result.errors.append(_error(("source", source.key), exc.operation, exc))
                _annotate(span, result, calls)
            result.calls = calls
        self._log(result)
        return result

    async def plan_source(self, source: Source, services: Iterable[DesiredService] = (),
                          target_groups: Iterable[TargetGroup] = (),
                          target_group_lookups: Iterable[TargetGroupLookup] = ()) -> SourcePlan:
        """What `apply_source` with these arguments would do now, without doing it (`latticegw diff`).

        The very path `apply_source` takes (lookups, certificates, adoption, plan) up to the point
        where it would run the plan, with reads only: nothing is written to Lattice or ACM, and the
        inventory learns only what it read. A certificate the apply would import stands in the plan
        as `imported:<Secret>`. Lattice errors raise (a read that fails is the caller's to report)."""
        result = SyncResult(source)
        previews: list[SourcePlan] = []
        async with self._lock(source):
            with record_calls() as calls:
                await self._apply_source(source, tuple(services), tuple(target_groups), tuple(target_group_lookups),
                                         False, result, preview=previews)
            result.calls = calls
        (out,) = previews
        out.problems += [f"{e.api} {e.key[1]}: {e.message}".strip() for e in result.errors]
        out.calls = calls
        return out

    def _log(self, result: "SyncResult") -> None:
        if result.operations or result.errors or result.conflicts:
            log.info("lattice apply", source=result.source.key, operations=result.operations,
                     errors=[f"{e.api} {e.key[1]}: {e.code} {e.message}" for e in result.errors],
                     conflicts=[c.message for c in result.conflicts], in_progress=result.in_progress,
                     waiting=result.waiting, calls=sum(result.calls.values()))

    async def _apply_source(self, source: Source, services: tuple[DesiredService, ...],
                            target_groups: tuple[TargetGroup, ...], lookups: tuple[TargetGroupLookup, ...],
                            refresh: bool, result: SyncResult, preview: list[SourcePlan] | None = None) -> None:
        """`preview` (plan_source): append the plan to it instead of running it."""
        inv = self.inventory
        if not inv.loaded:
            await inv.load()
        resolved: dict[str, str] = {}
        referenced = _forwarded_names(services)
        for lk in lookups:
            if lk.name not in referenced:
                continue  # callers may pass every lookup of a translation; only ours matter
            tg_id = await inv.resolve_lookup(lk.arn, dict(lk.tags), lk.vpc_identifier)
            if tg_id is None and self.clock() - self._tg_refreshed_at > self.tg_relist_interval:
                # an export made (by another cluster) after we loaded: look for new TGs, rarely
                self._tg_refreshed_at = self.clock()
                await inv.learn_new_target_groups()
                tg_id = await inv.resolve_lookup(lk.arn, dict(lk.tags), lk.vpc_identifier)
            if tg_id is not None:
                resolved[lk.name] = tg_id
        await self.networks.look_for({a.service_network for s in services for a in s.associations})
        if self.importer is None or preview is not None:
            await self._apply_with_certificates(source, services, target_groups, resolved, refresh, result, [],
                                                preview)
            return
        async with self.importer.hold() as held:
            await self._apply_with_certificates(source, services, target_groups, resolved, refresh, result, held)

    async def _apply_with_certificates(self, source: Source, services: tuple[DesiredService, ...],
                                       target_groups: tuple[TargetGroup, ...], resolved: dict[str, str],
                                       refresh: bool, result: SyncResult, held: list[str],
                                       preview: list[SourcePlan] | None = None) -> None:
        inv = self.inventory
        imports: list[str] = []
        services = await self._import_certificates(services, held, result, imports if preview is not None else None)
        if self.certificates is not None:
            services = await self._discover_certificates(services, result)
        svc_names = [n for s in services for n in (s.name, s.replacement_name) if n]
        tg_names = [t.name for t in target_groups]
        observed = inv.scope(source, svc_names, tg_names, resolved)
        recs: list[ServiceRec | TargetGroupRec] = [*observed.services.values(), *observed.target_groups.values()]
        if any(r.tags is None for r in recs):
            await inv.fill_tags(recs)
            observed = inv.scope(source, svc_names, tg_names, resolved)
        takeover = {s.allow_takeover_from for s in services if s.allow_takeover_from}
        if refresh:
            await self._gather([inv.refresh_service(n) for n in observed.services] +
                               [inv.refresh_target_group(n) for n in observed.target_groups])
            observed = inv.scope(source, svc_names, tg_names, resolved)
        # what was made for this source under other names is kept (adopt.py); a first pass tells
        # _prepare which target groups to load, the second also sees the hydrated listeners/rules
        wanted = Desired(source, services, target_groups)
        # an old service of this source kept serving until its replacement is ready (plan.py) is the
        # one thing that waits for associations Lattice is still creating: only then are they re-read
        replacing = sum(1 for rec in observed.services.values() if self._mine(source, rec)) > len(services)
        await self._prepare(source, observed, adopt(wanted, observed)[0].target_groups, takeover, replacing)
        observed = inv.scope(source, svc_names, tg_names, resolved)
        desired, renames = adopt(wanted, observed)
        the_plan = plan(desired, observed)
        if preview is not None:  # plan_source: what would run, and nothing runs
            problems = [*the_plan.errors, *the_plan.pending, *the_plan.waiting]
            preview.append(SourcePlan(source, wanted, desired, observed, renames, the_plan, problems, imports))
            return
        if renames.target_groups:
            self._adopted_tgs[source] = dict(renames.target_groups)
        else:
            self._adopted_tgs.pop(source, None)
        if renames:
            log.info("adopting Lattice resources made for this source", source=source.key,
                     services=dict(renames.services), target_groups=dict(renames.target_groups))
        before = {rec.certificate_arn for rec in observed.services.values() if self._mine(source, rec)}
        await self._run(the_plan, result)
        if self.importer is not None:
            # Certificates this apply stopped using go once no service uses them any more.
            self.importer.release(before - {s.certificate_arn for s in services}, source)
            in_use = {rec.certificate_arn for rec in inv.services.values() if rec.certificate_arn}
            for arn in await self.importer.collect(in_use, source):
                result.in_progress.append(f"certificate {arn} is still in use; deleting it once it is not")
        for s in services:
            home = renames.services.get(s.name, s.name)
            rec = inv.services.get(the_plan.serving.get(home, home))
            if rec is not None and self._mine(source, rec):
                result.services[s.name] = ServiceState(
                    rec.name, rec.id, rec.arn, rec.dns_name, rec.status,
                    {a.service_network_name: a.status for a in (rec.associations or {}).values()})
                if rec.status in IN_PROGRESS:
                    result.in_progress.append(f"service {s.name} is {rec.status}")
                for a in (rec.associations or {}).values():
                    # (one Lattice is still creating is settling, not in progress: see plan.associations)
                    if a.status == "DELETE_IN_PROGRESS":
                        result.in_progress.append(
                            f"association of {s.name} with {a.service_network_name} is {a.status}")
        for t in target_groups:
            tg = inv.target_groups.get(renames.target_groups.get(t.name, t.name))
            if tg is not None and self._mine(source, tg):
                result.target_groups[t.name] = tg.arn
                if tg.status in IN_PROGRESS:
                    result.in_progress.append(f"target group {t.name} is {tg.status}")
        result.in_progress = list(dict.fromkeys(result.in_progress))

    async def _import_certificates(self, services: tuple[DesiredService, ...], held: list[str],
                                   result: SyncResult, preview: list[str] | None = None) -> tuple[DesiredService, ...]:
        """certificate_arn from the listener Secret (imported into ACM) where no TLS option names one.
        `preview`: import nothing; name the Secrets that would be imported in it."""
        out = []
        for s in services:
            cert = s.certificate
            if cert is not None and not s.certificate_arn:
                if self.importer is None:
                    result.errors.append(OpError(("certificate", cert.source.key), "ImportCertificate",
                                                 "AcmUnavailable", "no ACM client: set LATTICEGW_ACM_ENDPOINT "
                                                 "(with LATTICE_ENDPOINT) to import listener certificates"))
                elif preview is not None:
                    arn, imports = await self.importer.planned(cert)
                    if imports:
                        preview.append(cert.source.key)
                    s = replace(s, certificate_arn=arn or f"imported:{cert.source.key}")
                else:
                    s = replace(s, certificate_arn=await self.importer.ensure(cert, held))
            out.append(s)
        return tuple(out)

    async def _discover_certificates(self, services: tuple[DesiredService, ...],
                                     result: SyncResult) -> tuple[DesiredService, ...]:
        """Fill certificate_arn from ACM for custom domains on HTTPS listeners that name none."""
        out = []
        for s in services:
            if s.custom_domain_name and not s.certificate_arn and s.certificate is None and any(
                    lst.protocol == "HTTPS" for lst in s.listeners):
                arn = await self.certificates.find(s.custom_domain_name)  # type: ignore[union-attr]
                if arn is not None:
                    s = replace(s, certificate_arn=arn)
            out.append(s)
        return tuple(out)

    async def _gather(self, aws: list[Any]) -> list[Any]:
        sem = asyncio.Semaphore(self.concurrency)

        async def one(aw: Any) -> Any:
            async with sem:
                return await aw

        return await asyncio.gather(*(one(a) for a in aws))

    def _mine(self, source: Source, rec: Any) -> bool:
        """Ours and made for `source` (or naming no source); see plan.py on ownership."""
        if not self.inventory.owned(rec.managed_by):
            return False
        named = service_source(rec.tags) if isinstance(rec, ServiceRec) else target_group_source(rec.tags)
        return named is None or named == source

    async def _prepare(self, source: Source, observed: Any, target_groups: tuple[TargetGroup, ...],
                       takeover: set[str], replacing: bool = False) -> None:
        """Load what plan needs and the inventory does not have yet, and re-read transitional states
        (associations Lattice is still creating only while `replacing`: nothing else waits for them)."""
        inv = self.inventory
        work: list[Any] = []
        for rec in observed.services.values():
            mine = self._mine(source, rec) or (rec.managed_by is not None and rec.managed_by in takeover
                                               and not inv.owned(rec.managed_by))
            if not mine:
                continue
            if not rec.hydrated:
                work.append(inv.hydrate_service(rec))
                continue
            if rec.status in IN_PROGRESS:
                work.append(inv.reread("GetService", ("svc", rec.name), serviceIdentifier=rec.id))
            for a in (rec.associations or {}).values():
                if a.status == "DELETE_IN_PROGRESS" or (replacing and a.status in IN_PROGRESS):
                    work.append(inv.reread("GetServiceNetworkServiceAssociation",
                                           ("snsa", f"{rec.name}/{a.service_network_name}"),
                                           serviceNetworkServiceAssociationIdentifier=a.id))
        desired_tgs = {t.name for t in target_groups}
        for rec in observed.target_groups.values():
            mine = self._mine(source, rec) or (rec.managed_by is not None and rec.managed_by in takeover
                                               and not inv.owned(rec.managed_by))
            if not mine:
                continue
            if rec.status in IN_PROGRESS or (rec.config is None and rec.name in desired_tgs):
                work.append(self._reread_tg(rec))
            if rec.targets is None and rec.name in desired_tgs:
                work.append(inv.load_targets(rec))
        if work:
            await self._gather(work)

    async def _reread_tg(self, rec: TargetGroupRec) -> None:
        await self.inventory.reread("GetTargetGroup", ("tg", rec.name), targetGroupIdentifier=rec.id)

    async def _run(self, the_plan: Plan, result: SyncResult) -> ApplyOutcome:
        result.conflicts.extend(the_plan.conflicts)
        result.in_progress.extend(the_plan.pending)
        result.waiting.extend(the_plan.waiting)
        result.errors.extend(OpError(("plan", ""), "", "Invalid", e) for e in the_plan.errors)
        out = await Applier(self.client, self.inventory, self.concurrency).run(the_plan.operations)
        result.in_progress.extend(out.in_progress)
        result.in_progress.extend(f"{op.describe()}: waiting for a previous step" for op in out.skipped)
        result.errors.extend(out.errors)
        result.operations.extend(op.describe() for op in out.done)
        if out.retry_after is not None:
            result.retry_after = out.retry_after if result.retry_after is None else max(result.retry_after,
                                                                                        out.retry_after)
        return out

    # -- targets fast path ---------------------------------------------------------------------------
    async def sync_targets(self, tg: TargetGroup) -> SyncResult:
        """Register/deregister only the difference for one target group we own (EndpointSlice change).

        Makes no call when the inventory already has exactly these targets. A TG that does not exist
        yet (or is not ours) is reported in progress/conflict: the route's reconcile creates it.
        """
        result = SyncResult(tg.source)
        async with self._lock(tg.source):
            with record_calls() as calls:
                try:
                    asked = tg.name
                    rec = self.inventory.target_groups.get(tg.name)
                    if rec is None:  # made for this source under another name? (adopt.py)
                        _, renames = adopt(Desired(tg.source, (), (tg,)),
                                           self.inventory.scope(tg.source, (), (tg.name,)))
                        if tg.name in renames.target_groups:
                            tg = replace(tg, name=renames.target_groups[tg.name])
                            rec = self.inventory.target_groups.get(tg.name)
                    if rec is None:
                        result.in_progress.append(f"target group {tg.name} does not exist yet")
                    elif not self._mine(tg.source, rec):
                        result.conflicts.append(PlanConflict("target_group", tg.name, rec.managed_by,
                                                             f"target group {tg.name} is not ours"))
                    else:
                        if rec.targets is None:
                            await self.inventory.load_targets(rec)
                        if rec.status in IN_PROGRESS:
                            await self._reread_tg(rec)
                        observed = replace(self.inventory.scope(tg.source, (), (tg.name,)), services={},
                                           target_groups={tg.name: rec})
                        full = plan(Desired(tg.source, (), (tg,)), observed)
                        ops = tuple(op for op in full.operations if op.api in ("RegisterTargets", "DeregisterTargets"))
                        await self._run(Plan(ops, full.conflicts, full.pending), result)
                        result.target_groups[asked] = rec.arn
                except RetryLater as exc:
                    result.retry_after = exc.retry_after
                    result.in_progress.append(f"{exc.operation}: {exc.code}")
                except LatticeError as exc:
                    result.errors.append(_error(("tg", tg.name), exc.operation, exc))
            result.calls = calls
        return result

    def target_group_name(self, desired_name: str) -> str:
        """The Lattice name of a desired target group: another one when an existing target group
        made for its source was adopted (adopt.py), as the source's last apply found."""
        for renames in self._adopted_tgs.values():
            if desired_name in renames:
                return renames[desired_name]
        return desired_name

    async def target_health(self, tg_name: str) -> dict[tuple[str, int | None], str] | None:
        """Lattice's status of every target in one of our target groups ((id, port) -> status), from one
        paginated ListTargets; None when the target group does not exist (yet)."""
        rec = self.inventory.target_groups.get(self.target_group_name(tg_name))
        if rec is None:
            return None
        try:
            items = await self.client.paginate("ListTargets", targetGroupIdentifier=rec.id)
        except NotFound:
            return None
        return {(t["id"], t.get("port")): t.get("status", "") for t in items}

    # -- service networks ------------------------------------------------------------------------------
    # `dry_run` (latticegw diff): the same steps, reads only; `NetworkResult.planned` lists the writes.
    async def ensure_service_network(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        return await self.networks.ensure(sn, dry_run=dry_run)

    async def remove_service_network_auth(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        """IAMAuthPolicy deleted/detached from a Gateway: authType NONE, then DeleteAuthPolicy."""
        return await self.networks.remove_auth(sn, dry_run=dry_run)

    async def delete_service_network(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        return await self.networks.delete(sn, dry_run=dry_run)
