"""Reconcilers for kinds whose only output is their own `status.conditions`.

GatewayClass (Accepted, plus `status.supportedFeatures`) and the four policy kinds (Accepted). A policy's effect
on Lattice is applied by the reconcile of the object it targets (the event
handlers enqueue that object whenever the policy changes), so here we only tell
the user whether the policy was accepted. Events: a Warning when a policy is
rejected, so `kubectl describe` says why. A deleting policy the AWS controller
finalized is let go once its targets' reconciles have undone its effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from controller.kube import keys
from controller.kube.snapshot import SnapshotView
from controller.reconcile import Registry, Result
from controller.reconcilers import scope
from controller.reconcilers.context import Context, now_rfc3339
from controller.reconcilers.finalizers import being_deleted, releasable
from controller.reconcilers.status_merge import conditions_status
from controller.reconcilers.writes import Intent, decide

ScopeFn = Callable[[SnapshotView, Mapping[str, Any]], list]


class ConditionsReconciler:
    def __init__(self, ctx: Context, scope_fn: ScopeFn, registry: Registry | None = None) -> None:
        self.ctx = ctx
        self.scope_fn = scope_fn
        self.registry = registry

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        obj = self.ctx.get(k.kind, k.namespace, k.name)
        if obj is not None and releasable(obj):
            await self._undo_then_release(key, obj)
            return Result()
        if obj is None or being_deleted(obj):
            return Result()
        translation = self.ctx.translate(self.scope_fn(self.ctx.view, obj))
        outcome = translation.outcome(k.kind, k.namespace, k.name)
        if outcome is None:  # e.g. a GatewayClass of another controller: never touch it
            return Result()
        features = outcome.supported_features if k.kind == "GatewayClass" else None
        new_status = conditions_status(obj.get("status"), outcome.conditions, now_rfc3339(), outcome.generation,
                                       features)
        await self.ctx.write(obj, decide(obj, Intent(status=new_status)))
        if new_status is not None:
            for cond in outcome.conditions:
                if cond.type == "Accepted" and cond.status == "False":
                    self.ctx.event(obj, "Warning", cond.reason, cond.message or f"{k.kind} not accepted")
            for ev in outcome.events:
                self.ctx.event(obj, ev.type, ev.reason, ev.message)
        return Result()


    async def _undo_then_release(self, key: str, obj: Mapping[str, Any]) -> None:
        """A deleting policy held by the AWS controller's finalizer: its effect on Lattice (an auth
        policy, an access log subscription, a VPC association) is undone by the reconcile of what
        it targets, which no longer sees it (translate ignores deleting policies). Run those
        reconciles here and remove the finalizer once they succeeded; a failure raises and the key
        runs again. A target that is gone has nothing left to undo."""
        from controller.handlers import affected_keys  # here: handlers imports this package's finalizers

        for target in sorted(affected_keys(obj["kind"], obj, None, self.ctx.view) - {key}):
            reconciler = self.registry.get(keys.kind_of(target)) if self.registry is not None else None
            if reconciler is not None:
                await reconciler.reconcile(target)
        await self.ctx.write(obj, decide(obj, Intent(finalizer=False)))


def gateway_class(ctx: Context) -> ConditionsReconciler:
    return ConditionsReconciler(ctx, scope.gateway_class_scope)


def policy(ctx: Context, registry: Registry | None = None) -> ConditionsReconciler:
    """`registry`: the reconcilers of the policies' targets (a deleting policy runs them)."""
    return ConditionsReconciler(ctx, scope.policy_scope, registry)
