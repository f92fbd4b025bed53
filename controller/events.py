"""Kubernetes Events (events.k8s.io/v1) on the objects users own.

`EventRecorder.emit(obj, type, reason, note)` never awaits: it records the
event and a background task writes it, so a reconcile is never slowed or failed
by an event. Repeats of the same (object, type, reason, note) within
`dedupe_window` seconds are one Event whose `series.count` grows, written as
client-go's events broadcaster writes it: the first occurrence is created, the
second turns it into a series (count 2), and later repeats only raise the count
in memory; that count is written at most once per `series_refresh` seconds (and
once more when the repeats stop), so a key failing and retrying in a tight loop
costs one write a minute, not one per retry. Writes are fenced: a replica that is
not the leader drops its pending events rather than write.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from controller.kube.client import MERGE_PATCH, KubeClient, KubeError
from controller.leader.fence import Fence, LostLeadership, current_fence
from controller.leader.lease import micro_time

log = structlog.get_logger("latticegw.events")


@dataclass(slots=True)
class _Series:
    """One Event as we wrote it, and how often it happened since."""

    event: dict
    fence: Fence
    first: float  # monotonic time of the first occurrence
    count: int = 1
    written: int = 0  # the count the API server has
    last_write: float = 0.0
    queued: bool = False
    timer: asyncio.TimerHandle | None = None


class EventRecorder:
    def __init__(self, kube: KubeClient, *, controller: str, instance: str, dedupe_window: float = 600.0,
                 series_refresh: float = 60.0) -> None:
        self.kube = kube
        self.controller = controller
        self.instance = instance
        self.dedupe_window = dedupe_window
        self.series_refresh = series_refresh
        self._series: dict[str, _Series] = {}
        self._pending: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._task: asyncio.Task | None = None
        self.written = 0  # API requests made (creates and series updates)

    def emit(self, obj: Mapping[str, Any], type_: str, reason: str, note: str, action: str = "Reconcile") -> None:
        try:
            fence = current_fence()
        except LostLeadership:
            return
        meta = obj.get("metadata") or {}
        ident = hashlib.sha256(f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}/{type_}/{reason}/{note}".encode()).hexdigest()[:16]
        now = time.monotonic()
        if len(self._series) > 10_000:  # bound the dedupe memory: forget series past their window
            self._series = {k: v for k, v in self._series.items()
                            if now - v.first <= self.dedupe_window or v.queued or v.timer}
        series = self._series.get(ident)
        if series is None or now - series.first > self.dedupe_window:
            event = self._event(obj, meta, type_, reason, note, action)
            self._series[ident] = _Series(event, fence, now)
            self._enqueue(ident)
            return
        series.count += 1
        series.fence = fence
        series.event["series"] = {"count": series.count, "lastObservedTime": micro_time()}
        due = series.last_write + self.series_refresh
        if series.written == 1 or now >= due:
            self._enqueue(ident)  # the second occurrence makes it a series at once, like client-go
        elif series.timer is None:
            series.timer = asyncio.get_running_loop().call_later(due - now, self._refresh, ident)

    def _event(self, obj, meta, type_: str, reason: str, note: str, action: str) -> dict:
        # Named like client-go's: the object's name and a timestamp, unique per series.
        name = f"{meta.get('name', 'obj')}.{time.time_ns():x}"
        return {
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

    def _refresh(self, ident: str) -> None:
        series = self._series.get(ident)
        if series is not None:
            series.timer = None
            if series.count > series.written:
                self._enqueue(ident)

    def _enqueue(self, ident: str) -> None:
        series = self._series[ident]
        if series.queued:
            return  # the queued write will carry the latest count
        try:
            self._pending.put_nowait(ident)
        except asyncio.QueueFull:
            log.warning("event dropped: recorder backlog full", reason=series.event["reason"])
            return
        series.queued = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="event-recorder")

    async def _drain(self) -> None:
        while not self._pending.empty():
            ident = self._pending.get_nowait()
            series = self._series.get(ident)
            if series is None:
                continue
            series.queued = False
            fence = series.fence
            if not fence.valid() or series.count <= series.written:
                continue
            event = series.event
            count = series.count
            base = f"/apis/events.k8s.io/v1/namespaces/{event['metadata']['namespace']}/events"
            try:
                if series.written:
                    try:
                        await self.kube.request("PATCH", f"{base}/{event['metadata']['name']}",
                                                body={"series": event["series"]}, content_type=MERGE_PATCH,
                                                timeout=fence.bounded(5.0))
                    except KubeError as exc:
                        if not exc.not_found:
                            raise
                        await self.kube.request("POST", base, body=event, timeout=fence.bounded(5.0))
                else:
                    await self.kube.request("POST", base, body=event, timeout=fence.bounded(5.0))
                series.written = count
                series.last_write = time.monotonic()
                self.written += 1
            except (KubeError, LostLeadership, asyncio.TimeoutError, OSError) as exc:
                log.info("event write failed", reason=event["reason"], error=str(exc))

    async def close(self) -> None:
        """Write what is still pending (counts held back by the refresh interval too)."""
        for ident, series in list(self._series.items()):
            if series.timer is not None:
                series.timer.cancel()
                series.timer = None
            if series.count > series.written and series.written:
                self._enqueue(ident)
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
