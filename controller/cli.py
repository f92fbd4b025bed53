"""The `latticegw` command line.

Each subcommand lives in its own module and registers itself through `SUBCOMMANDS`,
so this file only parses arguments and dispatches. Subcommands whose issue has not
landed yet say so and exit 2 instead of pretending to work.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from controller.version import __version__

# name -> (module path, one-line help). The module must define
# `add_arguments(parser)` and `main(args) -> int`.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "version": ("controller.cmd_version", "print the latticegw version"),
    "run": ("controller.cmd_run", "run the controller"),
    "plan": ("controller.cmd_plan", "translate manifests offline and print the Lattice plan"),
    "emulator": ("controller.cmd_emulator", "serve a local VPC Lattice control plane"),
    "demo": ("controller.cmd_demo", "local API server + emulator + controller + examples"),
}


def _load(module_path: str):
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name != module_path:
            raise
        return None


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    parser = argparse.ArgumentParser(
        prog="latticegw",
        description="Kubernetes Gateway API controller for Amazon VPC Lattice.",
    )
    parser.add_argument("--version", action="version", version=f"latticegw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}
    for name, (module_path, help_text) in SUBCOMMANDS.items():
        module = _load(module_path)
        if module is None:
            p = sub.add_parser(name, help=f"{help_text} (not implemented yet)")
            handlers[name] = _not_implemented(name)
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        handlers[name] = module.main
    return parser, handlers


def _not_implemented(name: str) -> Callable[[argparse.Namespace], int]:
    def run(_args: argparse.Namespace) -> int:
        print(f"latticegw {name}: not implemented yet", file=sys.stderr)
        return 2

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
