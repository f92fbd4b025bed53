"""The HTTPS endpoint the API server calls: POST /mutate-pod with an AdmissionReview (v1).

Every replica serves it from its own warm cache; answers are computed in microseconds, far inside
the configuration's 10 s timeout. The certificate is loaded into one SSLContext and reloaded when
its source changes (checked every `REFRESH_SECONDS`): new handshakes get the new certificate,
open connections keep theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import tempfile
from collections.abc import Callable

import orjson
import structlog
from aiohttp import web

from controller.webhook.inject import admit

REFRESH_SECONDS = 300.0
PATH = "/mutate-pod"

log = structlog.get_logger("latticegw.webhook")


class WebhookServer:
    def __init__(self, host: str, port: int, certs, view, controller_name: str, synced: Callable[[], bool],
                 metrics=None) -> None:
        self.host, self.port = host, port
        self.certs = certs
        self.view = view
        self.controller_name = controller_name
        self.synced = synced
        self.metrics = metrics
        self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        self._loaded: tuple[bytes, bytes] | None = None
        self._runner: web.AppRunner | None = None
        self._refresher: asyncio.Task | None = None
        self.bound_port: int | None = None

    async def _load(self) -> None:
        pair = await self.certs.current()
        if pair == self._loaded:
            return
        # load_cert_chain reads files only; the key never leaves a private temporary directory.
        with tempfile.TemporaryDirectory(prefix="latticegw-webhook-") as d:
            crt, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
            with open(crt, "wb") as f:
                f.write(pair[0])
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
                f.write(pair[1])
            self.ssl.load_cert_chain(crt, key)
        self._loaded = pair
        log.info("webhook certificate loaded")

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self._load()
            except Exception as exc:  # keep serving the certificate we have
                log.warning("webhook certificate refresh failed", error=str(exc))

    async def _mutate(self, request: web.Request) -> web.Response:
        try:
            review = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return web.Response(status=400, text="not an AdmissionReview")
        answer = admit(review, self.view, self.controller_name, self.synced())
        response = answer["response"]
        log.info("pod admission", namespace=(review.get("request") or {}).get("namespace"),
                 gated=bool(response.get("patch")), allowed=response["allowed"])
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def start(self) -> None:
        await self._load()
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post(PATH, self._mutate)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl, reuse_address=True)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # to learn port 0's choice
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        self._refresher = asyncio.create_task(self._refresh_loop(), name="webhook-certs")
        log.info("webhook listening", host=self.host, port=self.bound_port, path=PATH)

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._runner is not None:
            await self._runner.cleanup()
