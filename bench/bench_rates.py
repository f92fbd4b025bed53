"""How fast AWS allows: N new routes converging, unthrottled, under a throttle profile, and through storms.

For each scenario, on loopback only: a fresh kube-apiserver + etcd (`controller.localkube`), a fresh
Lattice emulator in this process (20 ms injected on every call), and the controller as its own
process (`latticegw run`, defaults as in production), so its peak RSS is its own. One Gateway (its
service network made beforehand) and per route two Services with two ready endpoints each; then the
clock starts, N HTTPRoutes are created at once, and it stops only when both sides are done: the
emulator's state holds the complete desired model of every route (`lattice.desired_state.missing`:
service, association, listener, rule, both target groups and all their targets), and every route
says so in Kubernetes (Accepted and ResolvedRefs on each parent, and the DNS-name annotation equal
to its Lattice service's DNS name). Neither alone is the end: the AWS side may finish while routes
still wait for their status and annotation, and a route may look done while its rules are pending.

Scenarios (BENCH_SCENARIOS, comma-separated; default all):
  free      no throttling
  profile   the emulator throttles like AWS: BENCH_PROFILE (default writes=10/s,reads=20/s,tagging=10/s)
  storm5    free, but every call is refused (429, Retry-After 1) for 5 s, starting 1 s after the routes
  storm60   the same for 60 s
Routes: BENCH_ROUTES (default 100,500); storms run at the first N only.

Printed per run: seconds (both sides done), AWS calls (and per route), throttled calls (and %), writes needed (the
successful writes), the throttle-bound limit (writes needed / allowed write rate) and the ratio to
it; for storms, seconds from the storm's end to the first successful write and to convergence; the
longest any reconcile ran (workqueue_longest_running_processor_seconds, sampled); the controller's
peak RSS (VmHWM). Goals (issue 11): 100 routes free <= 6 s and <= 7 calls/route; profile <= 1.2x
the limit with <= 5% throttled; first write <= max(Retry-After, 2 s) after a storm; no reconcile
blocked > 30 s; peak RSS <= 80 MiB.

    .venv/bin/python bench/bench_rates.py
    BENCH_ROUTES=100 BENCH_SCENARIOS=free,storm5 .venv/bin/python bench/bench_rates.py
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Collection, Iterable
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_e2e as e2e  # noqa: E402  (the objects and the raw kube client)

from controller.localkube import LocalKube  # noqa: E402
from lattice.desired_state import missing  # noqa: E402
from lattice.emulator import EmulatorControl, run_emulator  # noqa: E402
from lattice.emulator.dump import dump_partition  # noqa: E402
from lattice.emulator.faults import operation_class, parse_throttle  # noqa: E402

ROUTES = [int(n) for n in os.environ.get("BENCH_ROUTES", "100,500").split(",")]
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "free,profile,storm5,storm60").split(",")
PROFILE = os.environ.get("BENCH_PROFILE", "writes=10/s,reads=20/s,tagging=10/s")
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.02"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "900"))
STORM_START = 1.0
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "warning")
LOGS = os.environ.get("BENCH_LOGS")  # a directory to keep each run's controller log in
THROTTLED = ("ThrottlingException", "ThrottledException")
# Seconds between samples of the controller's /metrics (its longest-running reconcile): rendering
# them costs the controller CPU (~0.1 s each on a loaded 2-core machine), so not every second.
PROBE_EVERY = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def state_of(emu) -> dict:
    """The emulator's state of the bench's partition, read in-process (no JSON round trip)."""
    part = emu.store.partition(e2e.ENV["AWS_ACCOUNT_ID"], e2e.ENV["REGION"])
    return dump_partition(part, emu.config, emu.now())


def routes_reported(n: int, routes: Collection[dict]) -> bool:
    """All n bench routes say they are done (`bench_e2e.reported`)."""
    return len(routes) == n and all(e2e.reported(r) for r in routes)


def dns_names_match(t, routes: Iterable[dict], partition: dict) -> bool:
    """Each route's DNS-name annotation is its Lattice service's DNS name in the emulator."""
    dns = {s["name"]: (s.get("dnsEntry") or {}).get("domainName") for s in partition.get("services", ())}
    service_of = {s.source.name: s.name for s in t.services
                  if s.source.kind == "HTTPRoute" and s.source.namespace == e2e.NS}
    for r in routes:
        name = service_of.get(r["metadata"]["name"])
        if name is None or (r["metadata"].get("annotations") or {}).get(e2e.DOMAIN) != dns.get(name):
            return False
    return True


class RouteWatch:
    """The bench's routes as the API server last sent them, kept by one watch. Polling instead cost
    the API server ~0.1 s of CPU per look at 100 routes, and the rarer looks that budget allowed
    blurred the clock by up to 2 s."""

    PATH = f"/apis/gateway.networking.k8s.io/v1/namespaces/{e2e.NS}/httproutes"

    def __init__(self, kube) -> None:
        self.kube = kube
        self.routes: dict[str, dict] = {}
        self.changes = 0  # events seen: look again only after one
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> RouteWatch:
        status, body = await self.kube.request("GET", self.PATH)
        if status != 200:
            raise RuntimeError(f"list routes: {status} {body}")
        self.routes = {r["metadata"]["name"]: r for r in body["items"]}
        self._task = asyncio.create_task(self._watch(body["metadata"]["resourceVersion"]))
        return self

    async def __aexit__(self, *_) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _watch(self, rv: str) -> None:
        url = f"{self.kube.plane.url}{self.PATH}?watch=1&resourceVersion={rv}"
        async with self.kube.session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as resp:
            if resp.status != 200:
                raise RuntimeError(f"watch routes: {resp.status} {await resp.text()}")
            async for line in resp.content:
                event = orjson.loads(line)
                obj = event["object"]
                if event["type"] == "DELETED":
                    self.routes.pop(obj["metadata"]["name"], None)
                elif event["type"] in ("ADDED", "MODIFIED"):
                    self.routes[obj["metadata"]["name"]] = obj
                else:
                    raise RuntimeError(f"watch routes: {event}")
                self.changes += 1


def writes_ok(data: dict) -> int:
    return sum(c.get("OK", 0) for op, c in data["outcomes"].items() if operation_class(op) != "reads")


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


async def settled(ctl: EmulatorControl, quiet: float = 0.5, limit: float = 15.0) -> None:
    """Wait until the controller has made no AWS call for `quiet` seconds (its start-up inventory
    and the Gateway's reconcile are done), so the routes' calls are counted alone."""
    last, since, start = -1, time.monotonic(), time.monotonic()
    while time.monotonic() - start < limit:
        total = (await ctl.calls())["total"]
        if total != last:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= quiet and total > 0:
            return
        await asyncio.sleep(0.1)


async def longest_reconcile(session: aiohttp.ClientSession, metrics_url: str) -> float:
    try:
        async with session.get(metrics_url) as r:
            text = await r.text()
    except aiohttp.ClientError:
        return 0.0
    values = [float(m.group(1)) for m in re.finditer(
        r"^workqueue_longest_running_processor_seconds\{[^}]*\} ([0-9.e+-]+)$", text, re.M)]
    return max(values, default=0.0)


async def start_controller(plane: LocalKube, emu_url: str, tmp: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = {**os.environ, **e2e.ENV, "LATTICE_ENDPOINT": emu_url, "LATTICEGW_TAGGING_ENDPOINT": emu_url,
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true",
           "RECONCILE_DEFAULT_RESYNC_SECONDS": "0", "NO_PROXY": "127.0.0.1,localhost,::1",
           "no_proxy": "127.0.0.1,localhost,::1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controller.cli.main", "run", "--kubeconfig", str(plane.kubeconfig_path),
        "--leader-elect", "false", "--queue-store", "memory", "--log-level", LOG_LEVEL,
        "--sidecar-address", f"127.0.0.1:{port}", "--identity", "bench",
        env=env, cwd=str(tmp), stdout=open(tmp / "controller.log", "w"), stderr=asyncio.subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as s:
        for _ in range(600):
            with contextlib.suppress(aiohttp.ClientError):
                async with s.get(base + "/readyz") as r:
                    if r.status == 200:
                        return proc, base
            if proc.returncode is not None:
                raise RuntimeError(f"controller exited: see {tmp / 'controller.log'}")
            await asyncio.sleep(0.1)
    raise RuntimeError("controller not ready after 60 s")


async def run(n: int, scenario: str) -> dict:
    t = e2e.desired(n)
    with tempfile.TemporaryDirectory(prefix="bench-rates-") as tmpdir:
        tmp = Path(tmpdir)
        async with LocalKube.started(tmp, extra_crds=e2e.CRDS) as plane, \
                run_emulator(host="127.0.0.1", port=0, quotas=e2e.QUOTAS) as emu, EmulatorControl(emu.url) as ctl:
            kube = e2e.Kube(plane)
            proc = None
            try:
                import aioboto3

                async with aioboto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                                            region_name="us-west-2").client("vpc-lattice", endpoint_url=emu.url) as aws:
                    await aws.create_service_network(name=e2e.GATEWAY)
                for path, obj in e2e.gateway_objects():
                    await kube.create(path, obj)
                await e2e.create_all(kube, e2e.backends(n))
                await ctl.set_latency("*", fixed=LATENCY)
                profile = parse_throttle(PROFILE) if scenario == "profile" else {}
                await ctl.configure(throttle=profile)
                proc, base = await start_controller(plane, emu.url, tmp)
                await settled(ctl)  # the Gateway's reconcile and the start-up inventory first
                await ctl.reset_calls()
                result = {"routes": n, "scenario": scenario}
                storm = int(scenario[5:]) if scenario.startswith("storm") else 0
                longest = 0.0
                async with aiohttp.ClientSession() as http, RouteWatch(kube) as watch:
                    t0 = time.monotonic()
                    await e2e.create_all(kube, e2e.routes(n))
                    storm_end = None
                    first_write = None
                    writes_at_end = 0
                    converged = kube_done = None
                    last_probe = 0.0
                    checked_generation, checked_changes, next_dump = -1, -1, 0.0
                    while time.monotonic() - t0 < TIMEOUT:
                        now = time.monotonic() - t0
                        if storm and storm_end is None and now >= STORM_START:
                            await ctl.throttle("*", rate=0, retry_after=1)
                            await asyncio.sleep(storm)
                            await ctl.throttle("*", rate=None)
                            storm_end = time.monotonic() - t0
                            writes_at_end = writes_ok(await ctl.calls())
                            continue
                        if storm_end is not None and first_write is None:
                            if writes_ok(await ctl.calls()) > writes_at_end:
                                first_write = time.monotonic() - t0 - storm_end
                            else:
                                await asyncio.sleep(0.02)
                                continue
                        if now - last_probe >= PROBE_EVERY:
                            last_probe = now
                            longest = max(longest, await longest_reconcile(http, base + "/metrics"))
                        if kube_done is None:
                            # Kubernetes first, as the watch reports it, exactly when it changes: no
                            # route can be done before it reports, so the emulator is not looked at
                            # before (each look dumps the emulator's state, in this process, on the
                            # same two cores as what it measures).
                            if watch.changes != checked_changes:
                                checked_changes = watch.changes
                                if routes_reported(n, watch.routes.values()):
                                    partition = state_of(emu)
                                    if dns_names_match(t, watch.routes.values(), partition):
                                        kube_done = time.monotonic() - t0
                                        if not missing(t.services, t.target_groups, partition):
                                            converged = kube_done
                                            break
                        elif emu.generation != checked_generation and now >= next_dump:
                            # Reported done while the emulator still misses something: look again
                            # after each change, spending <= 10% of the time on it.
                            checked_generation = emu.generation
                            started = time.monotonic()
                            if not missing(t.services, t.target_groups, state_of(emu)):
                                converged = time.monotonic() - t0
                                break
                            next_dump = now + max(0.1, 10 * (time.monotonic() - started))
                        await asyncio.sleep(0.02)
                    longest = max(longest, await longest_reconcile(http, base + "/metrics"))
                data = await ctl.calls()
                result.update(
                    seconds=converged, calls=data["total"], throttled=data.get("throttled_total", 0),
                    writes=writes_ok(data), longest=longest, rss=peak_rss_mib(proc.pid),
                    storm_end=storm_end, first_write=first_write,
                    after_storm=(converged - storm_end) if converged is not None and storm_end is not None else None,
                    write_rate=(profile.get("writes") or {}).get("rate"),
                    by_op={op: c for op, c in sorted(data["calls"].items())},
                    throttled_by_op={op: sum(codes.get(c, 0) for c in THROTTLED)
                                     for op, codes in data["outcomes"].items()})
                return result
            finally:
                if proc is not None and proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(proc.wait(), 30)
                    if proc.returncode is None:
                        proc.kill()
                await kube.close()
                if LOGS:
                    Path(LOGS).mkdir(parents=True, exist_ok=True)
                    (Path(LOGS) / f"controller-{n}-{scenario}.log").write_bytes((tmp / "controller.log").read_bytes())


def line(r: dict) -> str:
    secs = f"{r['seconds']:.1f}" if r["seconds"] is not None else "TIMEOUT"
    pct = 100 * r["throttled"] / r["calls"] if r["calls"] else 0.0
    out = (f"{r['routes']:>6} {r['scenario']:>8} {secs:>8} {r['calls']:>7} {r['calls'] / r['routes']:>6.2f} "
           f"{r['throttled']:>6} {pct:>5.1f}% {r['writes']:>6}")
    if r["write_rate"]:
        bound = r["writes"] / r["write_rate"]
        ratio = f"x{r['seconds'] / bound:.2f}" if r["seconds"] is not None else "-"
        out += f" {bound:>7.1f} {ratio:>6}"
    else:
        out += f" {'-':>7} {'-':>6}"
    storm = "-"
    if r["storm_end"] is not None:
        fw = f"{r['first_write']:.2f}" if r["first_write"] is not None else "none"
        ac = f"{r['after_storm']:.1f}" if r["after_storm"] is not None else "-"
        storm = f"{fw}/{ac}"
    return out + f" {storm:>11} {r['longest']:>7.1f} {r['rss']:>6.0f}"


async def main() -> None:
    print(f"emulator latency {LATENCY * 1000:.0f} ms/call; profile {PROFILE}; clock stops when the emulator "
          f"holds every route's complete model and every route reports it", flush=True)
    header = (f"{'routes':>6} {'scenario':>8} {'seconds':>8} {'calls':>7} {'/route':>6} {'thrtl':>6} {'%':>6} "
              f"{'writes':>6} {'bound s':>7} {'ratio':>6} {'storm f/c s':>11} {'longest':>7} {'RSS MiB':>6}")
    results = []
    for n in ROUTES:
        for scenario in SCENARIOS:
            if scenario.startswith("storm") and n != ROUTES[0]:
                continue
            r = await run(n, scenario)
            results.append(r)
            print(header if len(results) == 1 else "", end="\n" if len(results) == 1 else "", flush=True)
            print(line(r), flush=True)
    print("\nseconds: until every route reports its status and DNS name and the emulator holds every route's model")
    print("storm f/c: seconds from the storm's end to the first successful write / to convergence; "
          "longest: the longest-running reconcile seen (s)")
    for r in results:
        thr = r["throttled_by_op"]
        print(f"{r['routes']} {r['scenario']}: " + ", ".join(
            f"{op}={n}" + (f" ({thr[op]} throttled)" if thr.get(op) else "") for op, n in r["by_op"].items()))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
