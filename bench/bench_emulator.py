"""Benchmark: GetService and ListServices through one aioboto3 client with 10,000 services stored.

The emulator runs as its own process (`latticegw emulator`), as in the controller
benchmarks, so client and server each get a core. Prints calls per second seen by
the client and the emulator's own server-side time per call (from /_emulator/calls).

Client throughput is bounded by botocore, not the emulator: every call costs a few
ms of signing/serialising, and parsing a ListServices page costs far more, because
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
import time
from pathlib import Path

import aioboto3
from aiobotocore.config import AioConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lattice.emulator import EmulatorControl  # noqa: E402


async def start_emulator(services: int) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controller.cli", "emulator", "--port", "0", "--quota", f"services={services + 100}",
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=Path(__file__).resolve().parent.parent)
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if "listening on" not in line:
        raise RuntimeError(f"emulator did not start: {line!r}")
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
    print(f"  {label:<38} {n:>6} calls  {elapsed:6.2f} s  {rate:8.0f} calls/s")
    return rate


async def main(args: argparse.Namespace) -> int:
    proc, url = await start_emulator(args.services)
    try:
        session = aioboto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-west-2")
        config = AioConfig(max_pool_connections=32, retries={"mode": "standard", "total_max_attempts": 1})
        async with session.client("vpc-lattice", endpoint_url=url, config=config) as lattice, \
                EmulatorControl(url) as ctl:
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

            async def get_one() -> None:
                await lattice.get_service(serviceIdentifier=rng.choice(ids))

            async def list_page() -> None:
                token = rng.choice(tokens)  # random pages: resuming deep in the list must be as cheap
                out = await lattice.list_services(maxResults=100, **({"nextToken": token} if token else {}))
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

            print(f"\nsummary ({args.services} services stored; ListServices with 100 per page)")
            for op, concurrency, rate, timing in rows:
                print(f"  {op:<13} concurrency {concurrency}: {rate:7.0f} calls/s; "
                      f"server-side p50 {timing['p50_ms']:.3f} ms, p99 {timing['p99_ms']:.3f} ms")
            ok = all(t["p50_ms"] < 1 for *_, t in rows)
            print(f"  target: median server-side time < 1 ms per call -> {'met' if ok else 'NOT met'}")
            return 0 if ok else 1
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1500, help="GetService calls per run")
    parser.add_argument("--pages", type=int, default=150, help="ListServices calls per run")
    sys.exit(asyncio.run(main(parser.parse_args())))
