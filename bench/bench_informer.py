"""Informer throughput and memory against a real kube-apiserver + etcd on loopback.

Prints:
  * initial LIST of 20,000 EndpointSlices into the informer cache: objects/s (pages of 500,
    orjson, trimmed and stamped, indexed), end to end through the API server;
  * memory held per cached EndpointSlice (RSS delta after GC, and the JSON size for scale);
  * watch events/s end to end: 5,000 writes by 32 concurrent clients, measured until the
    informer has seen every event (bound by the API server on 2 cores);
  * the informer's own ceiling: watch-event lines parsed and dispatched per second, fed
    from memory (no network), so the client-side cost per event is visible.

Needs the API server build (`make kube`); uses `controller.localkube` to start it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controller.kube.cache import Cache  # noqa: E402
from controller.kube.client import KubeClient  # noqa: E402
from controller.kube.discovery import Resource  # noqa: E402
from controller.kube.informer import Informer, gc_paused  # noqa: E402
from controller.kube.store import project  # noqa: E402
from controller.localkube import LocalKube  # noqa: E402

N_LIST = int(os.environ.get("BENCH_SLICES", "20000"))
N_WATCH = int(os.environ.get("BENCH_WATCH_EVENTS", "5000"))
NS = "bench"
SLICES = Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True)


def endpoint_slice(i: int) -> dict:
    svc = f"svc-{i // 4}"
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{svc}-{i % 4:05d}x{i}", "namespace": NS,
                     "labels": {"kubernetes.io/service-name": svc, "endpointslice.kubernetes.io/managed-by": "bench"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [f"10.{(i >> 8) & 255}.{i & 255}.{e + 1}"],
             "conditions": {"ready": True, "serving": True, "terminating": False},
             "nodeName": f"ip-10-0-{e}-{i % 200}.ec2.internal", "zone": f"us-west-2{'abc'[e % 3]}",
             "targetRef": {"kind": "Pod", "namespace": NS, "name": f"{svc}-pod-{e}", "uid": f"{i:08d}-0000-0000-0000-{e:012d}"}}
            for e in range(5)
        ],
    }


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def create_all(kube: LocalKube, objs: list[dict], concurrency: int = 32) -> float:
    client = KubeClient(kube.configuration())
    path = f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices"
    it = iter(objs)

    async def worker():
        for obj in it:
            await client.request("POST", path, body=obj, timeout=60)

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    dt = time.perf_counter() - t
    await client.close()
    return len(objs) / dt


async def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        async with LocalKube.started(Path(d)) as kube:
            await kube.create_namespace(NS)
            objs = [endpoint_slice(i) for i in range(N_LIST)]
            json_size = sum(len(orjson.dumps(o)) for o in objs) / len(objs)
            rate = await create_all(kube, objs)
            print(f"setup: created {N_LIST:,} EndpointSlices at {rate:,.0f}/s (~{json_size:,.0f} B JSON each)")
            del objs

            client = KubeClient(kube.configuration())
            cache = Cache()
            gc.collect()
            before = rss()
            inf = Informer(client, SLICES, cache, lambda *a: None)
            t = time.perf_counter()
            task = asyncio.create_task(inf.run())
            await inf.synced.wait()
            dt = time.perf_counter() - t
            gc.collect()
            held = rss() - before
            n = len(cache.stores["EndpointSlice"])
            print(f"informer initial LIST:   {n / dt:>10,.0f} objects/s  ({n:,} EndpointSlices in {dt:.2f}s)")
            print(f"memory per cached slice: {held / n:>10,.0f} B  (RSS delta {held / 2**20:.1f} MiB)")

            gc.collect()
            gc.freeze()  # what the manager does once every informer has synced

            # Watch events end to end: updates by concurrent writers until the informer has them all.
            start_events = inf.events
            names = [o["metadata"]["name"] for o in cache.stores["EndpointSlice"].list(NS)][:N_WATCH]
            writer = KubeClient(kube.configuration())
            it = iter(names)

            async def w():
                for name in it:
                    await writer.request(
                        "PATCH", f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices/{name}",
                        body={"metadata": {"labels": {"bench": "touched"}}},
                        content_type="application/merge-patch+json", timeout=60)

            t = time.perf_counter()
            await asyncio.gather(*(w() for _ in range(32)))
            while inf.events - start_events < len(names):
                await asyncio.sleep(0.005)
            dt = time.perf_counter() - t
            print(f"watch events end to end: {len(names) / dt:>10,.0f} events/s  ({len(names):,} updates, "
                  "bound by the API server)")
            await writer.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

            # Client-side ceiling, steady state: MODIFIED events for objects already cached
            # (20,000 slices, frozen as after sync), parsed and dispatched from memory.
            objs = cache.stores["EndpointSlice"].list(NS)
            lines = []
            for i in range(50_000):
                o = objs[i % len(objs)]
                o = dict(o, metadata=dict(o["metadata"], resourceVersion=str(10_000_000 + i)))
                lines.append(orjson.dumps({"type": "MODIFIED", "object": o}))
            del o
            calls = 0

            def on_change(*_a):
                nonlocal calls
                calls += 1

            inf2 = Informer(client, SLICES, cache, on_change)
            gc.collect()
            await asyncio.sleep(2)  # let the API server settle; it shares the 2 cores
            t = time.perf_counter()
            for line in lines:
                inf2._dispatch(orjson.loads(line))  # noqa: SLF001 - measuring the hot path itself
            dt = time.perf_counter() - t
            assert calls == len(lines)
            print(f"informer event ceiling:  {len(lines) / dt:>10,.0f} events/s  "
                  f"({dt / len(lines) * 1e6:.1f} µs/event parse+store+index+handler, no network)")

            # Client-side LIST ceiling: the same pages parsed, trimmed and swapped in from memory.
            pages = [orjson.dumps({"metadata": {"resourceVersion": "1"}, "items": objs[i:i + 500]})
                     for i in range(0, len(objs), 500)]
            fresh = Cache()
            fresh.store("EndpointSlice", True)
            t = time.perf_counter()
            items = []
            with gc_paused():  # as Informer.relist does
                for page in pages:
                    doc = orjson.loads(page)
                    items.extend(project(o, SLICES.api_version, "EndpointSlice") for o in doc["items"])
                fresh.replace("EndpointSlice", items)
            dt = time.perf_counter() - t
            print(f"informer LIST ceiling:   {len(items) / dt:>10,.0f} objects/s  (parse+trim+store+index, no network)")
            await client.close()


if __name__ == "__main__":
    asyncio.run(main())
