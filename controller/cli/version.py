"""`latticegw version`: the version, the commit it was built from, and the AWS/Kubernetes clients."""

from __future__ import annotations

import argparse

import orjson

from controller.build_info import info
from controller.version import __version__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--short", action="store_true", help="print only the version number")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")


def main(args: argparse.Namespace) -> int:
    if args.short:
        print(__version__)
        return 0
    data = info()
    if args.output == "json":
        print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return 0
    print(f"latticegw {data['version']} (commit {data['commit']})")
    for key in ("python", "botocore", "aioboto3", "kubernetes-asyncio"):
        print(f"  {key:20} {data[key]}")
    return 0
