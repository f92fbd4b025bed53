"""ServiceImport and Service: objects we only let go of.

The AWS controller puts a finalizer on every ServiceImport (and its early versions one on Services,
misspelt). Neither kind owns a Lattice resource: a ServiceImport only names target groups another
cluster exports, and a Service's targets leave their target groups through the reconcile of the
routes that use it. So once such an object is being deleted, its finalizer is removed at once
(what the AWS controller does too); nothing else happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.kube import keys
from controller.reconcile import Result
from controller.reconcilers.context import Context
from controller.reconcilers.finalizers import releasable
from controller.reconcilers.writes import Intent, decide


class ReleaseOnly:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def wants(obj: Mapping[str, Any] | None) -> bool:
        """Only deleting objects held by a finalizer we remove need a reconcile (Services are many)."""
        return releasable(obj)

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        obj = self.ctx.get(k.kind, k.namespace, k.name)
        if obj is not None and releasable(obj):
            await self.ctx.write(obj, decide(obj, Intent(finalizer=False)))
        return Result()
