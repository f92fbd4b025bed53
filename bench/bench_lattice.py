"""Benchmark: LatticeSync.apply_source for N routes (2 backends each) against the emulator.

Measures the AWS layer alone (no Kubernetes): seconds until every route's Lattice resources exist
and are ACTIVE, total AWS calls (and per route), then the cost of a no-op pass over all routes and
The emulator runs as its own process (`latticegw emulator`, so client and server each get a core)
with a fixed latency per call (default 20 ms), so concurrency matters as it would against AWS.

    .venv/bin/python bench/bench_lattice.py [--routes 500] [--workers 1,16] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lattice.client import LatticeClient  # noqa: E402
from lattice.config import BucketSpec, LatticeConfig  # noqa: E402
from lattice.emulator import EmulatorControl  # noqa: E402
from lattice.inventory import Inventory  # noqa: E402
from lattice.sync import LatticeSync  # noqa: E402
from translate import Snapshot, TranslateConfig, translate  # noqa: E402


def objects(n: int) -> list[dict]:
    objs: list[dict] = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench", "labels": {"kubernetes.io/metadata.name": "bench"}}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "bench", "namespace": "bench"},
         "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}},
    ]
    for i in range(n):
        for b in ("a", "b"):
            svc = f"svc-{i}-{b}"
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": "bench"},
                         "spec": {"ipFamilies": ["IPv4"], "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}]}})
            objs.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                         "metadata": {"name": f"{svc}-x", "namespace": "bench", "labels": {"kubernetes.io/service-name": svc}},
                         "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
                         "endpoints": [{"addresses": [f"10.{i // 250}.{i % 250}.{1 if b == 'a' else 2}"],
                                        "conditions": {"ready": True, "serving": True, "terminating": False}}]})
        objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                     "metadata": {"name": f"route-{i}", "namespace": "bench"},
                     "spec": {"parentRefs": [{"name": "bench", "sectionName": "http"}],
                              "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/a"}}],
                                         "backendRefs": [{"name": f"svc-{i}-a", "kind": "Service", "port": 80}]},
                                        {"matches": [{"path": {"type": "PathPrefix", "value": "/b"}}],
                                         "backendRefs": [{"name": f"svc-{i}-b", "kind": "Service", "port": 80}]}]}})
    return objs


async def run(routes: int, workers: int, latency: float) -> None:
    cfg = TranslateConfig(cluster_name="bench", vpc_id="vpc-00000000000000000", account_id="123456789012",
                          region="us-west-2")
    t = translate(Snapshot.of(objects(routes)), cfg)
    sources = sorted({s.source for s in t.services})
    proc, url = await start_emulator()
    try:
        async with EmulatorControl(url) as ctl:
            await ctl.configure(quotas={"services": 100000, "target_groups": 100000,
                                        "service_associations_per_service_network": 100000})
            lc = LatticeConfig(endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
                               max_pool_connections=max(10, workers * 2),
                               buckets={"read": BucketSpec(200, 400), "write": BucketSpec(100, 200),
                                        "tag": BucketSpec(50, 100)})
            async with LatticeClient(lc) as client:
                await client.call("CreateServiceNetwork", name="bench")
                inv = Inventory(client, cfg.managed_by)
                await inv.load()
                sync = LatticeSync(client, inv)
                await ctl.set_latency("*", fixed=latency)
                await ctl.reset_calls()
                queue: asyncio.Queue = asyncio.Queue()
                for s in sources:
                    queue.put_nowait(s)
                passes = 0

                async def worker() -> None:
                    nonlocal passes
                    while True:
                        try:
                            src = queue.get_nowait()
                        except asyncio.QueueEmpty:
                            return
                        while True:
                            passes += 1
                            res = await sync.apply_source(src, t.services_of(src), t.target_groups_of(src))
                            if res.converged:
                                break
                            await asyncio.sleep(min(res.requeue_after or 0.1, 0.1))

                started = time.monotonic()
                await asyncio.gather(*(worker() for _ in range(workers)))
                took = time.monotonic() - started
                calls = await ctl.calls()
                print(f"{routes} routes x 2 backends, {workers} workers, {latency * 1000:.0f} ms/call: "
                      f"{took:.1f} s, {calls['total']} AWS calls ({calls['total'] / routes:.1f}/route), "
                      f"{passes} apply passes")
                await ctl.reset_calls()
                started = time.monotonic()
                for src in sources:
                    await sync.apply_source(src, t.services_of(src), t.target_groups_of(src))
                print(f"  no-op pass over all routes: {(await ctl.calls())['total']} AWS calls, "
                      f"{time.monotonic() - started:.2f} s")
    finally:
        proc.terminate()
        await proc.wait()


async def start_emulator() -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controller.cli.main", "emulator", "--port", "0",
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=Path(__file__).resolve().parent.parent)
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if "listening on" not in line:
        raise RuntimeError(f"emulator did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", type=int, default=500)
    ap.add_argument("--workers", default="1,16")
    ap.add_argument("--latency", type=float, default=0.02)
    a = ap.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for w in (int(x) for x in a.workers.split(",")):
        asyncio.run(run(a.routes, w, a.latency))


if __name__ == "__main__":
    main()
