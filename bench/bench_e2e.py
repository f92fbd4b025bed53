"""End to end: N HTTPRoutes created at once, until every one is Accepted with its DNS name.

For each worker count (1, and the controller's default), on loopback only:
  * a fresh kube-apiserver + etcd (`controller.localkube`, with our CRDs), so runs never see each
    other's objects;
  * a fresh Lattice emulator with a fixed latency injected on every call (default 20 ms), through
    its control API;
  * the real controller (`controller.embedded.running_manager`, Config from `controller.config.load`);
  * one Gateway (its service network created beforehand, as in the walkthroughs), and per route two
    Services with an EndpointSlice each (two ready endpoints), created before the controller starts;
  * then the clock starts and N HTTPRoutes (one rule, the two Services as weighted backends) are
    created concurrently; it stops when every route is Accepted + ResolvedRefs with the
    `lattice-assigned-domain-name` annotation, the Gateway is Programmed, and the emulator's state
    holds every route's complete desired model (`lattice.desired_state.missing`: service,
    association, listener, rule, target groups and all their targets) - a route's status alone says
    only that its service exists.

Prints seconds to converge, AWS calls (the emulator's counters, total and writes), calls per route,
and the ratios 1 worker / default. Bounded by BENCH_TIMEOUT seconds per run.

Then a takeover (BENCH_TAKEOVER=0 skips it): the controller stops once everything converged and
its queue is empty, a new one (a new identity, fresh caches and inventory) starts against the
same cluster and Lattice, and the clock runs until it has replayed every object and is idle:
seconds and AWS calls. Once as it is, with every object's `latticegw.io/applied` progress record,
and once more after the records were stripped, which is what the takeover costs without them.

    .venv/bin/python bench/bench_e2e.py                      # 500 routes, 20 ms
    BENCH_ROUTES=50 .venv/bin/python bench/bench_e2e.py      # quicker
    BENCH_WORKERS=1,16 BENCH_LATENCY=0.02 BENCH_TIMEOUT=1200 BENCH_TAGGING=0 BENCH_TAKEOVER=0 ...

The controller's adaptive AWS rates apply as in production (ceilings LATTICEGW_AWS_*_QPS/_BURST;
defaults: writes 200/s burst 10, reads 200/s burst 20, tags 100/s burst 10). bench_rates.py measures
them under throttling and storms.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import ssl
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controller import config as config_mod  # noqa: E402
from controller.embedded import running_manager  # noqa: E402
from controller.localkube import LocalKube  # noqa: E402
from controller.observe import logging as logging_mod  # noqa: E402
from lattice.desired_state import missing  # noqa: E402
from lattice.emulator import EmulatorControl, run_emulator  # noqa: E402
from translate import Snapshot, TranslateConfig, translate  # noqa: E402

N = int(os.environ.get("BENCH_ROUTES", "500"))
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.02"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "1200"))
DEFAULT_WORKERS = config_mod.Config().workers
WORKERS = [int(w) for w in os.environ.get("BENCH_WORKERS", f"1,{DEFAULT_WORKERS}").split(",")]
TAKEOVER = os.environ.get("BENCH_TAKEOVER", "1") != "0"
# As on AWS, where the controller finds its resources with the Resource Groups Tagging API (the
# emulator serves it on its own port); BENCH_TAGGING=0 measures DISABLE_TAGGING_SERVICE_API clusters.
TAGGING = os.environ.get("BENCH_TAGGING", "1") != "0"
RECORD = "latticegw.io/applied"
# Lattice's default quota is 500 target groups per account and Region: raise it to fit 2 per route
# (as a user with this many routes would have done).
QUOTAS = {"target_groups": max(500, 2 * N + 100), "services": max(2000, N + 100)}
CRDS = sorted((Path(__file__).resolve().parents[1] / "deploy" / "crds").glob("*.yaml"))
NS = "bench"
GATEWAY = "bench-sn"
DOMAIN = "application-networking.k8s.aws/lattice-assigned-domain-name"
WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Tag", "Untag", "Batch")
ENV = {"CLUSTER_NAME": "bench", "CLUSTER_VPC_ID": "vpc-0123456789abcdef0", "AWS_ACCOUNT_ID": "123456789012",
       "REGION": "us-west-2"}


class Kube:
    """A tiny raw client (one connection pool) for creating many objects fast."""

    def __init__(self, plane: LocalKube) -> None:
        self.plane = plane
        self.ssl = ssl.create_default_context(cafile=plane.ca_file)
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {plane.token}"},
            connector=aiohttp.TCPConnector(limit=32, ssl=self.ssl),
            timeout=aiohttp.ClientTimeout(total=60))

    async def close(self) -> None:
        await self.session.close()

    async def request(self, method: str, path: str, body: dict | None = None,
                      content_type: str = "application/json") -> tuple[int, dict]:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type} if data else {}
        async with self.session.request(method, self.plane.url + path, data=data, headers=headers) as resp:
            raw = await resp.read()
            return resp.status, (orjson.loads(raw) if raw else {})

    async def create(self, path: str, obj: dict) -> None:
        status, body = 0, {}
        for attempt in range(5):
            status, body = await self.request("POST", path, obj)
            if status in (201, 409):
                return
            if status == 429 or status >= 500:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            break
        raise RuntimeError(f"create {obj['kind']} {obj['metadata']['name']}: {status} {body}")


async def create_all(kube: Kube, items: list[tuple[str, dict]], concurrency: int = 24) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(path: str, obj: dict) -> None:
        async with sem:
            await kube.create(path, obj)

    await asyncio.gather(*(one(p, o) for p, o in items))


def backends(n: int) -> list[tuple[str, dict]]:
    out = []
    for i in range(n):
        for side in "ab":
            name = f"svc-{i}-{side}"
            out.append((f"/api/v1/namespaces/{NS}/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
                "spec": {"selector": {"app": name}, "clusterIP": "None",  # headless: no ClusterIP range to exhaust
                         "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}))
            out.append((f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices", {
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": f"{name}-x", "namespace": NS, "labels": {"kubernetes.io/service-name": name}},
                "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                "endpoints": [{"addresses": [f"10.{1 + (i >> 8)}.{i & 255}.{e + (10 if side == 'a' else 20)}"],
                               "conditions": {"ready": True, "serving": True, "terminating": False}}
                              for e in range(2)]}))
    return out


def routes(n: int) -> list[tuple[str, dict]]:
    return [(f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": f"route-{i}", "namespace": NS},
        "spec": {"parentRefs": [{"name": GATEWAY, "sectionName": "http"}],
                 "rules": [{"backendRefs": [{"name": f"svc-{i}-a", "port": 80, "weight": 80},
                                            {"name": f"svc-{i}-b", "port": 80, "weight": 20}]}]}})
        for i in range(n)]


def gateway_objects() -> list[tuple[str, dict]]:
    return [
        ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
        ("/apis/gateway.networking.k8s.io/v1/gatewayclasses", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": {"name": "amazon-vpc-lattice"},
            "spec": {"controllerName": config_mod.DEFAULT_CONTROLLER_NAME}}),
        (f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/gateways", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": GATEWAY, "namespace": NS},
            "spec": {"gatewayClassName": "amazon-vpc-lattice",
                     "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}),
    ]


def desired(n: int):
    """The translation of the bench's objects: what Lattice must hold once the controller is done."""
    objects = [o for _, o in gateway_objects() + backends(n) + routes(n)]
    t = translate(Snapshot.of(objects), TranslateConfig(
        cluster_name=ENV["CLUSTER_NAME"], vpc_id=ENV["CLUSTER_VPC_ID"], account_id=ENV["AWS_ACCOUNT_ID"],
        region=ENV["REGION"]))
    assert len(t.services) == n and len(t.target_groups) == 2 * n, "the bench's routes must all translate"
    return t


def _true(conditions, type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions or ())


def reported(route: dict) -> bool:
    """The route says it is done: Accepted and ResolvedRefs on each parent, and a DNS-name annotation."""
    parents = (route.get("status") or {}).get("parents") or []
    return bool(parents and all(_true(p.get("conditions"), "Accepted") and _true(p.get("conditions"), "ResolvedRefs")
                                for p in parents) and (route["metadata"].get("annotations") or {}).get(DOMAIN))


async def progress(kube: Kube) -> tuple[int, bool]:
    """(routes Accepted+ResolvedRefs with a DNS name, Gateway Programmed)."""
    done = 0
    cont = ""
    while True:
        status, body = await kube.request(
            "GET", f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes?limit=500"
                   + (f"&continue={cont}" if cont else ""))
        if status != 200:
            raise RuntimeError(f"list routes: {status} {body}")
        done += sum(1 for r in body["items"] if reported(r))
        cont = body["metadata"].get("continue") or ""
        if not cont:
            break
    status, gw = await kube.request("GET", f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/gateways/{GATEWAY}")
    return done, status == 200 and _true((gw.get("status") or {}).get("conditions"), "Programmed")


async def run(workers: int) -> dict:
    want = desired(N)
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        os.environ.setdefault(key, value)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        async with LocalKube.started(Path(tmp), extra_crds=CRDS) as plane, \
                run_emulator(host="127.0.0.1", port=0, quotas=QUOTAS) as emu, EmulatorControl(emu.url) as ctl:
            kube = Kube(plane)
            try:
                import aioboto3

                async with aioboto3.Session().client("vpc-lattice", **emu.client_kwargs()) as aws:
                    await aws.create_service_network(name=GATEWAY)
                for path, obj in gateway_objects():
                    await kube.create(path, obj)
                t = time.monotonic()
                await create_all(kube, backends(N))
                setup = time.monotonic() - t
                await ctl.set_latency("*", fixed=LATENCY)
                flags = {"kubeconfig": str(plane.kubeconfig_path), "sidecar_address": "127.0.0.1:0",
                         "leader_elect": "false", "queue_store": "memory", "log_level": "warning",
                         "identity": f"bench-{uuid.uuid4().hex[:6]}", "workers": workers,
                         "resync_seconds": 0}
                # the AWS client's knobs (LATTICEGW_AWS_*) as this process was given them
                env = {**{k: v for k, v in os.environ.items() if k.startswith("LATTICEGW_AWS_")},
                       **ENV, "LATTICE_ENDPOINT": emu.url}
                if TAGGING:
                    env["LATTICEGW_TAGGING_ENDPOINT"] = emu.url
                cfg = config_mod.load(flags, env)
                async with running_manager(cfg) as manager:
                    # wait until the informers have the Services/slices (the controller is ready)
                    await asyncio.wait_for(_synced(manager), 120)
                    await ctl.reset_calls()
                    t0 = time.monotonic()
                    await create_all(kube, routes(N))
                    created = time.monotonic() - t0
                    done, programmed, samples, gaps = 0, False, [], ["not checked"]
                    while time.monotonic() - t0 < TIMEOUT:
                        done, programmed = await progress(kube)
                        samples.append((time.monotonic() - t0, done))
                        if done == N and programmed:
                            gaps = missing(want.services, want.target_groups, await ctl.partition())
                            if not gaps:
                                break
                        await asyncio.sleep(0.5)
                    elapsed = time.monotonic() - t0
                    calls = (await ctl.calls())["calls"]
                    if TAKEOVER:
                        await asyncio.wait_for(_idle(manager, 0), TIMEOUT)  # the last records written
                result = {"workers": workers, "seconds": elapsed, "done": done, "programmed": programmed,
                          "timed_out": done < N or not programmed or bool(gaps), "created": created, "setup": setup,
                          "calls": Counter(calls), "half": next((s for s, d in samples if d >= N / 2), None)}
                if TAKEOVER and not result["timed_out"]:
                    result["takeover"] = await takeover(cfg, ctl)
                    await strip_records(kube)
                    result["takeover_without_records"] = await takeover(cfg, ctl)
                return result
            finally:
                await kube.close()


async def takeover(cfg, ctl) -> dict:
    """A new controller process takes over: seconds and AWS calls until it replayed every object
    and is idle."""
    await ctl.reset_calls()
    t0 = time.monotonic()
    async with running_manager(dataclasses.replace(cfg, identity=f"bench-{uuid.uuid4().hex[:6]}")) as manager:
        await asyncio.wait_for(_idle(manager, N), TIMEOUT)
        seconds = time.monotonic() - t0
    return {"seconds": seconds, "calls": Counter((await ctl.calls())["calls"])}


async def strip_records(kube: Kube) -> None:
    """Remove the progress record from every route and the Gateway (no controller runs)."""
    paths = [f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes/route-{i}" for i in range(N)]
    paths.append(f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/gateways/{GATEWAY}")
    sem = asyncio.Semaphore(24)

    async def one(path: str) -> None:
        async with sem:
            status, body = await kube.request("PATCH", path, {"metadata": {"annotations": {RECORD: None}}},
                                              content_type="application/merge-patch+json")
            if status != 200:
                raise RuntimeError(f"strip {path}: {status} {body}")

    await asyncio.gather(*(one(p) for p in paths))


async def _idle(manager, at_least: int) -> None:
    """Leading, at least `at_least` reconciles done, and nothing queued, running or delayed for 1 s."""
    quiet_since = None
    while True:
        q = manager.queue
        busy = (not manager.leading or manager.workers.processed < at_least or len(q) > 0
                or bool(q.processing_keys()) or q.delayed_count() > 0)
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= 1.0:
            return
        await asyncio.sleep(0.05)


async def _synced(manager) -> None:
    while not all(i.synced.is_set() for i in manager.informers.values()) or not manager.informers:
        await asyncio.sleep(0.1)


def report(results: list[dict]) -> None:
    print(f"\n{N} HTTPRoutes x 2 backends, emulator latency {LATENCY * 1000:.0f} ms/call, "
          f"timeout {TIMEOUT:.0f} s per run, tagging API {'on' if TAGGING else 'off'}")
    print(f"{'workers':>8} {'seconds':>9} {'50% at':>8} {'routes ok':>10} {'AWS calls':>10} {'writes':>8} "
          f"{'reads':>7} {'calls/route':>12}")
    for r in results:
        total = sum(r["calls"].values())
        writes = sum(n for op, n in r["calls"].items() if op.startswith(WRITE_PREFIXES))
        half = f"{r['half']:.1f}" if r["half"] is not None else "-"
        flag = "  TIMED OUT" if r["timed_out"] else ""
        print(f"{r['workers']:>8} {r['seconds']:>9.1f} {half:>8} {r['done']:>6}/{N:<3} {total:>10} {writes:>8} "
              f"{total - writes:>7} {total / N:>12.2f}{flag}")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        ta, tb = sum(a["calls"].values()), sum(b["calls"].values())
        print(f"ratio {a['workers']} worker / {b['workers']} workers: time x{a['seconds'] / b['seconds']:.2f}, "
              f"AWS calls x{ta / tb:.2f}" if tb else "")
    for r in results:
        print(f"calls with {r['workers']} worker(s): " + ", ".join(f"{op}={n}" for op, n in sorted(r["calls"].items())))
    for r in results:
        if "takeover" not in r:
            continue
        for label, t in (("with progress records", r["takeover"]),
                         ("records stripped", r["takeover_without_records"])):
            total = sum(t["calls"].values())
            print(f"takeover after the {r['workers']}-worker run, {label}: {t['seconds']:.1f} s until idle, "
                  f"{total} AWS calls" + (f" ({', '.join(f'{op}={n}' for op, n in sorted(t['calls'].items()))})"
                                           if total else ""))


async def main() -> None:
    logging_mod.configure(os.environ.get("BENCH_LOG_LEVEL", "warning"))
    results = []
    for w in WORKERS:
        print(f"run: {N} routes, {w} worker(s) ...", flush=True)
        r = await run(w)
        print(f"  {r['seconds']:.1f} s, {r['done']}/{N} routes, gateway programmed={r['programmed']}, "
              f"{sum(r['calls'].values())} AWS calls (route creation took {r['created']:.1f} s)", flush=True)
        results.append(r)
    report(results)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
