"""The manager: wires informers, queue, leader election, workers, persister and sidecar.

Lifecycle of a replica:

1. Start the sidecar, discover which kinds the API server serves, start one
   informer per kind (every replica: standbys keep warm caches), and re-run
   discovery every `discovery_interval` to pick up CRDs installed later.
2. Campaign for the Lease (or, with leader election off, lead at once).
3. For each term won (`_lead`): load the durable queue (pending keys, failure
   counts, not-before times), wait for the caches, enqueue every cached object
   at low priority (a replay that never cuts a restored backoff short), then run
   the persister, the workers and the periodic drift resync until the term ends.
4. Term lost (fence expired or lease taken): cancel in-flight reconciles at once,
   drop the in-memory queue (the store holds the truth; we may not write it any
   more), and campaign again.
5. Stop (SIGTERM): stop taking work, give in-flight reconciles the grace period,
   persist what is left, release the Lease, exit 0.

Event handlers enqueue only while leading; a standby's queue stays empty.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import random
import time

import structlog

from controller.config import Config, ConfigError, parse_address
from controller.events import EventRecorder
from controller.handlers import keys_for
from controller.kube import keys
from controller.kube.cache import Cache
from controller.kube.client import KubeClient, KubeError
from controller.kube.discovery import FIELD_SELECTORS, Resource, discover
from controller.kube.informer import Informer
from controller.kube.snapshot import SnapshotView
from controller.leader.fence import AlwaysLeader, Fence
from controller.leader.lease import ElectionConfig, LeaderElector
from controller.observe import status_page, status_tree
from controller.observe.metrics import Metrics
from controller.observe.sidecar import Sidecar
from controller.observe.tracing import Tracing
from controller.queue.persister import Persister
from controller.queue.store import MemoryQueueStore, QueueStore
from controller.queue.workqueue import HIGH, LOW, WorkQueue
from controller.reconcile import LoggingNoopReconciler, Registry, Runtime
from controller.status import StatusWriter
from controller.webhook.certs import FileCerts, SecretCerts
from controller.webhook.server import WebhookServer
from controller.workers import WorkerPool

log = structlog.get_logger("latticegw.manager")

QUEUE_NAME = "latticegw"


def make_queue_store(config: Config, kube: KubeClient) -> QueueStore:
    kind = config.queue_store_kind
    if kind == "memory":
        return MemoryQueueStore()
    if kind == "kube":
        from controller.queue.store_kube import KubeQueueStore

        return KubeQueueStore(kube, config.namespace, shards=config.queue_shards)
    from controller.queue.store_sqlite import SqliteQueueStore

    return SqliteQueueStore(config.queue_store.split(":", 1)[1])


class Manager:
    def __init__(
        self,
        config: Config,
        kube: KubeClient,
        *,
        registry: Registry | None = None,
        queue_store: QueueStore | None = None,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        noop_fallback: bool | None = None,
        freeze_gc: bool = True,
    ) -> None:
        self.config = config
        self.kube = kube
        self.metrics = metrics or Metrics()
        self.tracing = tracing or Tracing(install_global=True)
        kube.metrics = self.metrics
        self.cache = Cache()
        self.view = SnapshotView(self.cache)
        self.queue = WorkQueue(
            QUEUE_NAME,
            bucket_qps=config.queue_qps,
            bucket_burst=config.queue_burst,
            metrics=self.metrics.queue_metrics(QUEUE_NAME),
        )
        self.metrics.watch_queue(self.queue, QUEUE_NAME)
        self.resources: dict[str, Resource] = {}
        self.missing: list[str] = []
        self.informers: dict[str, Informer] = {}
        self._informer_tasks: dict[str, asyncio.Task] = {}
        self.status = StatusWriter(kube, self.resources)
        self.events = EventRecorder(kube, controller=config.controller_name, instance=config.identity)
        self.registry = registry or Registry()
        self.runtime = Runtime(config, self.view, kube, self.status, self.events, self.metrics)
        self.noop_fallback = noop_fallback
        self.freeze_gc = freeze_gc  # off when embedded in a process that owns its own heap (tests)
        self.store = queue_store or make_queue_store(config, kube)
        interval = config.queue_flush_interval
        if interval is None:
            interval = 1.0 if config.queue_store_kind == "kube" else 0.05
        self.persister = Persister(self.queue, self.store, interval=interval, metrics=self.metrics)
        self.workers: WorkerPool | None = None
        self.sidecar = Sidecar(
            config.endpoints(), metrics=self.metrics, tracing=self.tracing,
            ready_checks=self.ready_checks, status=self.debug_status,
            page=status_page.handler(self.status_tree),
        )
        self._aws_samples: collections.deque = collections.deque()
        self._started_at = time.monotonic()
        self.webhook = self._webhook(config, kube)
        self.elector: LeaderElector | None = None
        self.leading = False
        self.term_started: float | None = None
        self.discovered = asyncio.Event()
        self.stop_event = asyncio.Event()

    def _webhook(self, config: Config, kube: KubeClient) -> WebhookServer | None:
        if config.webhook_address in ("", "0"):
            return None
        certs = (FileCerts(config.webhook_cert_dir) if config.webhook_cert_dir else
                 SecretCerts(kube, config.namespace, config.webhook_secret, config.webhook_configuration))
        host, port = parse_address("LATTICEGW_WEBHOOK_ADDRESS", config.webhook_address)
        return WebhookServer(host, port, certs, self.view, config.controller_name, self.synced)

    async def _serve_webhook(self) -> None:
        """Every replica serves the webhook; until its certificate can be had, /readyz says so."""
        assert self.webhook is not None
        while True:
            try:
                await self.webhook.start()
                return
            except Exception as exc:
                log.warning("webhook not serving yet; retrying", error=str(exc))
                await asyncio.sleep(5.0)

    # --------------------------------------------------------------- events
    def on_change(self, kind: str, old: dict | None, new: dict | None, initial: bool) -> None:
        if not self.leading:
            return
        prio = LOW if initial else HIGH
        for key in keys_for(kind, old, new, self.view):
            if keys.kind_of(key) in self.registry:
                self.queue.add(key, prio)

    def enqueue_all(self, priority: int = LOW) -> int:
        """Every object of every reconciled kind; a reconciler with `wants(obj)` (one that only acts
        on a few objects of a common kind, such as a deleting Service) gets just those."""
        n = 0
        for kind in self.registry.kinds():
            st = self.cache.stores.get(kind)
            if st is None:
                continue
            wants = getattr(self.registry.get(kind), "wants", None)
            for key in list(st.keys()):
                if wants is not None and not wants(st.get_key(key)):
                    continue
                self.queue.add(key, priority)
                n += 1
        return n

    # ------------------------------------------------------------ discovery
    async def discover_once(self) -> None:
        found, missing = await discover(self.kube)
        for res in found:
            if res.kind in self.informers:
                continue
            self.resources[res.kind] = res
            inf = Informer(self.kube, res, self.cache, self.on_change, metrics=self.metrics,
                           sock_read=self.config.watch_sock_read, field_selector=FIELD_SELECTORS.get(res.kind))
            self.informers[res.kind] = inf
            self._informer_tasks[res.kind] = asyncio.create_task(inf.run(), name=f"informer-{res.kind}")
            if self.noop_fallback and res.kind not in self.registry:
                self.registry.register(res.kind, LoggingNoopReconciler(self.view))
                log.warning("no reconciler registered; using the logging no-op reconciler", kind=res.kind)
            log.info("watching", kind=res.kind, api_version=res.api_version, plural=res.plural)
        if missing != self.missing:
            for name in missing:
                log.warning("kind not served by the API server (CRD absent?); will check again", kind=name)
        self.missing = missing
        self.discovered.set()

    async def _discovery_loop(self) -> None:
        while True:
            try:
                await self.discover_once()
            except (KubeError, asyncio.TimeoutError) as exc:
                log.warning("discovery failed", error=str(exc))
            await asyncio.sleep(self.config.discovery_interval * (1 if self.discovered.is_set() else 0.05))

    async def _freeze_after_sync(self) -> None:
        """Once the caches hold the cluster, move them out of the cyclic GC's reach.

        Cached objects live long and never form cycles, yet every full collection
        would traverse all of them: measured 80 -> 37 µs per watch event with
        20,000 EndpointSlices cached. Frozen objects are still freed by reference
        counting when the cache replaces or drops them.
        """
        while not self.synced():
            await asyncio.sleep(0.1)
        gc.collect()
        gc.freeze()
        log.info("caches synced; long-lived objects frozen for the GC", frozen=gc.get_freeze_count())

    def synced(self) -> bool:
        return self.discovered.is_set() and all(inf.synced.is_set() for inf in self.informers.values())

    def ready_checks(self) -> dict[str, bool]:
        checks = {"discovery": self.discovered.is_set()}
        for kind, inf in self.informers.items():
            checks[f"informer-{kind}"] = inf.synced.is_set()
        if self.webhook is not None:
            checks["webhook"] = self.webhook.bound_port is not None
        return checks

    def debug_status(self) -> dict:
        return {
            "identity": self.config.identity,
            "leading": self.leading,
            "queue": {"depth": len(self.queue), "pending": len(self.queue.pending_keys()),
                      "delayed": self.queue.delayed_count(), "processing": self.queue.processing_keys(),
                      "failures": self.queue.failure_counts()},
            "informers": {k: {"synced": i.synced.is_set(), "objects": len(self.cache.stores[k]),
                              "resourceVersion": i.resource_version, "lists": i.lists, "events": i.events}
                          for k, i in sorted(self.informers.items())},
            "missing": self.missing,
            "reconcilers": {k: type(self.registry.get(k)).__name__ for k in self.registry.kinds()},
            "processed": self.workers.processed if self.workers else 0,
        }

    async def status_tree(self) -> dict:
        """The status page's tree: the cache's objects, their translation, and what this process
        knows (target health from the Lattice inventory, last reconciles, queue, leader, AWS rates)."""
        from controller.config import translate_config
        from translate import Snapshot, translate

        objects = list(self.view.objects())
        try:
            tconfig = translate_config(self.config)
            translation = translate(Snapshot.of(objects), tconfig).to_dict()
        except ConfigError:
            translation = {}  # no AWS identity configured: Kubernetes status only
        inventory = self.runtime.lattice_inventory() if callable(self.runtime.lattice_inventory) else None

        def health(tg_name: str):
            rec = inventory.target_groups.get(tg_name) if inventory is not None else None
            return rec.targets if rec is not None else None

        leader = self.config.identity if self.leading else (getattr(self.elector, "holder", "") or "unknown")
        return status_tree.build(
            objects, translation, controller_name=self.config.controller_name, health=health,
            reconciles=self.workers.last if self.workers else None,
            controller={"identity": self.config.identity, "role": "leader" if self.leading else "standby",
                        "leader": leader, "queueDepth": len(self.queue),
                        "queueDelayed": self.queue.delayed_count(),
                        "processing": len(self.queue.processing_keys()),
                        "awsCallsPerMinute": self._aws_rates()})

    def _aws_rates(self) -> dict[str, float]:
        """AWS calls per minute per operation (aws_api_calls_total: a call with its retries counts
        once), over the last two minutes (or since start)."""
        counts: dict[str, float] = {}
        for fam in self.metrics.aws_calls.collect():
            for sample in fam.samples:
                if sample.name.endswith("_total"):
                    op = sample.labels["operation"]
                    counts[op] = counts.get(op, 0.0) + sample.value
        now = time.monotonic()
        self._aws_samples.append((now, counts))
        while len(self._aws_samples) > 1 and now - self._aws_samples[0][0] > 120:
            self._aws_samples.popleft()
        then, before = self._aws_samples[0]
        if now - then < 1.0:
            then, before = self._started_at, {}
        minutes = max(now - then, 1.0) / 60.0
        return {op: round((n - before.get(op, 0.0)) / minutes, 1) for op, n in sorted(counts.items())}

    # ----------------------------------------------------------- leadership
    async def _wait_synced(self, fence: Fence) -> None:
        deadline = time.monotonic() + self.config.cache_sync_timeout
        while not self.synced() and not self.stop_event.is_set():
            if time.monotonic() > deadline:
                log.error("caches not synced in time; starting anyway",
                          unsynced=[k for k, i in self.informers.items() if not i.synced.is_set()])
                return
            fence.check()
            await asyncio.sleep(0.05)

    async def lead(self, fence: Fence) -> None:
        cfg = self.config
        self.queue.clear()
        self.queue.reopen()
        records = await self.store.load()
        restored = self.queue.load(records)
        await self._wait_synced(fence)
        fence.check()
        self.leading = True
        self.term_started = time.monotonic()
        replayed = self.enqueue_all(LOW)
        log.info("leading: work started", term=fence.term, restored=restored, replayed=replayed,
                 delayed=self.queue.delayed_count())
        self.workers = WorkerPool(self.queue, self.registry, workers=cfg.workers, timeout=cfg.reconcile_timeout,
                                  metrics=self.metrics, tracer=self.tracing.tracer)
        self.workers.start(fence)
        helpers = [asyncio.create_task(self.persister.run(fence), name="persister")]
        if cfg.resync_seconds > 0:
            helpers.append(asyncio.create_task(self._resync_loop(), name="resync"))
        graceful = False
        try:
            stop = asyncio.ensure_future(self.stop_event.wait())
            lost = asyncio.ensure_future(fence.wait_lost())
            try:
                await asyncio.wait({stop, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                lost.cancel()
            if fence.valid():
                graceful = True
                cancelled = await self.workers.drain(cfg.shutdown_grace)
                self.leading = False
                ok = await self.persister.flush(fence)
                log.info("work stopped", cancelled_in_flight=cancelled, persisted=ok,
                         pending=len(self.queue.pending_keys()))
        finally:
            self.leading = False
            for t in helpers:
                t.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            if not graceful:
                await self.workers.cancel()
                self.queue.clear()

    async def _resync_loop(self) -> None:
        period = self.config.resync_seconds
        while True:
            await asyncio.sleep(period * (1.0 + 0.2 * random.random()))
            n = self.enqueue_all(LOW)
            log.info("drift resync", keys=n)

    # ------------------------------------------------------------------ run
    async def run(self) -> int:
        cfg = self.config
        if self.noop_fallback is None:
            # With real reconcilers, kinds without one (Service, EndpointSlice, ...) reach them through
            # the event handlers' derived keys; placeholders would only replay every such object.
            self.noop_fallback = not self.registry.kinds()
        for kind in self.registry.kinds():  # standbys too: dashboards see every controller at 0
            self.metrics.init_controller(kind.lower(), cfg.workers)
        await self.sidecar.start()
        log.info("sidecar listening", **{role: f"{h}:{p}" for role, (h, p) in self.sidecar.bound.items()})
        disco = asyncio.create_task(self._discovery_loop(), name="discovery")
        webhook = asyncio.create_task(self._serve_webhook() if self.webhook else asyncio.sleep(0), name="webhook")
        freezer = asyncio.create_task(self._freeze_after_sync() if self.freeze_gc else asyncio.sleep(0),
                                      name="gc-freeze")
        try:
            if cfg.leader_elect:
                self.elector = LeaderElector(
                    self.kube,
                    ElectionConfig(cfg.lease_namespace or cfg.namespace, cfg.lease_name, cfg.identity, cfg.lease_duration,
                                   cfg.renew_deadline, cfg.retry_period),
                    metrics=self.metrics,
                )
                await self.elector.run(self.lead, self.stop_event)
            else:
                self.metrics.leader(cfg.lease_name, True)
                await self.lead(AlwaysLeader(cfg.identity))
        finally:
            disco.cancel()
            freezer.cancel()
            webhook.cancel()
            await asyncio.gather(webhook, return_exceptions=True)
            if self.webhook is not None:
                await self.webhook.stop()
            for t in self._informer_tasks.values():
                t.cancel()
            await asyncio.gather(disco, *self._informer_tasks.values(), return_exceptions=True)
            await self.events.close()
            await self.sidecar.stop()
            await self.store.close()
            self.tracing.shutdown()
        log.info("stopped")
        return 0

    def stop(self) -> None:
        self.stop_event.set()
