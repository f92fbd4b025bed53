"""The operator-facing HTTP server: health, readiness, metrics, recent traces.

It runs on its own address (`--sidecar-address`, default 0.0.0.0:8080) in the
same event loop as the controller, which is the point of `/healthz`: it can
only answer if the loop is responsive. A heartbeat task also measures loop lag
and `/healthz` fails when the loop stalled for longer than `max_lag`.

`/readyz` is *not* leader-gated (standbys are ready too, as in
controller-runtime): it turns 200 once every started informer has synced.
`/readyz?verbose` lists the checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson
from aiohttp import web

CONTENT_TYPE_PROM = "text/plain; version=0.0.4; charset=utf-8"


class Sidecar:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics=None,
        tracing=None,
        ready_checks: Callable[[], dict[str, bool]] | None = None,
        max_lag: float = 10.0,
        status: Callable[[], dict] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.tracing = tracing
        self.ready_checks = ready_checks or (lambda: {})
        self.status = status or (lambda: {})
        self.max_lag = max_lag
        self.lag = 0.0
        self._last_beat = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._beat: asyncio.Task | None = None
        self.bound_port: int | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/readyz/{name}", self.readyz_one)
        app.router.add_get("/metrics", self.metrics_handler)
        app.router.add_get("/debug/traces", self.traces)
        app.router.add_get("/debug/status", self.debug_status)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - to learn port 0's choice
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        self._beat = asyncio.create_task(self._heartbeat(), name="sidecar-heartbeat")

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.gather(self._beat, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _heartbeat(self, period: float = 1.0) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(period)
            now = time.monotonic()
            self.lag = max(0.0, now - before - period)
            self._last_beat = now

    async def healthz(self, _request: web.Request) -> web.Response:
        stale = time.monotonic() - self._last_beat
        if self.lag > self.max_lag or stale > self.max_lag + 1.0:
            return web.Response(status=500, text=f"event loop stalled: lag {self.lag:.3f}s\n")
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        checks = self.ready_checks()
        ok = bool(checks) and all(checks.values())
        if "verbose" in request.query:
            lines = [f"[{'+' if v else '-'}]{k} {'ok' if v else 'failed'}" for k, v in sorted(checks.items())]
            lines.append("readyz check passed" if ok else "readyz check failed")
            return web.Response(status=200 if ok else 503, text="\n".join(lines) + "\n")
        return web.Response(status=200 if ok else 503, text="ok\n" if ok else "not ready\n")

    async def readyz_one(self, request: web.Request) -> web.Response:
        checks = self.ready_checks()
        name = request.match_info["name"]
        if name not in checks:
            return web.Response(status=404, text=f"no check {name}\n")
        return web.Response(status=200 if checks[name] else 503, text="ok\n" if checks[name] else "not ready\n")

    async def metrics_handler(self, _request: web.Request) -> web.Response:
        body = self.metrics.render() if self.metrics is not None else b""
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PROM})

    async def traces(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "100"))
        except ValueError:
            limit = 100
        spans = self.tracing.recent(limit) if self.tracing is not None else []
        return web.Response(body=orjson.dumps({"spans": spans}), content_type="application/json")

    async def debug_status(self, _request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(self.status(), default=str), content_type="application/json")
