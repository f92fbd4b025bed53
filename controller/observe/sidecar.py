"""The operator-facing HTTP endpoints: metrics, health probes, status and debugging.

Three roles, each on its own address as controller-runtime lays them out, so each can be
exposed (or not) on its own:

| role      | default          | paths                                              |
|-----------|------------------|----------------------------------------------------|
| `metrics` | `:8080`          | `/metrics` (Prometheus scrapes it)                 |
| `health`  | `:8081`          | `/healthz`, `/readyz`, `/readyz/NAME` (the kubelet) |
| `status`  | `127.0.0.1:8082` | `/` status page, `/debug/status`, `/debug/traces`   |

The status role answers questions about the cluster and Lattice without authentication,
so it binds loopback by default (`kubectl port-forward` reaches it). Roles given the same
address share one listener (port 0: each role gets a free port of its own); a role whose
address is None is not served.

It runs in the same event loop as the controller, which is the point of `/healthz`: it can
only answer if the loop is responsive. A heartbeat task also measures loop lag and `/healthz`
fails when the loop stalled for longer than `max_lag`.

`/readyz` is *not* leader-gated (standbys are ready too, as in controller-runtime): it turns
200 once every started informer has synced. `/readyz?verbose` lists the checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

CONTENT_TYPE_PROM = "text/plain; version=0.0.4; charset=utf-8"


ROLES = ("metrics", "health", "status")
FLAGS = {"metrics": "--metrics-bind-address", "health": "--health-probe-bind-address",
         "status": "--status-bind-address"}

Address = tuple[str, int]


class BindError(Exception):
    """A role's address cannot be listened on (in use, not ours, no permission)."""


class Sidecar:
    def __init__(
        self,
        addresses: dict[str, Address | None],
        *,
        metrics=None,
        tracing=None,
        ready_checks: Callable[[], dict[str, bool]] | None = None,
        max_lag: float = 10.0,
        status: Callable[[], dict] | None = None,
        page: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
    ) -> None:
        self.addresses = {role: addresses.get(role) for role in ROLES}
        self.page = page
        self.metrics = metrics
        self.tracing = tracing
        self.ready_checks = ready_checks or (lambda: {})
        self.status = status or (lambda: {})
        self.max_lag = max_lag
        self.lag = 0.0
        self._last_beat = time.monotonic()
        self._runners: list[web.AppRunner] = []
        self._beat: asyncio.Task | None = None
        self.bound: dict[str, Address] = {}  # role -> (host, port) actually listened on
        self.started = False

    def port(self, role: str) -> int | None:
        return self.bound[role][1] if role in self.bound else None

    def url(self, role: str) -> str | None:
        if role not in self.bound:
            return None
        host, port = self.bound[role]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
        return f"http://{host}:{port}"

    def _add_routes(self, app: web.Application, role: str) -> None:
        get = app.router.add_get
        if role == "metrics":
            get("/metrics", self.metrics_handler)
        elif role == "health":
            get("/healthz", self.healthz)
            get("/readyz", self.readyz)
            get("/readyz/{name}", self.readyz_one)
        else:
            if self.page is not None:
                get("/", self.page)
            get("/debug/traces", self.traces)
            get("/debug/status", self.debug_status)

    async def start(self) -> None:
        groups: dict[Address | tuple[str, str], list[str]] = {}
        for role, addr in self.addresses.items():
            if addr is not None:
                # Port 0 means "any free port": one of its own per role, never shared.
                groups.setdefault(addr if addr[1] else (addr[0], role), []).append(role)
        try:
            for (host, port), roles in groups.items():
                port = port if isinstance(port, int) else 0
                app = web.Application()
                for role in roles:
                    self._add_routes(app, role)
                runner = web.AppRunner(app, access_log=None, handle_signals=False)
                await runner.setup()
                self._runners.append(runner)
                site = web.TCPSite(runner, host, port, reuse_address=True)
                try:
                    await site.start()
                except OSError as exc:
                    flags = " / ".join(FLAGS[r] for r in roles)
                    raise BindError(f"cannot listen on {host}:{port} for {' and '.join(roles)}: "
                                    f"{exc.strerror or exc}; choose another address with {flags}") from None
                sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - to learn port 0's choice
                bound = sockets[0].getsockname()[1] if sockets else port
                for role in roles:
                    self.bound[role] = (host, bound)
        except BaseException:
            await self.stop()
            raise
        self._beat = asyncio.create_task(self._heartbeat(), name="sidecar-heartbeat")
        self.started = True

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.gather(self._beat, return_exceptions=True)
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

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
