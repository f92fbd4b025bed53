"""Our own list-then-watch loop for one kind, over raw JSON parsed with orjson.

Theory of operation (client-go's reflector, and the kubernetes-asyncio pitfalls
in `reference/python-stack.md`):

1. LIST in pages of `page_size` (a consistent read), swap the result into the
   store (`Cache.replace`, which also reports deletions we missed), remember the
   list's resourceVersion, and set `synced` after the first one.
2. WATCH from that resourceVersion with bookmarks, a random server-side
   `timeoutSeconds` (240-480 s) and a client-side `sock_read` guard (90 s: the
   watch cache sends a bookmark about once a minute, so silence that long
   means a dead connection, not a quiet kind).
3. Every event updates the store and calls `on_change(kind, old, new, initial)`;
   a BOOKMARK only moves the resourceVersion. When the server ends the watch
   (timeout, EOF), re-watch from the last resourceVersion: no relist.
4. 410 Gone (as an HTTP status or an ERROR event) means our resourceVersion fell
   out of etcd's history: relist at once. Any other failure (API server down,
   connection reset, 5xx) waits a jittered exponential backoff (0.8 s -> 30 s,
   reset after 2 minutes of health) and then re-watches from the last
   resourceVersion, which costs nothing if the history still has it.

Resource versions are opaque: we only ever pass them back, never compare them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Callable

import aiohttp
import orjson
import structlog

from controller.kube.cache import Cache
from controller.kube.client import KubeClient, KubeError
from controller.kube.discovery import Resource
from controller.kube.store import project

log = structlog.get_logger("latticegw.informer")

OnChange = Callable[[str, dict | None, dict | None, bool], None]


@contextlib.contextmanager
def gc_paused():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Gone(Exception):
    """The resourceVersion we hold is too old: relist."""


class Informer:
    def __init__(
        self,
        kube: KubeClient,
        resource: Resource,
        cache: Cache,
        on_change: OnChange,
        *,
        metrics=None,
        page_size: int = 500,
        watch_timeout: tuple[int, int] = (240, 480),
        sock_read: float = 90.0,
        backoff_initial: float = 0.8,
        backoff_max: float = 30.0,
        healthy_reset: float = 120.0,
        field_selector: str | None = None,
    ) -> None:
        self.kube = kube
        self.resource = resource
        self.kind = resource.kind
        self.cache = cache
        cache.store(resource.kind, resource.namespaced)
        self.on_change = on_change
        self.metrics = metrics
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.sock_read = sock_read
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_reset = healthy_reset
        # server-side filter (discovery.FIELD_SELECTORS): list and watch see only matching objects
        self.field_selector = field_selector
        self.synced = asyncio.Event()
        self.resource_version: str | None = None
        self.lists = 0
        self.events = 0
        self._failures = 0

    # ----------------------------------------------------------------- LIST
    async def list_all(self) -> tuple[list[dict], str]:
        items: list[dict] = []
        cont: str | None = None
        res = self.resource
        while True:
            query = {"limit": self.page_size, "continue": cont, "fieldSelector": self.field_selector}
            doc = await self.kube.get(res.path, query, timeout=60)
            for obj in doc.get("items") or ():
                items.append(project(obj, res.api_version, res.kind))
            meta = doc.get("metadata") or {}
            cont = meta.get("continue")
            if not cont:
                return items, meta.get("resourceVersion", "")

    async def relist(self, reason: str) -> None:
        # A LIST allocates hundreds of thousands of containers that all survive; the
        # cyclic GC would rescan them again and again as they pile up (up to 3x the
        # parse cost, see python-stack.md; 3.3x measured here with 20,000 slices),
        # and none of them can form a cycle. So the GC waits until the swap is done.
        with gc_paused():
            items, rv = await self.list_all()
            changes = self.cache.replace(self.kind, items)
        initial = not self.synced.is_set()
        self.resource_version = rv
        self.lists += 1
        if self.lists > 1 and self.metrics is not None:
            self.metrics.relists.labels(self.kind, reason).inc()
        for old, new in changes:
            self.on_change(self.kind, old, new, initial)
        self._report_size()
        if initial:
            self.synced.set()
            if self.metrics is not None:
                self.metrics.informer_synced.labels(self.kind).set(1)
            log.info("informer synced", kind=self.kind, objects=len(items), resource_version=rv)
        else:
            log.info("informer relisted", kind=self.kind, reason=reason, changes=len(changes), resource_version=rv)

    def _report_size(self) -> None:
        if self.metrics is not None:
            self.metrics.informer_objects.labels(self.kind).set(len(self.cache.stores[self.kind]))

    # ---------------------------------------------------------------- WATCH
    async def watch_once(self) -> None:
        """One watch request, until the server ends it. Raises Gone or KubeError."""
        res = self.resource
        query = {
            "watch": True,
            "allowWatchBookmarks": True,
            "resourceVersion": self.resource_version,
            "timeoutSeconds": random.randint(*self.watch_timeout),
            "fieldSelector": self.field_selector,
        }
        async with self.kube.stream(res.path, query, sock_read=self.sock_read) as resp:
            content = resp.content
            while True:
                line = await content.readline()
                if not line:
                    return  # the server closed the watch (timeoutSeconds): re-watch
                if line.isspace():
                    continue
                self._dispatch(orjson.loads(line))

    def _dispatch(self, event: dict) -> None:
        typ = event.get("type")
        obj = event.get("object") or {}
        if typ == "ERROR":
            code = obj.get("code")
            if code == 410 or obj.get("reason") in ("Expired", "Gone"):
                raise Gone(obj.get("message", "resource version too old"))
            raise KubeError(int(code or 500), obj.get("reason", "watch error"), obj, "WATCH", self.resource.path)
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if self.metrics is not None:
            self.metrics.watch_events.labels(self.kind, typ or "?").inc()
        if typ == "BOOKMARK":
            if rv:
                self.resource_version = rv
            return
        self.events += 1
        res = self.resource
        project(obj, res.api_version, res.kind)
        if typ in ("ADDED", "MODIFIED"):
            old = self.cache.upsert(self.kind, obj)
            if rv:
                self.resource_version = rv
            self.on_change(self.kind, old, obj, False)
        elif typ == "DELETED":
            old = self.cache.delete(self.kind, obj)
            if rv:
                self.resource_version = rv
            if old is not None:
                self.on_change(self.kind, old, None, False)
        if typ != "MODIFIED":
            self._report_size()

    # ----------------------------------------------------------------- loop
    def _backoff(self) -> float:
        d = min(self.backoff_max, self.backoff_initial * 2 ** min(self._failures, 16))
        self._failures += 1
        return d * (0.5 + random.random() / 2)  # full-ish jitter, never below half

    async def run(self, *, resume: bool = False) -> None:
        """List and watch until cancelled. `resume`: re-watch from the resourceVersion
        already held (after a previous `run` was cancelled) instead of listing first."""
        need_list = not (resume and self.synced.is_set() and self.resource_version)
        reason = "initial" if not self.synced.is_set() else "restart"
        while True:
            started = time.monotonic()
            try:
                if need_list:
                    await self.relist(reason)
                    need_list = False
                await self.watch_once()
                if time.monotonic() - started > self.healthy_reset:
                    self._failures = 0
                continue
            except asyncio.CancelledError:
                raise
            except Gone as exc:
                log.info("watch expired, relisting", kind=self.kind, error=str(exc))
                need_list, reason = True, "gone"
                continue
            except KubeError as exc:
                if exc.gone:
                    need_list, reason = True, "gone"
                    continue
                err = str(exc)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
                err = f"{type(exc).__name__}: {exc}"
            if time.monotonic() - started > self.healthy_reset:
                self._failures = 0
            delay = self._backoff()
            log.info("watch failed, retrying", kind=self.kind, error=err, retry_in=round(delay, 2))
            await asyncio.sleep(delay)
