"""Start, stop and restart etcd + kube-apiserver on loopback.

Theory of operation: both servers run as child processes in their own process
groups, with PR_SET_PDEATHSIG so that they die with us even when we are killed
with SIGKILL (a failed test run must never leave an API server behind). The flags
follow envtest (controller-runtime pkg/internal/testing/controlplane): TLS serving
with a throwaway CA, static token authentication, RBAC authorization, the
ServiceAccount admission plugin off (no controller-manager creates tokens), and a
service-account issuer so the TokenRequest API works for RBAC tests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

from controller.localkube.artifacts import Artifacts, locate_artifacts
from controller.localkube.pki import write_pki

_PR_SET_PDEATHSIG = 1


class LocalKubeError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    # Runs in the child between fork and exec.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Process:
    """One child server with its log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path):
        self.name, self.argv, self.log_path = name, list(argv), log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        finally:
            log.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log_tail(self, limit: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    async def stop(self, grace: float = 10.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


class LocalKube:
    """A running etcd + kube-apiserver pair. Use `LocalKube.started()`."""

    ADMIN_USER = "latticegw-admin"

    def __init__(
        self,
        artifacts: Artifacts,
        workdir: Path,
        *,
        crd_channel: str = "experimental",
        extra_crds: Sequence[Path] = (),
        extra_apiserver_args: Sequence[str] = (),
    ):
        self.artifacts = artifacts
        self.workdir = workdir
        self.crd_channel = crd_channel
        self.extra_crds = list(extra_crds)
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.etcd_port = free_port()
        self.etcd_peer_port = free_port()
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"https://127.0.0.1:{self.port}"
        self.etcd_url = f"http://127.0.0.1:{self.etcd_port}"
        self.pki = write_pki(workdir / "pki")
        self.ca_file = str(self.pki["ca"])
        self.kubeconfig_path = workdir / "kubeconfig"
        self._write_token_file()
        self._write_kubeconfig()
        self._etcd = _Process("etcd", self._etcd_argv(), workdir / "etcd.log")
        self._apiserver = _Process("kube-apiserver", self._apiserver_argv(), workdir / "kube-apiserver.log")
        self._ssl = ssl.create_default_context(cafile=self.ca_file)

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    @contextlib.asynccontextmanager
    async def started(
        cls, workdir: Path | None = None, *, keep_workdir: bool = False, **kwargs
    ) -> AsyncIterator["LocalKube"]:
        artifacts = locate_artifacts()
        own_dir = workdir is None
        path = Path(tempfile.mkdtemp(prefix="latticegw-kube-")) if workdir is None else workdir
        kube = cls(artifacts, path, **kwargs)
        try:
            await kube.start()
            yield kube
        finally:
            await kube.stop()
            if own_dir and not keep_workdir:
                shutil.rmtree(path, ignore_errors=True)

    async def start(self, timeout: float = 120.0) -> None:
        started = time.monotonic()
        await self._etcd.start()
        await self._wait_for(self._etcd, self._etcd_healthy, timeout)
        await self._start_apiserver(timeout)
        crds = self.artifacts.gateway_api_crds(self.crd_channel) + self.extra_crds
        if not crds:
            raise LocalKubeError(f"no Gateway API CRDs found under {self.artifacts.crd_dir}")
        await self.install_crds(crds)
        self.startup_seconds = time.monotonic() - started

    async def stop(self) -> None:
        await self._apiserver.stop()
        await self._etcd.stop()

    async def restart_apiserver(self, timeout: float = 120.0) -> None:
        """Stop and start the API server on the same port and etcd (watches break)."""
        await self._apiserver.stop()
        await self._start_apiserver(timeout)

    async def _start_apiserver(self, timeout: float) -> None:
        await self._apiserver.start()
        await self._wait_for(self._apiserver, self._apiserver_ready, timeout)

    async def _wait_for(self, proc: _Process, probe, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if not proc.running:
                raise LocalKubeError(
                    f"{proc.name} exited with code {proc.proc.returncode if proc.proc else '?'}:\n"
                    f"{proc.log_tail()}"
                )
            try:
                if await probe():
                    return
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                last_error = repr(exc)
            await asyncio.sleep(0.2)
        raise LocalKubeError(
            f"{proc.name} not ready after {timeout:.0f}s ({last_error}):\n{proc.log_tail()}"
        )

    # ------------------------------------------------------------------- probes
    async def _etcd_healthy(self) -> bool:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.etcd_url}/health", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                # etcd answers with text/plain, so parse the body ourselves.
                return resp.status == 200 and orjson.loads(await resp.read()).get("health") == "true"

    async def _apiserver_ready(self) -> bool:
        status, _ = await self.request("GET", "/readyz", timeout=5)
        return status == 200

    # ------------------------------------------------------------- API helpers
    async def request(
        self, method: str, path: str, body=None, *, token: str | None = None,
        content_type: str = "application/json", timeout: float = 30,
    ) -> tuple[int, Any]:
        """One raw API call with the admin token (or `token`); returns (status, parsed body)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = orjson.dumps(body)
        async with aiohttp.ClientSession() as session:
            async with session.request(
                method, self.url + path, data=data, headers=headers, ssl=self._ssl,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                raw = await resp.read()
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed

    async def apply(self, obj: dict, *, field_manager: str = "latticegw-test") -> dict:
        """Server-side apply one object through its generic REST path."""
        path = await self.object_path(obj)
        status, result = await self.request(
            "PATCH", f"{path}?fieldManager={field_manager}&force=true", obj,
            content_type="application/apply-patch+yaml",
        )
        if status >= 300:
            raise LocalKubeError(f"apply {obj.get('kind')} {obj['metadata'].get('name')}: {status} {result}")
        return result

    async def object_path(self, obj: dict) -> str:
        group_version = obj["apiVersion"]
        plural, namespaced = await self._resource_for(group_version, obj["kind"])
        base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        ns = obj["metadata"].get("namespace") or "default"
        prefix = f"{base}/namespaces/{ns}" if namespaced else base
        return f"{prefix}/{plural}/{obj['metadata']['name']}"

    async def _resource_for(self, group_version: str, kind: str) -> tuple[str, bool]:
        base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        status, body = await self.request("GET", base)
        if status != 200:
            raise LocalKubeError(f"discovery of {group_version}: {status} {body}")
        for resource in body["resources"]:
            if resource["kind"] == kind and "/" not in resource["name"]:
                return resource["name"], resource["namespaced"]
        raise LocalKubeError(f"kind {kind} not served by {group_version}")

    async def install_crds(self, paths: Sequence[Path], timeout: float = 60.0) -> None:
        names = []
        for path in paths:
            for doc in yaml.safe_load_all(path.read_text()):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    await self.apply(doc)
                    names.append(doc["metadata"]["name"])
        deadline = time.monotonic() + timeout
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                status, crd = await self.request(
                    "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
                )
                # A CRD just created can read back with `status: {conditions: null}` (or no status yet).
                conditions = (((crd or {}).get("status") or {}).get("conditions") or []) if status == 200 else []
                if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                    pending.discard(name)
            if pending:
                await asyncio.sleep(0.2)
        if pending:
            raise LocalKubeError(f"CRDs not Established after {timeout:.0f}s: {sorted(pending)}")

    async def create_namespace(self, name: str) -> None:
        status, body = await self.request(
            "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )
        if status not in (201, 409):
            raise LocalKubeError(f"create namespace {name}: {status} {body}")

    async def purge_namespace(self, name: str) -> None:
        """Delete a namespace and everything in it, finalizers included.

        This plane runs no kube-controller-manager, so a deleted namespace would otherwise stay
        Terminating with all its objects, and a later controller watching the whole cluster
        would reconcile them again. Finalizers are dropped because whoever held them (a test's
        controller) is gone by the time a test cleans up.
        """
        for path in await self.namespaced_collections(name):
            status, body = await self.request("GET", path)
            if status != 200:
                continue
            for item in body.get("items") or ():
                item_path = f"{path}/{item['metadata']['name']}"
                # Delete first: once an object is being deleted nobody can add a finalizer back.
                status, left = await self.request("DELETE", item_path)
                if status in (200, 202) and isinstance(left, dict) and left.get("metadata", {}).get("finalizers"):
                    await self.request("PATCH", item_path, {"metadata": {"finalizers": None}},
                                       content_type="application/merge-patch+json")
        status, _ = await self.request("DELETE", f"/api/v1/namespaces/{name}")
        if status == 404:
            return
        status, ns = await self.request("GET", f"/api/v1/namespaces/{name}")
        if status == 200:  # the namespace controller's last step: drop the "kubernetes" finalizer
            ns["spec"]["finalizers"] = []
            status, body = await self.request("PUT", f"/api/v1/namespaces/{name}/finalize", ns)
            if status not in (200, 404):
                raise LocalKubeError(f"finalize namespace {name}: {status} {body}")

    async def namespaced_collections(self, namespace: str) -> list[str]:
        """The list paths, inside `namespace`, of every namespaced resource the server serves."""
        group_versions = ["/api/v1"]
        status, groups = await self.request("GET", "/apis")
        if status != 200:
            raise LocalKubeError(f"discovery: {status} {groups}")
        group_versions += [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups["groups"]]
        paths = []
        for base in group_versions:
            status, body = await self.request("GET", base)
            if status != 200:
                continue
            paths += [f"{base}/namespaces/{namespace}/{r['name']}" for r in body["resources"]
                      if r["namespaced"] and "/" not in r["name"] and {"list", "delete"} <= set(r["verbs"])]
        return paths

    async def create_token(self, namespace: str, service_account: str, seconds: int = 3600) -> str:
        """A real bound token for a ServiceAccount, from the TokenRequest API."""
        status, body = await self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
             "spec": {"expirationSeconds": seconds}},
        )
        if status != 201:
            raise LocalKubeError(f"TokenRequest for {namespace}/{service_account}: {status} {body}")
        return body["status"]["token"]

    async def compact_etcd(self) -> int:
        """Compact etcd to its current revision; returns the revision.

        Resource versions older than this are then gone from etcd, so a watch or
        list that has to reach etcd with them gets 410 Gone.
        """
        key = base64.b64encode(b"/registry").decode()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.etcd_url}/v3/kv/range", json={"key": key, "limit": 1}) as resp:
                revision = int(orjson.loads(await resp.read())["header"]["revision"])
            async with session.post(
                f"{self.etcd_url}/v3/kv/compaction", json={"revision": revision, "physical": True}
            ) as resp:
                if resp.status != 200:
                    raise LocalKubeError(f"etcd compaction: {resp.status} {await resp.text()}")
        return revision

    def configuration(self, token: str | None = None):
        """A fresh kubernetes_asyncio Configuration for this server (admin unless `token`)."""
        from controller.kube.k8s_lib import Configuration

        cfg = Configuration(
            host=self.url,
            api_key={"BearerToken": token or self.token},
            api_key_prefix={"BearerToken": "Bearer"},
        )
        cfg.ssl_ca_cert = self.ca_file
        return cfg

    # ------------------------------------------------------------------ config
    def _write_token_file(self) -> None:
        self.token_file = self.workdir / "tokens.csv"
        self.token_file.write_text(f'{self.token},{self.ADMIN_USER},uid-admin,"system:masters"\n')

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "local", "cluster": {"server": self.url, "certificate-authority": self.ca_file}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
            "current-context": "local",
        }
        self.kubeconfig_path.write_text(yaml.safe_dump(config))

    def _etcd_argv(self) -> list[str]:
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        return [
            str(self.artifacts.etcd),
            "--name=latticegw-test",
            f"--data-dir={self.workdir / 'etcd-data'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=latticegw-test={peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]

    def _apiserver_argv(self) -> list[str]:
        return [
            str(self.artifacts.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--tls-cert-file={self.pki['cert']}",
            f"--tls-private-key-file={self.pki['key']}",
            f"--cert-dir={self.workdir / 'certs'}",
            f"--token-auth-file={self.token_file}",
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            f"--service-account-issuer=https://127.0.0.1:{self.port}",
            f"--service-account-key-file={self.pki['sa_pub']}",
            f"--service-account-signing-key-file={self.pki['sa_key']}",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            "-v=1",
            *self.extra_apiserver_args,
        ]
