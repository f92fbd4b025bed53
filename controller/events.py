"""Kubernetes Events (events.k8s.io/v1) on the objects users own.

`EventRecorder.emit(obj, type, reason, note)` never awaits: it records the
event and a background task writes it, so a reconcile is never slowed or failed
by an event. Repeats of the same (object, type, reason, note) within
`dedupe_window` seconds are folded into one Event whose `series.count` grows,
as client-go's event broadcaster does. Writes are fenced: a replica that is not
the leader drops its pending events rather than write.
"""

from __future__ import annotations

import asyncio

import hashlib
import time
from collections.abc import Mapping
from typing import Any

import structlog

from controller.leader.fence import Fence, LostLeadership, current_fence
from controller.kube.client import MERGE_PATCH, KubeClient, KubeError
from controller.leader.lease import micro_time

log = structlog.get_logger("latticegw.events")


class EventRecorder:
    def __init__(self, kube: KubeClient, *, controller: str, instance: str, dedupe_window: float = 600.0) -> None:
        self.kube = kube
        self.controller = controller
        self.instance = instance
        self.dedupe_window = dedupe_window
        self._seen: dict[str, tuple[float, int, str]] = {}  # id -> (first mono, count, event name)
        self._pending: asyncio.Queue[tuple[dict, Fence]] = asyncio.Queue(maxsize=1000)
        self._task: asyncio.Task | None = None
        self.written = 0

    def emit(self, obj: Mapping[str, Any], type_: str, reason: str, note: str, action: str = "Reconcile") -> None:
        try:
            fence = current_fence()
        except LostLeadership:
            return
        meta = obj.get("metadata") or {}
        ident = hashlib.sha256(f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}/{type_}/{reason}/{note}".encode()).hexdigest()[:16]
        now = time.monotonic()
        if len(self._seen) > 10_000:  # bound the dedupe memory: forget series past their window
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] <= self.dedupe_window}
        first, count, name = self._seen.get(ident, (now, 0, ""))
        if now - first > self.dedupe_window:
            first, count, name = now, 0, ""
        count += 1
        if not name:
            name = f"{meta.get('name', 'obj')}.{ident}"
        self._seen[ident] = (first, count, name)
        event = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
            "eventTime": micro_time(),
            "reportingController": self.controller,
            "reportingInstance": self.instance,
            "action": action,
            "reason": reason,
            "note": note[:1024],
            "type": type_,
            "regarding": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
        }
        if count > 1:
            event["series"] = {"count": count, "lastObservedTime": micro_time()}
        try:
            self._pending.put_nowait((event, fence))
        except asyncio.QueueFull:
            log.warning("event dropped: recorder backlog full", reason=reason)
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="event-recorder")

    async def _drain(self) -> None:
        while not self._pending.empty():
            event, fence = self._pending.get_nowait()
            if not fence.valid():
                continue
            ns = event["metadata"]["namespace"]
            base = f"/apis/events.k8s.io/v1/namespaces/{ns}/events"
            try:
                if "series" in event:
                    try:
                        await self.kube.request("PATCH", f"{base}/{event['metadata']['name']}",
                                                body={"series": event["series"]}, content_type=MERGE_PATCH,
                                                timeout=fence.bounded(5.0))
                        self.written += 1
                        continue
                    except KubeError as exc:
                        if not exc.not_found:
                            raise
                        event.pop("series")
                await self.kube.request("POST", base, body=event, timeout=fence.bounded(5.0))
                self.written += 1
            except (KubeError, LostLeadership) as exc:
                log.info("event write failed", reason=event["reason"], error=str(exc))

    async def close(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)



