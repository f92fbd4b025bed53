"""`latticegw version`."""

from __future__ import annotations

import argparse
import platform

from controller.version import __version__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--short", action="store_true", help="print only the version number")


def main(args: argparse.Namespace) -> int:
    if args.short:
        print(__version__)
    else:
        print(f"latticegw {__version__} (python {platform.python_version()})")
    return 0
