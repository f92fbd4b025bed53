"""What every reconciler shares: the runtime, the translation config, the Lattice sync.

All three are built once at start-up (`controller.reconcilers.register`, from the
settings `controller.config` read); nothing here reads the environment.

Also the two kinds of write every reconciler makes the same way: its object's
(`write`: what `controller.reconcilers.writes.decide` decided, at most one status
patch and one metadata patch) and events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.kube import keys
from controller.kube.client import KubeError
from controller.reconcile import Runtime, TemporaryError
from controller.reconcilers.writes import OwnWrites, Writes
from lattice.sync import LatticeSync
from translate import Snapshot, TranslateConfig, Translation, translate


def describe_errors(errors: Iterable[Any]) -> str:
    """Lattice operation errors (lattice.apply.OpError) as one line for events and logs."""
    return "; ".join(f"{e.api} {'/'.join(e.key)}: {e.code}: {e.message}" for e in errors)


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Context:
    runtime: Runtime
    tconfig: TranslateConfig
    # The process's one LatticeSync, opened on first call (controller.reconcilers.lattice_handle.LatticeHandle)
    lattice: Callable[[], Awaitable[LatticeSync]]

    own_writes: OwnWrites = field(default_factory=OwnWrites)

    @property
    def view(self):
        return self.runtime.snapshot

    def get(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        """A reconciler's own object: the cached one, or what this process wrote after it while
        the cache has not caught up (`OwnWrites`)."""
        return self.own_writes.current(keys.make(kind, namespace, name), self.view.get(kind, namespace, name))

    def translate(self, objects: Iterable[Mapping[str, Any]]) -> Translation:
        return translate(Snapshot.of(objects), self.tconfig)

    async def write(self, obj: Mapping[str, Any], writes: Writes) -> Mapping[str, Any]:
        """Send what `controller.reconcilers.writes.decide` decided: the status patch, then the
        metadata patch (a finalizer's removal must come last: the object may be gone after it).
        Returns the object as last written (`obj` when nothing was). An object deleted meanwhile
        ends the writes quietly; a stale resourceVersion is a TemporaryError (the key runs again
        with fresh cache contents), never a blind overwrite."""
        current = obj
        status = self.runtime.status
        assert status is not None, "reconcilers run with a status writer"
        superseded = [(obj.get("metadata") or {}).get("resourceVersion")]
        try:
            if writes.status is not None:
                current = await status.patch_status(current, writes.status)
                superseded.append((current.get("metadata") or {}).get("resourceVersion"))
            if writes.metadata is not None:
                rv = current["metadata"]["resourceVersion"] if writes.precondition else None
                current = await status.patch_metadata(current, writes.metadata, resource_version=rv)
        except KubeError as exc:
            if exc.conflict:
                raise TemporaryError(f"{obj.get('kind')} changed while we wrote it; retrying") from exc
            if exc.not_found:
                return obj
            raise
        if current is not obj:
            self.own_writes.remember(keys.of(obj["kind"], obj), superseded, current)
        return current

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        if self.runtime.events is not None:
            self.runtime.events.emit(obj, type_, reason, message)
