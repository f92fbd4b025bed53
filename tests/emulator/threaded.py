"""An emulator on its own event loop in a thread, driven with synchronous HTTP.

Hypothesis runs its examples synchronously, outside pytest-asyncio's loop, so the
fuzz and state-machine tests talk to an emulator served from a background thread.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from lattice.emulator import Emulator, EmulatorConfig

AUTH = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-west-2/vpc-lattice/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "a" * 64)


class Server:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emu = Emulator(EmulatorConfig(strict_output=True, seed=3))
        url = asyncio.run_coroutine_threadsafe(self.emu.start("127.0.0.1", 0), self.loop).result(10)
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        hdrs = {"Authorization": AUTH, **(headers or {})}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A call that must succeed."""
        status, raw = self.call(method, path, body)
        assert status < 300, (status, raw)
        return raw

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """(status, parsed JSON body) for any answer."""
        status, _, raw = self.request(method, path, json.dumps(body).encode() if body is not None else None)
        return status, (json.loads(raw) if raw else {})

    def close(self) -> None:
        self.conn.close()
        asyncio.run_coroutine_threadsafe(self.emu.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
