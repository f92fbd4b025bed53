"""The kubeconfig's proxy-url: requests and watches reach the real API server through it.

A loopback HTTP CONNECT proxy (what corporate proxies speak for TLS) stands between the client
and the test API server; it records every tunnel it opens. Before the client honoured
`proxy-url`, it went around the proxy (the tunnel list stayed empty).
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import yaml

from controller.kube.client import KubeClient, load_configuration

pytestmark = pytest.mark.integration


class ConnectProxy:
    """A minimal CONNECT-only forward proxy on loopback."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            if method != "CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            self.tunnels.append(target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    finally:
        with contextlib.suppress(Exception):
            dst.close()


async def test_requests_and_watches_go_through_the_kubeconfig_proxy(kube, tmp_path):
    async with ConnectProxy() as proxy:
        config = yaml.safe_load(kube.kubeconfig_path.read_text())
        config["clusters"][0]["cluster"]["proxy-url"] = proxy.url
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(config))
        client = KubeClient(await load_configuration(str(path)))
        try:
            assert (await client.get("/api"))["kind"] == "APIVersions"
            async with client.stream("/api/v1/namespaces", {"watch": True, "timeoutSeconds": 1}) as resp:
                first = await resp.content.readline()
            assert b'"ADDED"' in first
        finally:
            await client.close()
        server = kube.url.removeprefix("https://")
        assert proxy.tunnels and set(proxy.tunnels) == {server}
