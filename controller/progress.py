"""Progress records: which desired model was last applied successfully, kept on the object.

At start, takeover and every drift resync, every cached object is reconciled
again. A reconciler that finds the object's generation and its desired-model
fingerprint equal to what it last applied successfully has nothing to *apply*:
it can verify Lattice cheaply (or not at all) instead of replaying writes.

The record is one annotation, `latticegw.io/applied: "<generation>:<fingerprint>"`,
written after a successful apply with a fenced merge patch. It lives in the API
server, so it survives crashes and failovers with the object. The event handlers
ignore this annotation (`handlers.essence`), so writing it enqueues nothing.

    fp = translate.fingerprint.fingerprint(desired)      # or any stable digest
    if progress.is_current(obj, fp):
        return Result(requeue_after=resync)             # nothing to apply
    ... apply ...
    await progress.record(rt.status, obj, fp)           # fenced
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.fence import Fence, current_fence
from controller.kubeclient import MERGE_PATCH
from controller.status import StatusWriter

ANNOTATION = "latticegw.io/applied"


def applied(obj: Mapping[str, Any]) -> tuple[int | None, str] | None:
    """(generation, fingerprint) last recorded on `obj`, or None."""
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if not raw or ":" not in raw:
        return None
    gen, _, fp = raw.partition(":")
    return (int(gen) if gen.isdigit() else None, fp)


def is_current(obj: Mapping[str, Any], fingerprint: str) -> bool:
    """True when this generation of `obj` was applied with exactly this desired model."""
    rec = applied(obj)
    gen = (obj.get("metadata") or {}).get("generation")
    return rec is not None and rec == (gen, fingerprint)


def value(obj: Mapping[str, Any], fingerprint: str) -> str:
    gen = (obj.get("metadata") or {}).get("generation")
    return f"{gen if gen is not None else ''}:{fingerprint}"


async def record(writer: StatusWriter, obj: Mapping[str, Any], fingerprint: str, *,
                 fence: Fence | None = None, timeout: float = 10.0) -> dict:
    """Write the progress annotation (fenced merge patch on the object itself)."""
    fence = fence or current_fence()
    body = {"metadata": {"annotations": {ANNOTATION: value(obj, fingerprint)}}}
    return await writer.kube.request("PATCH", writer.path(obj), body=body, content_type=MERGE_PATCH,
                                     timeout=fence.bounded(timeout))
