"""Reconcilers for kinds whose only output is their own `status.conditions`.

GatewayClass (Accepted) and the four policy kinds (Accepted). A policy's effect
on Lattice is applied by the reconcile of the object it targets (the event
handlers enqueue that object whenever the policy changes), so here we only tell
the user whether the policy was accepted. Events: a Warning when a policy is
rejected, so `kubectl describe` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from controller.kube import keys
from controller.reconcile import Result
from controller.reconcilers import scope
from controller.reconcilers.context import Context, now_rfc3339
from controller.reconcilers.finalizers import being_deleted
from controller.reconcilers.status_merge import conditions_status
from controller.kube.snapshot import SnapshotView

ScopeFn = Callable[[SnapshotView, Mapping[str, Any]], list]


class ConditionsReconciler:
    def __init__(self, ctx: Context, scope_fn: ScopeFn) -> None:
        self.ctx = ctx
        self.scope_fn = scope_fn

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        obj = self.ctx.view.get(k.kind, k.namespace, k.name)
        if obj is None or being_deleted(obj):
            return Result()
        translation = self.ctx.translate(self.scope_fn(self.ctx.view, obj))
        outcome = translation.outcome(k.kind, k.namespace, k.name)
        if outcome is None:  # e.g. a GatewayClass of another controller: never touch it
            return Result()
        new_status = conditions_status(obj.get("status"), outcome.conditions, now_rfc3339(), outcome.generation)
        await self.ctx.write_status(obj, new_status)
        if new_status is not None:
            for cond in outcome.conditions:
                if cond.type == "Accepted" and cond.status == "False":
                    self.ctx.event(obj, "Warning", cond.reason, cond.message or f"{k.kind} not accepted")
            for ev in outcome.events:
                self.ctx.event(obj, ev.type, ev.reason, ev.message)
        return Result()


def gateway_class(ctx: Context) -> ConditionsReconciler:
    return ConditionsReconciler(ctx, scope.gateway_class_scope)


def policy(ctx: Context) -> ConditionsReconciler:
    return ConditionsReconciler(ctx, scope.policy_scope)
