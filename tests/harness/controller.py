"""An end-to-end environment: the real API server (the `kube` fixture), a fresh Lattice
emulator, and the real controller (Manager + reconcilers) running in this event loop.

    async def test_x(controller_env):
        env = controller_env
        await env.apply_example("my-hotel")
        await env.wait_until(env.converged, "my-hotel converges")
        state = await env.state()           # the emulator's dump

Examples are re-homed into per-test namespaces (`env.ns(name)`), so tests never see
each other's objects. Nothing in the code under test is patched: the controller talks
to the API server over HTTPS and to the emulator through aioboto3 over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aioboto3

from controller import config as config_mod
from controller.cli.demo import ROUTE_KINDS, problems_of
from controller.cli.manifests import load
from controller.embedded import running_manager
from lattice.emulator import EmulatorControl, run_emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {
    "CLUSTER_NAME": "itest",
    "CLUSTER_VPC_ID": "vpc-0123456789abcdef0",
    "AWS_ACCOUNT_ID": "123456789012",
    "REGION": "us-west-2",
}


def retarget(objs: list[dict], mapping: dict[str, str]) -> list[dict]:
    """Copies of `objs` with namespaces renamed by `mapping` everywhere they appear."""
    out = []
    for obj in copy.deepcopy(objs):
        meta = obj.setdefault("metadata", {})
        if obj["kind"] == "Namespace":
            meta["name"] = mapping.get(meta["name"], meta["name"])
            meta.get("labels", {}).pop("kubernetes.io/metadata.name", None)
        elif obj["kind"] not in ("GatewayClass", "ServiceNetwork"):
            meta["namespace"] = mapping.get(meta.get("namespace", "default"), meta.get("namespace", "default"))
        _rename_refs(obj.get("spec"), mapping)
        out.append(obj)
    return out


def _rename_refs(node: Any, mapping: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "namespace" and isinstance(value, str):
                node[key] = mapping.get(value, value)
            else:
                _rename_refs(value, mapping)
    elif isinstance(node, list):
        for item in node:
            _rename_refs(item, mapping)


class ControllerEnv:
    def __init__(self, kube, emulator, control: EmulatorControl, config: config_mod.Config, prefix: str) -> None:
        self.kube = kube
        self.emulator = emulator
        self.control = control
        self.config = config
        self.manager = None
        self._running: contextlib.AsyncExitStack | None = None
        self.prefix = prefix
        self.applied: list[dict] = []
        self.namespaces: set[str] = set()

    # -- the controller -------------------------------------------------------------------------
    async def start(self) -> None:
        """A new controller process, as far as the controller can tell: fresh caches, queue,
        reconcilers and Lattice client and inventory; the same cluster, Lattice and config.
        Returns once it leads (stop, then start: what a failover looks like to the next leader)."""
        stack = contextlib.AsyncExitStack()
        self.manager = await stack.enter_async_context(running_manager(self.config))
        self._running = stack
        await self.wait_until(lambda: self.manager.leading, "the controller leads", timeout=60)

    async def stop(self) -> None:
        """Stop it gracefully, as a SIGTERM'd leader stops."""
        if self._running is not None:
            running, self._running = self._running, None
            await running.aclose()

    # -- Kubernetes ---------------------------------------------------------------------------
    def ns(self, name: str) -> str:
        return f"{self.prefix}-{name}"[:63]

    def example(self, name: str) -> list[dict]:
        objs = load([str(EXAMPLES / name)])
        namespaces = {o["metadata"].get("namespace", "default") for o in objs if o["kind"] not in ("Namespace",)}
        namespaces |= {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
        namespaces.discard(None)
        return retarget(objs, {n: self.ns(n) for n in namespaces})

    async def apply(self, objs: list[dict]) -> None:
        for obj in objs:
            if obj["kind"] == "Namespace":
                self.namespaces.add(obj["metadata"]["name"])
            elif obj.get("metadata", {}).get("namespace"):
                self.namespaces.add(obj["metadata"]["namespace"])
                await self.kube.create_namespace(obj["metadata"]["namespace"])
            await self.kube.apply(obj, field_manager="itest")
            self.applied.append(obj)

    async def apply_example(self, name: str) -> list[dict]:
        objs = self.example(name)
        await self.create_service_networks(objs)
        await self.apply(objs)
        return objs

    async def get(self, obj: dict) -> dict | None:
        status, body = await self.kube.request("GET", await self.kube.object_path(obj))
        return body if status == 200 else None

    async def delete(self, obj: dict) -> None:
        await self.kube.request("DELETE", await self.kube.object_path(obj))

    async def wait_until(self, check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
        """Poll `check` (a coroutine function, or a plain one) until it returns something true."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if inspect.isawaitable(last):
                last = await last
            if last:
                return last
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what} (last: {last!r})")

    async def converged(self, objs: list[dict] | None = None) -> bool:
        """Every Gateway Programmed, every route Accepted+ResolvedRefs with a DNS annotation."""
        for obj in objs if objs is not None else self.applied:
            if obj["kind"] != "Gateway" and obj["kind"] not in ROUTE_KINDS:
                continue
            live = await self.get(obj)
            # The same criterion `latticegw demo` waits for, so the demo's notion is tested too.
            if live is None or problems_of(live):
                return False
        return True

    async def delete_all(self, timeout: float = 60.0) -> None:
        """Delete what this test applied (routes first) and wait until the controller let it go.

        Run at teardown, while the controller still runs, so no test leaves objects with our
        finalizers behind for the next test's controller to find.
        """
        order = {k: i for i, k in enumerate(("HTTPRoute", "GRPCRoute", "TLSRoute", "ServiceExport"))}
        objs = sorted(self.applied, key=lambda o: order.get(o["kind"], 9))
        for obj in objs:
            if obj["kind"] != "GatewayClass":
                await self.delete(obj)

        left: list[str] = []

        async def all_gone() -> bool:
            left.clear()
            for obj in objs:
                if obj["kind"] in ("GatewayClass", "Namespace"):
                    continue
                live = await self.get(obj)
                if live is not None:
                    meta = live["metadata"]
                    left.append(f"{obj['kind']}/{meta.get('namespace')}/{meta['name']} "
                                f"finalizers={meta.get('finalizers')}")
            return not left

        try:
            await self.wait_until(all_gone, "every applied object is deleted", timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; still there: {left}") from None

    # -- Lattice ------------------------------------------------------------------------------
    def aws(self):
        return aioboto3.Session().client("vpc-lattice", **self.emulator.client_kwargs())

    async def create_service_networks(self, objs: list[dict]) -> None:
        """The walkthrough's AWS CLI step: the Gateways' service networks exist beforehand."""
        names = sorted({o["metadata"]["name"] for o in objs if o["kind"] == "Gateway"})
        async with self.aws() as aws:
            existing = {sn["name"] for sn in (await aws.list_service_networks())["items"]}
            for name in names:
                if name not in existing:
                    await aws.create_service_network(name=name)

    async def state(self) -> dict:
        return await self.control.partition()

    async def calls(self) -> dict[str, int]:
        return dict((await self.control.calls())["calls"])

    async def reset_calls(self) -> None:
        await self.control.reset_calls()

    async def quiesce(self, seconds: float = 1.0, timeout: float = 60.0) -> None:
        """Wait until the work queue has been empty (nothing pending or processing) for `seconds`."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            q = self.manager.queue
            # Delayed re-checks (e.g. a Gateway looking for its service network a minute
            # from now) do not count: idle means nothing is runnable or running.
            busy = len(q) > 0 or bool(q.processing_keys())
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= seconds:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the controller never went idle")


@contextlib.asynccontextmanager
async def controller_env(kube, monkeypatch, *, emulator_options: dict | None = None, config: dict | None = None,
                         tagging_api: bool = False):
    """`tagging_api`: the controller finds its resources with the Resource Groups Tagging API
    (as on AWS, where it is on by default), which the emulator serves on the same port."""
    for key, value in {"AWS_ACCESS_KEY_ID": "itest", "AWS_SECRET_ACCESS_KEY": "itest",
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)
    async with run_emulator(host="127.0.0.1", port=0, **(emulator_options or {})) as emu:
        # certificates: import and discovery (ACM), served by the emulator too
        env = dict(ENV, LATTICE_ENDPOINT=emu.url, LATTICEGW_ACM_ENDPOINT=emu.url)
        if tagging_api:
            env["LATTICEGW_TAGGING_ENDPOINT"] = emu.url
        flags = {"kubeconfig": str(kube.kubeconfig_path), "sidecar_address": "127.0.0.1:0",
                 "leader_elect": "false", "queue_store": "memory", "log_level": "warning",
                 "identity": f"itest-{uuid.uuid4().hex[:6]}"}
        flags.update(config or {})
        cfg = config_mod.load(flags, env)
        async with EmulatorControl(emu.url) as control:
            env = ControllerEnv(kube, emu, control, cfg, f"e{uuid.uuid4().hex[:6]}")
            await env.start()
            try:
                yield env
            finally:
                # Also when the test failed inside `async with`: objects left behind would be
                # picked up (with our finalizers) by the next test's controller.
                try:
                    await control.clear_faults()
                    await env.delete_all()
                finally:
                    # Even when the controller did not let go: nothing of this test may outlive it.
                    for name in sorted(env.namespaces):
                        await kube.purge_namespace(name)
                    await env.stop()
