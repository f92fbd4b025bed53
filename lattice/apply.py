"""Run a plan's operations against Lattice and record every result in the inventory.

Phases run in order; the operations of one phase run concurrently (bounded). `Ref`s in parameters
are resolved from the inventory (which records each create as it returns). Each Create* carries a
deterministic clientToken: SHA-256 of (operation, resource identity, desired fingerprint, resolved
parameters), so a create replayed after a timeout or a crash returns the resource made the first
time instead of making another. If Lattice answers a replay with a resource we have deleted since
(`inventory.gone`), the create is retried once with a salted token.

Outcomes per operation follow `errors.verdict` (shared with the service-network steps): done
(also a NotFound on a delete: already gone); in progress, which the caller turns into a short
requeue; retry later (`RetryLater`: throttled beyond our budget); or an error, after which the
inventory forgets what it believed about the resource. Operations that need a failed or skipped
one are skipped. Every result is recorded by the inventory (`Inventory.record`), its only writer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lattice.client import LatticeClient
from lattice.errors import Conflict, LatticeError, NotFound, RetryLater, Verdict, verdict
from lattice.inventory import Inventory
from lattice.plan import Key, Operation, Ref
from translate.frozen import canonical_json, thaw


def client_token(api: str, key: Key, fingerprint: str, params: Mapping[str, Any], salt: str = "") -> str:
    """Deterministic clientToken (64 hex chars) for a Create*: same intent, same token."""
    h = hashlib.sha256()
    for part in (api, key[0], key[1], fingerprint, salt):
        h.update(part.encode())
        h.update(b"\0")
    h.update(canonical_json(params))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class OpError:
    key: Key
    api: str
    code: str
    message: str


@dataclass(slots=True)
class ApplyOutcome:
    done: list[Operation] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    errors: list[OpError] = field(default_factory=list)
    skipped: list[Operation] = field(default_factory=list)
    retry_after: float | None = None

    def note_retry(self, seconds: float) -> None:
        self.retry_after = seconds if self.retry_after is None else max(self.retry_after, seconds)


def settle(out: ApplyOutcome, op: Operation, exc: LatticeError) -> Verdict:
    """Put a failed call where the caller looks for it, as `errors.verdict` classifies it; DONE
    (a removal of something already gone) adds nothing: the caller records it as done."""
    v = verdict(op.api, exc)
    if v is Verdict.RETRY_LATER:
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else 1.0
        out.note_retry(retry_after)
        out.in_progress.append(f"{op.describe()}: {exc.code}, retry in {retry_after:.1f}s")
    elif v is Verdict.IN_PROGRESS:
        out.in_progress.append(f"{op.describe()}: {exc.message}")
    elif v is Verdict.FAILED:
        out.errors.append(OpError(op.key, op.api, exc.code, exc.message))
    return v


class UnresolvedRef(Exception):
    pass


class Applier:
    def __init__(self, client: LatticeClient, inventory: Inventory, concurrency: int = 8) -> None:
        self.client = client
        self.inv = inventory
        self.sem = asyncio.Semaphore(concurrency)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            rec: Any
            if value.kind == "svc":
                rec = self.inv.services.get(value.name)
            elif value.kind == "tg":
                rec = self.inv.target_groups.get(value.name)
            elif value.kind == "listener":
                rec = self.inv.listener(value.name)
            else:
                rec = None
            if rec is None:
                raise UnresolvedRef(f"{value.kind} {value.name} does not exist yet")
            return rec.id
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(v) for v in value]
        return value

    # -- run -----------------------------------------------------------------------------------
    async def run(self, operations: list[Operation] | tuple[Operation, ...]) -> ApplyOutcome:
        out = ApplyOutcome()
        failed: set[Key] = set()
        phases = sorted({op.phase for op in operations})
        for phase in phases:
            batch = []
            for op in operations:
                if op.phase != phase:
                    continue
                if (op.after_all and (failed or out.errors or out.in_progress)) or any(n in failed for n in op.needs):
                    out.skipped.append(op)
                    failed.add(op.key)
                    continue
                batch.append(op)
            # operations on the same key run in plan order; different keys concurrently
            by_key: dict[Key, list[Operation]] = {}
            for op in batch:
                by_key.setdefault(op.key, []).append(op)

            async def run_key(ops: list[Operation]) -> None:
                for op in ops:
                    if op.key in failed:
                        out.skipped.append(op)
                        continue
                    ok = await self.one(op, out)
                    if not ok:
                        failed.add(op.key)

            await asyncio.gather(*(run_key(ops) for ops in by_key.values()))
        return out

    async def one(self, op: Operation, out: ApplyOutcome) -> bool:
        try:
            params = self.resolve(thaw(op.params))
        except UnresolvedRef as exc:
            out.in_progress.append(f"{op.describe()}: {exc}")
            return False
        try:
            async with self.sem:
                if op.api.startswith("Create"):
                    resp = await self.create(op, params)
                else:
                    resp = await self.client.call(op.api, **params)
        except LatticeError as exc:
            v = settle(out, op, exc)
            if v is Verdict.FAILED:
                if isinstance(exc, Conflict) and op.api in ("CreateService", "CreateTargetGroup"):
                    name = str(op.params.get("name") or "")
                    if await self.inv.learn_named(op.key[0], name) in ("DELETE_IN_PROGRESS", "GONE"):
                        # Lattice keeps a deleted name until the delete finishes (we may have deleted
                        # it ourselves a moment ago): the create waits for it, it did not fail.
                        out.errors.pop()
                        out.in_progress.append(f"{op.describe()}: {name} is still being deleted")
                elif isinstance(exc, (Conflict, NotFound)):
                    self.inv.forget(op.key, exc)
            if v is not Verdict.DONE:
                return False
            resp = {}  # already gone: what the removal wanted
        problems = self.inv.record(op.api, op.key, params, resp)
        if problems:
            out.errors.append(OpError(op.key, op.api, "PartialFailure", "; ".join(problems)))
            return False
        out.done.append(op)
        return True

    async def create(self, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
        token = client_token(op.api, op.key, op.fingerprint, params)
        made = self.inv.made_by_token(token)
        if made in self.inv.gone:  # we know this token's resource was deleted since: salt at once
            token = client_token(op.api, op.key, op.fingerprint, params, salt=made)
        resp = await self.client.call(op.api, clientToken=token, **params)
        if resp.get("id") in self.inv.gone:
            # Lattice replayed a create whose resource was deleted since: make a new one
            token = client_token(op.api, op.key, op.fingerprint, params, salt=resp["id"])
            resp = await self.client.call(op.api, clientToken=token, **params)
        if resp.get("id"):
            self.inv.note_token(token, resp["id"])
        return resp
