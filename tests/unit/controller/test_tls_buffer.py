"""TLS connections opened after `shrink()` use 32 KiB read buffers and still carry large bodies intact."""

from __future__ import annotations

import hashlib
import ssl
from asyncio import sslproto

import aiohttp
from aiohttp import web

from controller.kube import tls_buffer
from tests.tlsmaterial import certificate

BODY = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MiB, not a multiple of any buffer size


async def test_small_tls_read_buffers_carry_a_large_answer(tmp_path, monkeypatch):
    monkeypatch.setattr(sslproto.SSLProtocol, "max_size", 256 * 1024)  # restored after the test
    crt, key = certificate(("localhost",))
    (tmp_path / "tls.crt").write_text(crt)
    (tmp_path / "tls.key").write_text(key)
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ssl.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")

    async def big(request):
        return web.Response(body=BODY)

    app = web.Application()
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    client_ssl = ssl.create_default_context(cafile=str(tmp_path / "tls.crt"))
    client_ssl.check_hostname = False
    try:
        tls_buffer.shrink()
        assert sslproto.SSLProtocol.max_size == 32 * 1024
        tls_buffer.shrink(1 << 20)  # never grows it back
        assert sslproto.SSLProtocol.max_size == 32 * 1024
        async with aiohttp.ClientSession() as session:
            async with session.get(f"https://127.0.0.1:{port}/big", ssl=client_ssl) as resp:
                assert resp.connection is not None
                protocol = resp.connection.transport._ssl_protocol  # asyncio's SSLProtocol  # noqa: SLF001
                body = await resp.read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(BODY).digest()
        assert len(protocol._ssl_buffer) == 32 * 1024  # the TLS protocol's read buffer  # noqa: SLF001
    finally:
        await runner.cleanup()
