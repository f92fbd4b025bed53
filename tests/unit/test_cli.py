"""The CLI imports only the subcommand it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from controller.cli.main import SUBCOMMANDS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller.cli.main", *args], capture_output=True, text=True, timeout=60)


def test_help_lists_every_subcommand():
    out = run("--help")
    assert out.returncode == 0
    for name in SUBCOMMANDS:
        assert name in out.stdout


def test_each_subcommand_has_help():
    for name in SUBCOMMANDS:
        out = run(name, "--help")
        assert out.returncode == 0, out.stderr
        assert f"latticegw {name}" in out.stdout


def test_plan_and_version_do_not_import_the_runtime_or_aws():
    for argv in (["version"], ["plan", "-f", str(EXAMPLES / "my-hotel"), "-o", "json"]):
        probe = (
            "import sys, contextlib, io\n"
            "from controller.cli import main as cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = cli.main({argv!r})\n"
            "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'aioboto3', 'kubernetes_asyncio', 'lattice'}))\n"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "0 []", (argv, out.stdout)
