"""An in-memory stand-in for `KubeClient` with resourceVersion semantics, for unit tests.

It stores objects by path, bumps a global resourceVersion on every write, answers
409 on a stale resourceVersion or a duplicate create, and can be `partition`ed
(every call hangs until its timeout), which is how a leader loses the API server.
"""

from __future__ import annotations

import asyncio
import copy

from controller.kube.client import KubeError


class FakeKube:
    def __init__(self) -> None:
        self.objects: dict[str, dict] = {}
        self.rv = 100
        self.partitioned = False
        self.calls: list[tuple[str, str]] = []
        self.metrics = None
        self.patches: list[tuple[str, str, dict]] = []

    async def _gate(self, timeout: float | None) -> None:
        await asyncio.sleep(0)
        if self.partitioned:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise KubeError(0, "TimeoutError: partitioned")

    async def get(self, path: str, query: dict | None = None, timeout: float | None = None) -> dict:
        await self._gate(timeout)
        self.calls.append(("GET", path))
        if path in self.objects:
            return copy.deepcopy(self.objects[path])
        # a collection: list the objects under it
        prefix = path.rstrip("/") + "/"
        items = [copy.deepcopy(o) for p, o in sorted(self.objects.items()) if p.startswith(prefix) and "/" not in p[len(prefix):]]
        if items or query is not None:
            sel = (query or {}).get("labelSelector")
            if sel:
                k, _, v = sel.partition("=")
                items = [o for o in items if (o["metadata"].get("labels") or {}).get(k) == v]
            return {"items": items, "metadata": {"resourceVersion": str(self.rv)}}
        raise KubeError(404, "NotFound", {"message": f"{path} not found"}, "GET", path)

    async def request(self, method: str, path: str, *, query=None, body=None, content_type="application/json",
                      timeout: float | None = None) -> dict:
        await self._gate(timeout)
        self.calls.append((method, path))
        body = copy.deepcopy(body)
        if method == "POST":
            full = f"{path}/{body['metadata']['name']}"
            if full in self.objects:
                raise KubeError(409, "AlreadyExists", {}, method, path)
            return self._store(full, body)
        if method == "PUT":
            cur = self.objects.get(path)
            if cur is None:
                raise KubeError(404, "NotFound", {}, method, path)
            if body["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                raise KubeError(409, "Conflict", {}, method, path)
            return self._store(path, body)
        if method == "PATCH":  # JSON merge patch (one level deep is all the tests need)
            target = path[: -len("/status")] if path.endswith("/status") else path
            cur = self.objects.get(target)
            if cur is None:
                raise KubeError(404, "NotFound", {}, method, path)
            want_rv = (body.get("metadata") or {}).pop("resourceVersion", None)
            if want_rv is not None and want_rv != cur["metadata"]["resourceVersion"]:
                raise KubeError(409, "Conflict", {}, method, path)
            merged = copy.deepcopy(cur)
            for k, v in body.items():
                if isinstance(v, dict) and isinstance(merged.get(k), dict):
                    merged[k].update(v)
                else:
                    merged[k] = v
            self.patches.append((path, content_type, body))
            return self._store(target, merged)
        raise KubeError(405, "MethodNotAllowed", {}, method, path)

    def _store(self, path: str, body: dict) -> dict:
        self.rv += 1
        body["metadata"]["resourceVersion"] = str(self.rv)
        self.objects[path] = body
        return copy.deepcopy(body)
