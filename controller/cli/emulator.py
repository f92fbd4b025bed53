"""`latticegw emulator`: serve a local VPC Lattice control plane until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from lattice.emulator import DEFAULT_QUOTAS, EmulatorConfig, run_emulator
from lattice.emulator.config import Delays
from lattice.emulator.faults import parse_throttle
from lattice.emulator.persistence import StateFileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one")
    parser.add_argument("--region", default="us-west-2", help="default region (requests use their SigV4 scope)")
    parser.add_argument("--account", default="123456789012", help="account id for every access key")
    parser.add_argument("--state", metavar="FILE", help="load state from FILE at start, save on a timer and at exit")
    parser.add_argument("--save-interval", type=float, default=5.0, help="seconds between saves with --state")
    parser.add_argument("--realistic", action="store_true",
                        help="seconds-long lifecycle transitions instead of instant ones")
    parser.add_argument("--seed", type=int, help="seed IDs and probabilistic faults for reproducible runs")
    parser.add_argument("--quota", action="append", default=[], metavar="NAME=N",
                        help=f"override a quota (repeatable); names: {', '.join(DEFAULT_QUOTAS)}")
    parser.add_argument("--throttle", action="append", default=[], metavar="KEY=RATE[/s][:BURST],...",
                        help="AWS-like request rates per account (repeatable): KEY is a class (writes, reads, "
                             "tagging), an operation or '*'; e.g. writes=10/s,reads=20/s:40 (burst default: "
                             "1 s worth). Throttled calls answer 429 ThrottlingException with Retry-After")
    parser.add_argument("--delay", action="append", default=[], metavar="NAME=SECONDS",
                        help="override a transition delay (repeatable): create, delete, update, target_health, "
                             "health_checks (a factor on healthyThresholdCount x healthCheckIntervalSeconds), "
                             "draining")


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep:
            raise ValueError(f"{flag} expects NAME=VALUE, got {value!r}")
        out[name.strip()] = number.strip()
    return out


def main(args: argparse.Namespace) -> int:
    delays = EmulatorConfig.realistic().delays if args.realistic else Delays()
    config = EmulatorConfig(region=args.region, account=args.account, delays=delays, seed=args.seed,
                            save_interval=args.save_interval)
    try:
        config.update({"quotas": _pairs(args.quota, "--quota"), "delays": _pairs(args.delay, "--delay")})
        for spec in args.throttle:
            config.throttle.update(parse_throttle(spec))
    except (KeyError, ValueError) as exc:
        print(f"latticegw emulator: bad --quota/--delay/--throttle: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args, config))
    except (OSError, StateFileError) as exc:
        print(f"latticegw emulator: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(args: argparse.Namespace, config: EmulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with run_emulator(args.host, args.port, config=config, state_file=args.state) as emu:
        # One line on stdout with the URL, so scripts started with --port 0 can find it.
        print(f"latticegw emulator listening on {emu.url}", flush=True)
        print(f"  point clients at it with LATTICE_ENDPOINT={emu.url} (any credentials; "
              f"DISABLE_TAGGING_SERVICE_API=true); controls at {emu.url}/_emulator/", file=sys.stderr, flush=True)
        await stop.wait()
