"""HTTPRoute / GRPCRoute / TLSRoute / ServiceExport: a source's Lattice service and target groups.

A ServiceExport is a route without a service: it owns standalone target groups
that other clusters' routes import, and (like the AWS controller) gets no status.

One reconcile, level-based:

1. Gone, or being deleted, or no longer attached to a Gateway of ours: delete
   everything we own for this route (`sync.apply_source(source, (), ())`), then
   drop our finalizer (with our status entry and output annotations, when the
   route stays). This path needs neither a model nor the GatewayClass, and
   an object whose Lattice resources are already gone finalizes at once.
2. Otherwise translate the route's scoped snapshot, add our finalizer (before
   the first AWS call), and hand the route's slice of the desired model to the
   Lattice sync, which plans against its inventory of what we own and applies
   only the difference (a converged route costs no AWS call at all).
3. Write back what happened: route status and output annotations (the
   DNS name/ARN and the progress record) as `controller.reconcilers.writes`
   decides them -- at most one status patch and one metadata patch after the AWS
   work, none when nothing changed -- and Events for failures and the first success.
   Resources still being created requeue the key after a short delay instead of
   holding a worker. A fully successful pass records what it applied on the route
   (`controller.progress`); a later pass that would apply exactly that again (at start,
   at takeover, after an unrelated change) skips AWS until the route's drift check is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import structlog

from controller import progress
from controller.annotations import LATTICE_DOMAIN as DOMAIN_ANNOTATION
from controller.annotations import LATTICE_SERVICE_ARN as ARN_ANNOTATION
from controller.kube import keys
from controller.reconcile import Result, TemporaryError
from controller.reconcilers import route_events, scope
from controller.reconcilers.context import Context, describe_errors, now_rfc3339
from controller.reconcilers.dns_endpoints import DnsEndpoints
from controller.reconcilers.drift import DriftClock
from controller.reconcilers.finalizers import being_deleted, held
from controller.reconcilers.readiness_gates import ReadinessGates
from controller.reconcilers.status_merge import route_status
from controller.reconcilers.writes import NOTHING, Intent, decide
from translate.model import Outcome, RouteParentStatus, Source
from translate.status.conditions import R_UNSUPPORTED_VALUE, conflicted, not_accepted

log = structlog.get_logger("latticegw.route")

QUOTA_EXCEEDED = "ServiceQuotaExceededException"
# A quota changes when someone raises it, not within seconds: a refused write is not retried at the
# key's fast backoff (5 ms, 10 ms, ...), which re-sent every refused call many times a minute.
QUOTA_RETRY = 300.0


class RouteReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.drift = DriftClock(lambda: ctx.runtime.config.resync_seconds)

    @cached_property
    def dns_endpoints(self) -> DnsEndpoints:
        assert self.ctx.runtime.kube is not None
        return DnsEndpoints(self.ctx.runtime.kube)

    @cached_property
    def readiness_gates(self) -> ReadinessGates:
        assert self.ctx.runtime.kube is not None
        return ReadinessGates(self.ctx.runtime.kube, self.ctx.event)

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        source = Source(k.kind, k.namespace, k.name)
        route = self.ctx.get(k.kind, k.namespace, k.name)
        if route is None:
            # Deleted without our finalizer (e.g. before we ever saw it): collect what we own.
            return await self._clean_up(source, None)
        if being_deleted(route):
            return await self._clean_up(source, route) if held(route) else Result()

        export = k.kind == "ServiceExport"
        scope_fn = scope.service_export_scope if export else scope.route_scope
        translation = self.ctx.translate(scope_fn(self.ctx.view, route))
        outcome = translation.outcome(k.kind, k.namespace, k.name) or Outcome(source)
        services = translation.services_of(source)
        target_groups = translation.target_groups_of(source)
        if not (outcome.parents or (export and target_groups)):
            # Not (or no longer) attached to a Gateway of ours / nothing to export.
            return await self._clean_up(source, route, drop_status=not export)

        lookups = tuple(t for t in translation.target_group_lookups if _used_by(t.name, services))
        desired = _desired_fingerprints(outcome, services, target_groups, lookups)
        refresh = self.drift.due(source)
        if not refresh and progress.is_current(route, *desired):
            # This very model was applied (perhaps by an earlier leader); what depends on Lattice's
            # answers rather than on the model (gated pods' health, ExternalDNS) still moves on.
            await self._publish_dns(route, services, None)
            return _sooner(Result(), await self._sync_readiness_gates(target_groups))
        # Our finalizer goes on before the first AWS call, alone; what follows the AWS work is
        # decided on the object that write returned (see controller.reconcilers.writes).
        finalizer = decide(route, Intent(finalizer=True)) if services or target_groups else NOTHING
        route = await self.ctx.write(route, finalizer)
        sync = await self.ctx.lattice()
        result = await sync.apply_source(source, services, target_groups, lookups, refresh=refresh)
        metrics = self.ctx.runtime.metrics
        if refresh and result.operations and metrics is not None and progress.is_current(route, *desired):
            # A drift check of a converged route that had to write: someone changed Lattice.
            metrics.drift_corrections.labels(k.kind).inc()
        if refresh and not (result.errors or result.in_progress or result.conflicts):
            self.drift.verified(source)  # (also while only waiting for a service network)

        new_status = None
        if not export:
            parents = _with_sync_result(outcome, result)
            new_status = route_status(route.get("status"), parents, self.ctx.tconfig.controller_name, k.namespace,
                                      now_rfc3339(), outcome.generation)
        annotations = _annotations(route, services, result, desired, verified=refresh)
        writes = decide(route, Intent(annotations=annotations, status=new_status))
        # Events are decided on the route as read (its progress record says whether this
        # generation already succeeded), so before the annotations move on.
        self._events(route, outcome, result, status_changed=new_status is not None or export)
        await self.ctx.write(route, writes)
        await self._publish_dns(route, services, result)
        out = _result_of(result)  # (raises on errors: gated pods wait)
        return _sooner(out, await self._sync_readiness_gates(target_groups))

    async def _clean_up(self, source: Source, route: Mapping[str, Any] | None, drop_status: bool = False) -> Result:
        self.drift.forget(source)
        if route is not None:
            self.dns_endpoints.forget(route)
        sync = await self.ctx.lattice()
        result = await sync.apply_source(source, (), (), ())
        if result.errors and route is not None:
            self.ctx.event(route, "Warning", "FailedCleanup", describe_errors(result.errors))
        if not result.converged:
            return _result_of(result)
        if route is not None:
            intent = Intent(finalizer=False)
            if drop_status and not being_deleted(route):
                # No longer ours: our status entries and output annotations go with the finalizer.
                intent = Intent(
                    finalizer=False,
                    annotations={DOMAIN_ANNOTATION: None, ARN_ANNOTATION: None, progress.ANNOTATION: None},
                    status=route_status(route.get("status"), (), self.ctx.tconfig.controller_name,
                                        source.namespace, now_rfc3339(), None),
                )
            await self.ctx.write(route, decide(route, intent))
        return Result()

    async def _sync_readiness_gates(self, target_groups) -> float | None:
        if not target_groups:
            return None
        # The Lattice handle is opened only when a gated pod waits: a converged route (e.g. at a
        # takeover) must not load the inventory just to find nothing to do.
        return await self.readiness_gates.sync(target_groups, self.ctx.view.endpoint_slices, self.ctx.lattice)

    async def _publish_dns(self, route: Mapping[str, Any], services, result) -> None:
        """ExternalDNS: the custom domain as a CNAME of the service's Lattice DNS name, once known
        (from this pass's result, or the route's annotation when the pass skipped AWS)."""
        if not services or not services[0].custom_domain_name:
            return
        if result is None:
            dns_name = ((route.get("metadata") or {}).get("annotations") or {}).get(DOMAIN_ANNOTATION)
        else:
            svc = result.services.get(services[0].name)
            dns_name = svc.dns_name if svc is not None else None
        problem = await self.dns_endpoints.publish(route, services[0].custom_domain_name, dns_name)
        if problem:
            self.ctx.event(route, "Warning", "DNSEndpointConflict", problem)

    def _events(self, route: Mapping[str, Any], outcome: Outcome, result, *, status_changed: bool) -> None:
        for ev in route_events.decide(route, outcome, result, status_changed=status_changed):
            self.ctx.event(route, ev.type, ev.reason, ev.message)


def _desired_fingerprints(outcome: Outcome, services, target_groups, lookups) -> tuple[str, str]:
    """(config, targets): everything a pass applies or reports for this route. Config: the
    parents' translated conditions, its services (with listeners, rules and associations), its
    target groups, and the imported target groups it forwards to. Targets: the targets of its
    target groups."""
    config = progress.desired_fingerprint(
        outcome.to_dict(),
        [s.fingerprint for s in services],
        [t.fingerprint for t in target_groups],
        [(lk.name, lk.arn, dict(lk.tags), lk.vpc_identifier) for lk in lookups],
    )
    return config, progress.desired_fingerprint([t.targets_fingerprint for t in target_groups])


def _annotations(route: Mapping[str, Any], services, result, desired: tuple[str, str], *,
                 verified: bool) -> dict[str, str | None]:
    """The route's output annotations after a pass: the service's DNS name and ARN once known,
    and the progress record (`controller.progress`)."""
    done = not (result.errors or result.in_progress or result.conflicts or result.waiting)
    annotations: dict[str, str | None] = {
        progress.ANNOTATION: progress.next_record(route, *desired, done=done, verified=verified)}
    svc = result.services.get(services[0].name) if services else None
    if svc is not None and svc.arn:
        annotations.update({DOMAIN_ANNOTATION: svc.dns_name or None, ARN_ANNOTATION: svc.arn})
    return annotations


def _result_of(result) -> Result:
    """Errors retry with the key's backoff (at least retryAfter); in-progress work looks again soon;
    waiting for a service network looks again in a while (requeue_after, no backoff)."""
    if result.errors:
        retry_after = result.retry_after
        if any(e.code == QUOTA_EXCEEDED for e in result.errors):
            retry_after = max(retry_after or 0.0, QUOTA_RETRY)
        raise TemporaryError(describe_errors(result.errors), retry_after=retry_after)
    if result.requeue_after is not None:
        return Result(requeue_after=result.requeue_after)
    return Result()


def _sooner(result: Result, recheck: float | None) -> Result:
    """`result`, looking again after `recheck` seconds if that is sooner than it would."""
    if recheck is None or result.requeue or (result.requeue_after is not None and result.requeue_after <= recheck):
        return result
    return Result(requeue_after=recheck)


def _used_by(lookup_name: str, services) -> bool:
    for svc in services:
        for listener in svc.listeners:
            for action in [listener.default_action, *(r.action for r in listener.rules)]:
                for tg in (action.get("forward") or {}).get("targetGroups") or ():
                    if tg.get("targetGroupIdentifier") == lookup_name:
                        return True
    return False


def _with_sync_result(outcome: Outcome, result) -> tuple[RouteParentStatus, ...]:
    """Translate's parent conditions, with Accepted turned False when Lattice said Conflicted, or
    refused a write for a quota (translate checks the quotas it knows; the account's may be lower)."""
    if result.conflicts:
        return conflicted(outcome.parents, "; ".join(c.message for c in result.conflicts))
    quota = [e for e in result.errors if e.code == QUOTA_EXCEEDED]
    if quota:
        return not_accepted(outcome.parents, R_UNSUPPORTED_VALUE, (
            f"Lattice refused it for a quota: {describe_errors(quota)} (raise the quota in Service Quotas, "
            f"or make the route smaller; retried every {QUOTA_RETRY:.0f} s)"))
    return outcome.parents
