"""The contract between the runtime and reconcilers. Start here if you write one.

A reconciler is level-based: given a key, it makes the world match the cached
desired state of that object *now*, whatever events led here, and it must be
safe to run again at any time (the runtime may run it after a crash, a
failover, a resync or a duplicate event). It never runs concurrently with
itself for the same key.

    from controller.reconcile import Result, TerminalError, TemporaryError, Runtime
    from controller.leader.fence import current_fence
    from controller.kube import keys

    class HTTPRouteReconciler:
        def __init__(self, rt: Runtime) -> None:
            self.rt = rt

        async def reconcile(self, key: str) -> Result:
            k = keys.parse(key)                          # Key(kind, namespace, name)
            route = self.rt.snapshot.get(k.kind, k.namespace, k.name)
            if route is None:
                ...                                      # deleted: clean up Lattice
                return Result()
            services = self.rt.snapshot.routes_for_gateway(...)  # indexes, see SnapshotView
            current_fence().check()                      # still the leader? (raises LostLeadership)
            await self.rt.status.patch_status(route, {"parents": [...]})   # fenced
            self.rt.events.emit(route, "Normal", "Reconciled", "...")      # fenced, async flush
            return Result(requeue_after=600)             # optional drift check later

    def register(registry: Registry, rt: Runtime):   # in controller/reconcilers/__init__.py
        registry.register("HTTPRoute", HTTPRouteReconciler(rt))
        return close            # optional: an async callable awaited at shutdown

Outcomes, as in controller-runtime:

* return `Result()` (or None): success; the key's backoff is reset.
* `Result(requeue_after=s)`: success, and look again in `s` seconds.
* `Result(requeue=True)`: run again after the key's backoff (counts as a retry).
* raise `TemporaryError(msg, retry_after=s)` or any other exception: failure;
  retried with per-key exponential backoff (5 ms -> 1000 s), at least `s`.
  An exception that is not one of ours is also counted as a "panic".
* raise `TerminalError(msg)`: failure that retrying cannot fix (invalid spec,
  permission denied). Counted, logged, not retried until the object changes.
* `LostLeadership` (from `Fence.check`) or cancellation: the runtime stops the
  reconcile without counting it; the next leader will run the key.

A reconcile has a timeout (`LATTICEGW_RECONCILE_TIMEOUT`, default 120 s); past
it the reconcile is cancelled and retried like a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import structlog

from controller.kube import keys

if TYPE_CHECKING:  # pragma: no cover
    from controller.config import Config
    from controller.events import EventRecorder
    from controller.kube.client import KubeClient
    from controller.kube.snapshot import SnapshotView
    from controller.observe.metrics import Metrics
    from controller.status import StatusWriter


@dataclass(frozen=True)
class Result:
    requeue: bool = False
    requeue_after: float | None = None


class TerminalError(Exception):
    """Retrying will not help; do not requeue (the next change to the object will)."""


class TemporaryError(Exception):
    """Retry with backoff; `retry_after` (seconds) is a floor, e.g. AWS's retryAfterSeconds."""

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@runtime_checkable
class Reconciler(Protocol):
    async def reconcile(self, key: str) -> Result | None: ...


@dataclass
class Runtime:
    """What the runtime hands to reconciler factories."""

    config: Config
    snapshot: SnapshotView
    kube: KubeClient | None
    status: StatusWriter | None
    events: EventRecorder | None
    metrics: Metrics | None = None  # the AWS-call observer of the Lattice client, among the rest
    # Set by the reconcilers: the process's Lattice inventory once opened (for the status page).
    lattice_inventory: Any = None


class Registry:
    """Kind -> reconciler. One reconciler per kind; keys of other kinds are dropped."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Reconciler] = {}

    def register(self, kind: str, reconciler: Reconciler) -> None:
        if not isinstance(reconciler, Reconciler):
            raise TypeError(f"{reconciler!r} has no async reconcile(key) method")
        if kind in self._by_kind:
            raise ValueError(f"a reconciler for {kind} is already registered")
        self._by_kind[kind] = reconciler

    def get(self, kind: str) -> Reconciler | None:
        return self._by_kind.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def __contains__(self, kind: str) -> bool:
        return kind in self._by_kind


class LoggingNoopReconciler:
    """A placeholder that only logs what it would reconcile. It makes NO changes.

    `latticegw run` registers one per watched kind until the real reconcilers
    (translate -> plan -> apply -> status) are registered by
    `controller.reconcilers.register(registry, runtime)`.
    """

    noop = True

    def __init__(self, snapshot: SnapshotView) -> None:
        self.snapshot = snapshot
        self.log = structlog.get_logger("latticegw.noop")
        self.calls = 0

    async def reconcile(self, key: str) -> Result:
        self.calls += 1
        obj: Mapping[str, Any] | None = self.snapshot.get_key(key)
        k = keys.parse(key)
        if obj is None:
            self.log.info("noop reconcile: object gone", kind=k.kind)
        else:
            meta = obj.get("metadata") or {}
            self.log.info("noop reconcile", kind=k.kind, generation=meta.get("generation"),
                          resource_version=meta.get("resourceVersion"))
        return Result()
