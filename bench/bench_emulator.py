"""Benchmark: GetService and ListServices through one aioboto3 client with 10,000 services stored.

The emulator runs as its own process (`latticegw emulator`), as in the controller
benchmarks, so client and server each get a core. Prints calls per second seen by
the client, the emulator's own server-side time per call (from /_emulator/calls),
and the same loops against a canned endpoint that answers every request with fixed
bytes: the gap between the two is all the emulator costs its clients.

Client throughput is bounded by botocore, not the emulator: every call costs a few
ms of signing and serialising, and a ListServices page costs far more, because
botocore parses each ISO-8601 timestamp with dateutil (200 per 100-item page).

    .venv/bin/python bench/bench_emulator.py [--services 10000] [--calls 1500] [--pages 150]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

import aioboto3
import aiohttp
from aiobotocore.config import AioConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lattice.emulator import EmulatorControl  # noqa: E402

# A zero-work endpoint: answers GET /services with one canned page, anything else with one
# canned service. Run as its own process, like the emulator, so the comparison is fair.
CANNED_SERVER = r"""
import asyncio, sys
from aiohttp import web
page, item = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
async def handle(request):
    body = page if request.path == "/services" else item
    return web.Response(body=body, headers={"Content-Type": "application/json", "x-amzn-RequestId": "canned"})
async def main():
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("listening on http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-west-2/vpc-lattice/aws4_request, "
                           "SignedHeaders=host, Signature=" + "0" * 64}


async def spawn(*argv: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if "listening on" not in line:
        raise RuntimeError(f"{argv[:3]} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


async def timed(label: str, n: int, make_call, concurrency: int = 1) -> float:
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            queue.pop()
            await make_call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    print(f"  {label:<44} {n:>6} calls  {elapsed:6.2f} s  {rate:8.0f} calls/s")
    return rate


def client(session: aioboto3.Session, url: str):
    config = AioConfig(max_pool_connections=32, retries={"mode": "standard", "total_max_attempts": 1})
    return session.client("vpc-lattice", endpoint_url=url, config=config)


async def main(args: argparse.Namespace) -> int:
    session = aioboto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-west-2")
    procs: list[asyncio.subprocess.Process] = []
    try:
        proc, url = await spawn(sys.executable, "-m", "controller.cli.main", "emulator", "--port", "0",
                                "--quota", f"services={args.services + 100}")
        procs.append(proc)
        async with client(session, url) as lattice, EmulatorControl(url) as ctl:
            print(f"emulator {url}; seeding {args.services} services ...")
            ids: list[str] = []

            async def create(i: int) -> None:
                ids.append((await lattice.create_service(name=f"bench-{i:06d}"))["id"])

            start = time.perf_counter()
            for chunk in range(0, args.services, 64):
                await asyncio.gather(*(create(i) for i in range(chunk, min(chunk + 64, args.services))))
            print(f"  seeded in {time.perf_counter() - start:.1f} s")

            rng = random.Random(1)
            tokens: list[str | None] = [None]
            page = await lattice.list_services(maxResults=100)
            while page.get("nextToken"):
                tokens.append(page["nextToken"])
                page = await lattice.list_services(maxResults=100, nextToken=page["nextToken"])
            assert len(tokens) == (args.services + 99) // 100, len(tokens)

            async def get_one(c=lattice) -> None:
                await c.get_service(serviceIdentifier=rng.choice(ids))

            async def list_page(c=lattice) -> None:
                token = rng.choice(tokens)  # random pages: resuming deep in the list must be as cheap
                out = await c.list_services(maxResults=100, **({"nextToken": token} if token else {}))
                assert len(out["items"]) == 100

            rows = []
            for op, call, n in (("GetService", get_one, args.calls), ("ListServices", list_page, args.pages)):
                for concurrency in (1, 8):
                    await ctl.reset_calls()
                    rate = await timed(f"{op} (concurrency {concurrency})", n, call, concurrency)
                    timing = (await ctl.calls())["timing"][op]
                    print(f"    server side: p50 {timing['p50_ms']:.3f} ms  p90 {timing['p90_ms']:.3f} ms  "
                          f"p99 {timing['p99_ms']:.3f} ms")
                    rows.append((op, concurrency, rate, timing))

            # Capture one real page and one real service for the canned endpoint.
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{url}/services?maxResults=100", headers=SIGNED) as resp:
                    page_bytes = await resp.read()
                async with http.get(f"{url}/services/{ids[0]}", headers=SIGNED) as resp:
                    item_bytes = await resp.read()

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "page.json").write_bytes(page_bytes)
            (Path(tmp) / "item.json").write_bytes(item_bytes)
            proc, canned_url = await spawn(sys.executable, "-c", CANNED_SERVER,
                                           str(Path(tmp) / "page.json"), str(Path(tmp) / "item.json"))
            procs.append(proc)
            async with client(session, canned_url) as canned:
                print("canned endpoint (same client, zero server work):")
                canned_get = await timed("GetService (concurrency 1)", args.calls, lambda: get_one(canned))
                canned_list = await timed("ListServices (concurrency 1)", args.pages, lambda: list_page(canned))

        print(f"\nsummary ({args.services} services stored; ListServices with 100 per page)")
        for op, concurrency, rate, timing in rows:
            print(f"  {op:<13} concurrency {concurrency}: {rate:7.0f} calls/s; "
                  f"server-side p50 {timing['p50_ms']:.3f} ms, p99 {timing['p99_ms']:.3f} ms")
        get_rate = next(r for op, c, r, _ in rows if op == "GetService" and c == 1)
        list_rate = next(r for op, c, r, _ in rows if op == "ListServices" and c == 1)
        print(f"  client ceiling (canned endpoint): GetService {canned_get:.0f} calls/s, "
              f"ListServices {canned_list:.0f} calls/s -> emulator reaches "
              f"{get_rate / canned_get:.0%} and {list_rate / canned_list:.0%} of it")
        ok = all(t["p50_ms"] < 1 for *_, t in rows)
        print(f"  target: median server-side time < 1 ms per call -> {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1500, help="GetService calls per run")
    parser.add_argument("--pages", type=int, default=150, help="ListServices calls per run")
    sys.exit(asyncio.run(main(parser.parse_args())))
