"""The `latticegw` command line.

Each subcommand lives in its own module (`add_arguments(parser)` and
`main(args) -> int`) and is imported only when it runs, so `latticegw plan`
never pays for, or depends on, the imports of `latticegw run` or `demo`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from controller.version import __version__

# name -> (module path, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "version": ("controller.cli.version", "print the latticegw version"),
    "run": ("controller.cli.run", "run the controller"),
    "plan": ("controller.cli.plan", "translate manifests offline and print the Lattice plan"),
    "emulator": ("controller.cli.emulator", "serve a local VPC Lattice control plane"),
    "demo": ("controller.cli.demo", "local API server + emulator + controller + examples"),
    "status": ("controller.cli.status", "show Gateways and routes with their Lattice resources (live cluster)"),
    "diff": ("controller.cli.diff", "what `run` would adopt, create, update or delete (live cluster and Lattice; "
                                    "writes nothing)"),
    "completion": ("controller.cli.completion", "print a shell completion script (bash, zsh, fish)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `command`'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="latticegw",
        description="Kubernetes Gateway API controller for Amazon VPC Lattice.",
    )
    parser.add_argument("--version", action="version", version=f"latticegw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_path, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(module_path).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a in SUBCOMMANDS), None)
    args = build_parser(command).parse_args(argv)
    if not args.command:
        build_parser().print_help()
        return 0
    try:
        return importlib.import_module(SUBCOMMANDS[args.command][0]).main(args)
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, not a traceback
        if os.environ.get("LATTICEGW_DEBUG"):
            raise
        print(f"latticegw {args.command}: unexpected error: {type(exc).__name__}: {exc} "
              "(set LATTICEGW_DEBUG=1 to see the traceback, and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
