"""Fenced writes of an object's status and metadata for reconcilers.

`StatusWriter.patch_status(obj, status)` sends a JSON merge patch to the
object's `/status` subresource, carrying the resourceVersion of the object as
read (when given) so a stale write gets 409 Conflict instead of clobbering
someone else's entries -- route `status.parents[]` is shared between
controllers, so read-modify-write from the cached object and keep other
controllers' entries. Every write first checks the fence and bounds its
timeout by the fence, so nothing is written once leadership may be gone.

`StatusWriter.patch_metadata(obj, metadata, resource_version)` merge-patches the
object's `metadata` (our finalizer, our output annotations), with the given
resourceVersion as a precondition when one is given. What a reconcile writes is
decided in `controller.reconcilers.writes`.

Our own status writes come back as watch events; `controller.handlers.relevant`
ignores status-only changes, so they enqueue nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.kube.client import MERGE_PATCH, KubeClient
from controller.kube.discovery import Resource
from controller.leader.fence import Fence, current_fence


class StatusWriter:
    def __init__(self, kube: KubeClient, resources: Mapping[str, Resource]) -> None:
        self.kube = kube
        self.resources = resources  # kind -> Resource, kept current by the manager

    def path(self, obj: Mapping[str, Any]) -> str:
        res = self.resources[obj["kind"]]
        meta = obj["metadata"]
        base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
        ns = f"/namespaces/{meta['namespace']}" if res.namespaced else ""
        return f"{base}{ns}/{res.plural}/{meta['name']}"

    async def patch_status(
        self,
        obj: Mapping[str, Any],
        status: Mapping[str, Any],
        *,
        precondition: bool = True,
        fence: Fence | None = None,
        timeout: float = 10.0,
    ) -> dict:
        """Merge-patch `status` into `obj`'s status. Returns the object as written."""
        fence = fence or current_fence()
        body: dict[str, Any] = {"status": dict(status)}
        if precondition and obj.get("metadata", {}).get("resourceVersion"):
            body["metadata"] = {"resourceVersion": obj["metadata"]["resourceVersion"]}
        return await self.kube.request(
            "PATCH", self.path(obj) + "/status", body=body, content_type=MERGE_PATCH, timeout=fence.bounded(timeout)
        )

    async def patch_metadata(
        self,
        obj: Mapping[str, Any],
        metadata: Mapping[str, Any],
        *,
        resource_version: str | None = None,
        fence: Fence | None = None,
        timeout: float = 10.0,
    ) -> dict:
        """Merge-patch `metadata` into `obj` (with `resource_version` as a precondition). Returns the object as written."""
        fence = fence or current_fence()
        body: dict[str, Any] = {"metadata": dict(metadata)}
        if resource_version:
            body["metadata"]["resourceVersion"] = resource_version
        return await self.kube.request(
            "PATCH", self.path(obj), body=body, content_type=MERGE_PATCH, timeout=fence.bounded(timeout)
        )
