"""Gateway: find (or, when configured, create) its service network; report status.

A Gateway maps to the Lattice service network of the same name (or to the
default service network in override mode). Like the AWS controller we never
create a service network for a Gateway; service networks are created only from
a ServiceNetwork object or DEFAULT_SERVICE_NETWORK, and those arrive here as
`managed` entries of the model. The Gateway still owns the pieces it asks for
through policies: the VPC association (VpcAssociationPolicy), the auth policy
(IAMAuthPolicy) and access log subscriptions (AccessLogPolicy).

`Programmed` is the one condition translate cannot know: it is True with the
service network's ARN once Lattice has it, False/Pending otherwise (and we look
again later, since someone may create it by hand). Like a route, a Gateway records
a fully successful pass (`controller.progress`) and skips AWS while nothing changed,
until its drift check is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller import progress
from controller.annotations import AUTH_POLICY_APPLIED
from controller.kube import keys
from controller.reconcile import Result, TemporaryError
from controller.reconcilers import scope
from controller.reconcilers.context import Context, describe_errors, now_rfc3339
from controller.reconcilers.drift import DriftClock
from controller.reconcilers.finalizers import being_deleted, releasable
from controller.reconcilers.status_merge import gateway_status
from controller.reconcilers.writes import Intent, decide
from translate.model import Source
from translate.status.conditions import PROGRAMMED, R_INVALID, R_PENDING, R_PROGRAMMED, false, true

NOT_FOUND_RECHECK = 60.0


def _auth_applied(gw: Mapping[str, Any]) -> set[str]:
    """The networks whose auth policy came from an IAMAuthPolicy on this Gateway (annotations.py)."""
    value = ((gw.get("metadata") or {}).get("annotations") or {}).get(AUTH_POLICY_APPLIED) or ""
    return {n for n in value.split(",") if n}


class GatewayReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.drift = DriftClock(lambda: ctx.runtime.config.resync_seconds)

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        gw = self.ctx.get("Gateway", k.namespace, k.name)
        if gw is None or being_deleted(gw):
            # A Gateway owns no Lattice resource of its own; its routes detach by themselves. The AWS
            # controller's finalizer (if it left one) goes at once.
            if gw is not None and releasable(gw):
                await self.ctx.write(gw, decide(gw, Intent(finalizer=False)))
            return Result()
        translation = self.ctx.translate(scope.gateway_scope(self.ctx.view, gw))
        outcome = translation.outcome("Gateway", k.namespace, k.name)
        if outcome is None:
            return Result()  # not a Gateway of our class
        source = Source("Gateway", k.namespace, k.name)
        networks = [sn for sn in translation.service_networks if source in sn.sources]
        desired = progress.desired_fingerprint(outcome.to_dict(), [sn.to_dict() for sn in networks])
        if not self.drift.due(source) and progress.is_current(gw, desired):
            return Result()  # this very model was applied and reported (perhaps by an earlier leader)
        sync = await self.ctx.lattice()

        programmed = None
        requeue_after = None
        errors: list = []  # lattice.apply.OpError
        accepted = outcome.condition("Accepted")
        if accepted is not None and accepted.status != "True":
            programmed = false(PROGRAMMED, R_INVALID, "the Gateway is not accepted", outcome.generation)
        elif not networks:
            programmed = false(PROGRAMMED, R_PENDING, "no service network for this Gateway", outcome.generation)
        applied = _auth_applied(gw)
        for sn in networks if programmed is None else ():
            result = await sync.ensure_service_network(sn)
            if result.found and not sn.managed:
                if sn.auth_policy is not None:
                    if not result.errors:
                        applied.add(sn.name)
                elif sn.name in applied:
                    # its IAMAuthPolicy went away: authType NONE, then delete the policy we put
                    dropped = await sync.remove_service_network_auth(sn)
                    result.errors += dropped.errors
                    result.in_progress += dropped.in_progress
                    if dropped.retry_after is not None:
                        result.retry_after = dropped.retry_after
                    if not (dropped.errors or dropped.in_progress):
                        applied.discard(sn.name)
            if not result.found and all(e.code == "NotFound" for e in result.errors):
                # Nobody created it yet (Gateways only look service networks up): look again later.
                programmed = false(PROGRAMMED, R_PENDING,
                                   f"VPC Lattice service network {sn.name} not found", outcome.generation)
                requeue_after = NOT_FOUND_RECHECK
                continue
            errors += result.errors
            if result.errors:
                programmed = false(PROGRAMMED, R_PENDING, describe_errors(result.errors), outcome.generation)
            elif result.conflicts:
                programmed = false(PROGRAMMED, R_INVALID, "; ".join(c.message for c in result.conflicts),
                                   outcome.generation)
            elif result.in_progress:
                programmed = false(PROGRAMMED, R_PENDING,
                                   f"VPC Lattice service network {sn.name} is being set up", outcome.generation)
                requeue_after = result.requeue_after
            else:
                programmed = true(PROGRAMMED, R_PROGRAMMED, f"aws-service-network-arn: {result.arn}",
                                  outcome.generation)

        conditions = tuple(programmed if (c.type == PROGRAMMED and programmed is not None) else c
                           for c in outcome.conditions)
        if programmed is not None and all(c.type != PROGRAMMED for c in conditions):
            conditions += (programmed,)
        new_status = gateway_status(gw.get("status"), conditions, outcome.listeners, now_rfc3339(),
                                    outcome.generation, outcome.hostnames)
        done = programmed is not None and programmed.status == "True" and not errors and requeue_after is None
        record = progress.next_record(gw, desired, done=done, verified=True)
        await self.ctx.write(gw, decide(gw, Intent(annotations={progress.ANNOTATION: record,
                                                                AUTH_POLICY_APPLIED: ",".join(sorted(applied)) or None},
                                                   status=new_status)))
        self.drift.verified(source)
        if new_status is not None:  # events describe changes; a no-op pass writes nothing
            if programmed is not None and programmed.status != "True":
                self.ctx.event(gw, "Warning", programmed.reason, programmed.message)
            for ev in outcome.events:
                self.ctx.event(gw, ev.type, ev.reason, ev.message)
        if errors:
            raise TemporaryError(describe_errors(errors))
        return Result(requeue_after=requeue_after)
