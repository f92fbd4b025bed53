"""Run `latticegw run` replicas as real subprocesses, and a TCP proxy that can partition one."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import orjson
import yaml

from controller.localkube.plane import die_with_parent

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, identity: str, kubeconfig: str, namespace: str, workdir: Path, extra_env: dict | None = None,
                 queue_store: str = "kube") -> None:
        self.identity = identity
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.port = free_port()
        self.log_path = workdir / f"{identity}.log"
        self.extra_env = extra_env or {}
        self.queue_store = queue_store
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = dict(os.environ)
        env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                    "LATTICEGW_DISCOVERY_INTERVAL": "5", "PYTHONUNBUFFERED": "1"})
        env.update(self.extra_env)
        self._log = open(self.log_path, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller.cli.main", "run",
            "--kubeconfig", self.kubeconfig, "--namespace", self.namespace, "--identity", self.identity,
            "--sidecar-address", f"127.0.0.1:{self.port}", "--queue-store", self.queue_store,
            cwd=str(ROOT), env=env, stdout=self._log, stderr=asyncio.subprocess.STDOUT, preexec_fn=die_with_parent,
        )

    async def status(self) -> dict | None:
        try:
            async with aiohttp.ClientSession() as s:
                async with s.get(f"http://127.0.0.1:{self.port}/debug/status",
                                 timeout=aiohttp.ClientTimeout(total=2)) as r:
                    return orjson.loads(await r.read())
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            return None

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"http://127.0.0.1:{self.port}{path}", timeout=aiohttp.ClientTimeout(total=5)) as r:
                return r.status, await r.text()

    def kill9(self) -> None:
        if self.proc and self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def terminate(self, timeout: float = 40.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def kubeconfig_via(kubeconfig_path: str, port: int, out: Path) -> str:
    cfg = yaml.safe_load(Path(kubeconfig_path).read_text())
    for c in cfg["clusters"]:
        c["cluster"]["server"] = f"https://127.0.0.1:{port}"
    out.write_text(yaml.safe_dump(cfg))
    return str(out)


class PartitionProxy:
    """Forwards TCP to the API server until `partition()`: then it silently drops every
    byte both ways and never answers new connections -- a network cut, not a refusal."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.partitioned = False
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def partition(self) -> None:
        self.partitioned = True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.partitioned:
            await self._hold(reader)
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        t1 = asyncio.create_task(self._pipe(reader, up_w))
        t2 = asyncio.create_task(self._pipe(up_r, writer))
        self._tasks |= {t1, t2}
        await asyncio.gather(t1, t2, return_exceptions=True)
        for w in (writer, up_w):
            w.close()

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while True:
            data = await r.read(65536)
            if not data:
                return
            if self.partitioned:
                continue  # black hole
            w.write(data)
            await w.drain()

    async def _hold(self, reader: asyncio.StreamReader) -> None:
        while await reader.read(65536):
            pass

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self._server is not None:
            self._server.close()


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def read_writes(path: Path) -> list[dict]:
    """Writes as issued: who, when issued, and the latest moment each could land."""
    return [w for w in read_log(path) if "issued" in w]


def read_completions(path: Path) -> list[dict]:
    return [w for w in read_log(path) if "completed" in w]
