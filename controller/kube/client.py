"""A thin raw-JSON client for the Kubernetes API on top of kubernetes-asyncio.

Why not the generated API classes: model objects cost 7-21x more CPU per LIST and
28-44x per watch event, `CustomObjectsApi.patch_*` picks the wrong content type
for dicts, and the client sends an unlimited `ClientTimeout` unless told
otherwise (see `reference/python-stack.md`). So we keep kubernetes-asyncio for
what it does well -- loading kubeconfig / in-cluster config, TLS, token refresh
hooks, the aiohttp session -- and speak HTTP + orjson ourselves.

Every request has a timeout; watches have a server-side `timeoutSeconds` and a
client-side `sock_read` guard so a half-open connection cannot blind an informer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import time
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlencode, urlsplit

import aiohttp
import orjson
import yaml

from controller.kube.k8s_lib import ApiClient, Configuration
from controller.kube.k8s_lib import config as k8s_config
from controller.version import __version__

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
JSON = "application/json"


class KubeError(Exception):
    """A non-2xx answer from the API server (or a transport failure, status 0)."""

    def __init__(self, status: int, reason: str, body: dict | None = None, method: str = "", path: str = ""):
        self.status = status
        self.reason = reason
        self.body = body or {}
        msg = self.body.get("message") if isinstance(self.body, dict) else None
        super().__init__(f"{method} {path}: {status} {reason}" + (f": {msg}" if msg else ""))

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        return self.status == 410


class KubeConfigError(Exception):
    """No usable way to reach the API server: the message says what was tried and what to do."""


async def load_configuration(kubeconfig: str | None = None, context: str | None = None) -> Configuration:
    """In-cluster config when running in a pod and no kubeconfig is given, else kubeconfig.
    Raises KubeConfigError (never the library's exceptions) when neither works.

    The configuration object is passed explicitly everywhere: a client built from
    the *default* configuration copies it, and the in-cluster token refresh hook
    then never reaches later calls (tomplus/kubernetes_asyncio#253).
    """
    cfg = Configuration()
    if kubeconfig is None:
        try:
            k8s_config.load_incluster_config(client_configuration=cfg)
            return cfg
        except k8s_config.ConfigException:
            pass
        default = os.path.expanduser(k8s_config.KUBE_CONFIG_DEFAULT_LOCATION)
        if not os.environ.get("KUBECONFIG") and not os.path.exists(default):
            raise KubeConfigError(f"not running in a cluster and no kubeconfig at {default}; "
                                  "pass --kubeconfig FILE or set KUBECONFIG")
    path = kubeconfig or os.environ.get("KUBECONFIG", "")
    if path and os.pathsep not in path and not os.path.exists(os.path.expanduser(path)):
        raise KubeConfigError(f"kubeconfig {path}: no such file; pass --kubeconfig FILE or set KUBECONFIG")
    try:
        loader = await k8s_config.load_kube_config(config_file=kubeconfig, context=context,
                                                   client_configuration=cfg)
    except (k8s_config.ConfigException, OSError, ValueError, TypeError, AttributeError, yaml.YAMLError) as exc:
        where = kubeconfig or os.environ.get("KUBECONFIG") or k8s_config.KUBE_CONFIG_DEFAULT_LOCATION
        raise KubeConfigError(f"cannot use kubeconfig {where}: {' '.join(str(exc).split())}") from None
    # Exec-plugin tokens (EKS `aws eks get-token`) expire; KubeClient keeps them fresh.
    cfg.latticegw_loader = loader
    return cfg


def api_server_proxy(host: str, configured: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The proxy the API server is reached through, decided once at start, as client-go decides
    it: the kubeconfig's `proxy-url` for any host; else HTTPS_PROXY (HTTP_PROXY for an http://
    server; upper case first, then lower) unless NO_PROXY covers the host, and never for localhost
    or a loopback address (Go's net/http/httpproxy). Not aiohttp's `trust_env`: that looked the
    environment up again, and read ~/.netrc, in a thread for every request (two thread hops per
    write), and its NO_PROXY knows no CIDR blocks, which in-cluster NO_PROXY lists use."""
    if configured:
        return configured
    env = os.environ if env is None else env
    parts = urlsplit(host)
    name = (parts.hostname or "").lower()
    ip = _ip(name)
    if not name or name == "localhost" or (ip is not None and ip.is_loopback):
        return None
    proxy = _env_any(env, f"{parts.scheme.upper()}_PROXY")
    if not proxy:
        return None
    port = str(parts.port or (443 if parts.scheme == "https" else 80))
    return None if _no_proxy(_env_any(env, "NO_PROXY"), name, port, ip) else proxy


def _env_any(env: Mapping[str, str], upper: str) -> str:
    return env.get(upper) or env.get(upper.lower()) or ""


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _no_proxy(no_proxy: str, name: str, port: str, ip) -> bool:
    """NO_PROXY as Go reads it: `*`; a CIDR block or an IP address (with an optional port); or a
    domain, matching that name and its subdomains (`.y.com` and `*.y.com`: subdomains only)."""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            with contextlib.suppress(ValueError):
                if ip is not None and ip in ipaddress.ip_network(entry, strict=False):
                    return True
            continue
        host, want_port = entry, ""
        head, sep, tail = entry.rpartition(":")
        if sep and tail.isdigit() and (head.startswith("[") or ":" not in head):
            host, want_port = head, tail
        if want_port and want_port != port:
            continue
        entry_ip = _ip(host)
        if entry_ip is not None:
            if ip == entry_ip:
                return True
            continue
        subdomains_only = host.startswith((".", "*."))
        domain = host.lstrip("*").lstrip(".")
        if name.endswith("." + domain) or (not subdomains_only and name == domain):
            return True
    return False


class KubeClient:
    def __init__(self, configuration: Configuration, *, metrics=None, timeout: float = 30.0) -> None:
        self.configuration = configuration
        self.api_client = ApiClient(configuration)
        self.api_client.user_agent = f"latticegw/{__version__}"
        # Our own session on the library's connector (its TLS settings: CA, client certificate,
        # server name), without trust_env; the proxy is decided once (api_server_proxy).
        library = self.api_client.rest_client.pool_manager
        self.session = aiohttp.ClientSession(connector=library.connector, connector_owner=False,
                                             read_bufsize=2**21)  # as the library's: big watch events
        self.host = (configuration.host or "").rstrip("/")
        self.proxy = api_server_proxy(self.host, configuration.proxy)
        self._host_label = urlsplit(self.host).netloc
        self.timeout = timeout
        self.metrics = metrics
        self._refresher: asyncio.Task | None = None
        loader = getattr(configuration, "latticegw_loader", None)
        if loader is not None and (getattr(loader, "provider", None) == "gcp" or "exec" in (loader._user or {})):
            self._refresher = asyncio.get_running_loop().create_task(
                k8s_config.refresh_token(loader, configuration), name="kube-token-refresh")

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        await self.session.close()
        await self.api_client.close()

    async def _headers(self, content_type: str | None) -> dict[str, str]:
        headers: dict[str, str] = {"Accept": JSON, "User-Agent": str(self.api_client.user_agent)}
        if content_type:
            headers["Content-Type"] = content_type
        await self.api_client.update_params_for_auth(headers, [], ["BearerToken"])
        return headers

    def _url(self, path: str, query: dict | None) -> str:
        url = self.host + path
        if query:
            url += "?" + urlencode({k: _qv(v) for k, v in query.items() if v is not None})
        return url

    def _observe(self, method: str, code: int | str, started: float) -> None:
        if self.metrics is not None:
            self.metrics.rest_request(method, str(code), self._host_label, time.perf_counter() - started)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: dict | None = None,
        body: dict | list | None = None,
        content_type: str = JSON,
        timeout: float | None = None,
    ) -> dict:
        """One request, parsed with orjson. Raises KubeError on non-2xx or transport failure."""
        headers = await self._headers(content_type if body is not None else None)
        data = orjson.dumps(body) if body is not None else None
        t = self.timeout if timeout is None else max(0.001, timeout)
        started = time.perf_counter()
        try:
            async with self.session.request(
                method,
                self._url(path, query),
                data=data,
                headers=headers,
                proxy=self.proxy,
                timeout=aiohttp.ClientTimeout(total=t, sock_connect=min(t, 10.0)),
            ) as resp:
                raw = await resp.read()
                status = resp.status
                reason = resp.reason or ""
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self._observe(method, "<error>", started)
            raise KubeError(0, f"{type(exc).__name__}: {exc}", None, method, path) from exc
        self._observe(method, status, started)
        parsed = _loads(raw)
        if not 200 <= status <= 299:
            raise KubeError(status, reason, parsed if isinstance(parsed, dict) else None, method, path)
        return parsed if isinstance(parsed, dict) else {}

    async def get(self, path: str, query: dict | None = None, timeout: float | None = None) -> dict:
        return await self.request("GET", path, query=query, timeout=timeout)

    @contextlib.asynccontextmanager
    async def stream(self, path: str, query: dict, *, sock_read: float = 90.0) -> AsyncIterator[aiohttp.ClientResponse]:
        """A streaming GET (watch). The response is released on exit, whatever happens."""
        headers = await self._headers(None)
        started = time.perf_counter()
        try:
            resp = await self.session.get(
                self._url(path, query),
                headers=headers,
                proxy=self.proxy,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=sock_read),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self._observe("WATCH", "<error>", started)
            raise KubeError(0, f"{type(exc).__name__}: {exc}", None, "WATCH", path) from exc
        self._observe("WATCH", resp.status, started)
        try:
            if not 200 <= resp.status <= 299:
                raw = await resp.read()
                parsed = _loads(raw)
                raise KubeError(resp.status, resp.reason or "", parsed if isinstance(parsed, dict) else None, "WATCH", path)
            yield resp
        finally:
            resp.release()


def _qv(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _loads(raw: bytes):
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"message": raw[:500].decode("utf-8", "replace")}
