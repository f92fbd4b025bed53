"""ServiceNetwork (application-networking.k8s.aws): a service network we create and own.

Created while the object exists (an existing one of that name carrying our ManagedBy
is ours too; an untagged one is used but never adopted, so never deleted); deleted
with it, through our finalizer, once Lattice lets us: a service
network that still has associations cannot be deleted, so the object reports
Programmed=False/DeleteBlocked and we look again shortly. Deletion needs no
model: the object's name is the service network's name.
"""

from __future__ import annotations

from controller.kube import keys
from controller.reconcile import Result, TemporaryError
from controller.reconcilers import scope
from controller.reconcilers.context import Context, describe_errors, now_rfc3339
from controller.reconcilers.finalizers import being_deleted, held
from controller.reconcilers.status_merge import conditions_status
from controller.reconcilers.writes import Intent, decide
from translate.model import ServiceNetwork, Source
from translate.status.conditions import PROGRAMMED, R_PENDING, R_PROGRAMMED, false, true

DELETE_BLOCKED = "DeleteBlocked"


class ServiceNetworkReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        source = Source("ServiceNetwork", "", k.name)
        obj = self.ctx.get("ServiceNetwork", "", k.name)
        if obj is None:
            return Result()
        sync = await self.ctx.lattice()
        generation = (obj.get("metadata") or {}).get("generation")

        if being_deleted(obj):
            if not held(obj):
                return Result()
            result = await sync.delete_service_network(ServiceNetwork(k.name, (source,), managed=True))
            if not (result.in_progress or result.errors or result.conflicts):
                await self.ctx.write(obj, decide(obj, Intent(finalizer=False)))
                return Result()
            blocked = "; ".join(result.in_progress + [c.message for c in result.conflicts]) or describe_errors(
                result.errors)
            await self.ctx.write(obj, decide(obj, Intent(status=conditions_status(
                obj.get("status"), [false(PROGRAMMED, DELETE_BLOCKED, blocked, generation)], now_rfc3339(),
                generation))))
            if result.errors:
                raise TemporaryError(describe_errors(result.errors), retry_after=result.retry_after)
            return Result(requeue_after=result.requeue_after or 10.0)

        translation = self.ctx.translate(scope.service_network_scope(self.ctx.view, obj))
        outcome = translation.outcome("ServiceNetwork", "", k.name)
        wanted = [sn for sn in translation.service_networks if source in sn.sources]
        conditions = list(outcome.conditions) if outcome else []
        requeue_after = None
        if wanted:
            obj = await self.ctx.write(obj, decide(obj, Intent(finalizer=True)))  # before the first AWS call
            result = await sync.ensure_service_network(wanted[0])
            if result.errors:
                programmed = false(PROGRAMMED, "ReconcileError", describe_errors(result.errors), generation)
            elif result.conflicts:
                programmed = false(PROGRAMMED, "ReconcileError", "; ".join(c.message for c in result.conflicts),
                                   generation)
            elif result.in_progress or not result.arn:
                programmed = false(PROGRAMMED, R_PENDING, "; ".join(result.in_progress) or "being created",
                                   generation)
                requeue_after = result.requeue_after or 2.0
            else:
                note = "" if result.owned else (
                    " (found without an owner tag: used as it is, never deleted by latticegw; tag it with our "
                    "ManagedBy to hand it over)")
                programmed = true(PROGRAMMED, R_PROGRAMMED, f"aws-service-network-arn: {result.arn}{note}", generation)
            conditions = [c for c in conditions if c.type != PROGRAMMED] + [programmed]
        new_status = conditions_status(obj.get("status"), conditions, now_rfc3339(), generation)
        await self.ctx.write(obj, decide(obj, Intent(status=new_status)))
        if wanted and result.errors:
            raise TemporaryError(describe_errors(result.errors), retry_after=result.retry_after)
        return Result(requeue_after=requeue_after)
