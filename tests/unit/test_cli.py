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
            # the AWS SDK, the Kubernetes client, and any of lattice/ but its settings dataclass
            # (controller.config, the one configuration loader, derives LatticeConfig)
            "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'aioboto3', 'aiobotocore', 'botocore',"
            " 'kubernetes_asyncio'} | {m for m in sys.modules if m.startswith('lattice.') and m != 'lattice.config'}))\n"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "0 []", (argv, out.stdout)


def test_version_names_the_commit_and_the_aws_and_kubernetes_clients():
    from importlib import metadata

    out = run("version")
    assert out.returncode == 0, out.stderr
    head = subprocess.run(["git", "-C", str(EXAMPLES.parent), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    first = out.stdout.splitlines()[0]
    assert first.startswith("latticegw ") and f"(commit {head}" in first, first
    assert f"botocore             {metadata.version('botocore')}" in out.stdout
    assert "kubernetes-asyncio" in out.stdout
    import json

    data = json.loads(run("version", "-o", "json").stdout)
    assert data["botocore"] == metadata.version("botocore") and data["commit"].startswith(head)


def test_version_from_an_image_uses_its_build_argument():
    import os

    out = subprocess.run([sys.executable, "-m", "controller.cli.main", "version", "-o", "json"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "LATTICEGW_COMMIT": "0123abcd"})
    assert '"commit": "0123abcd"' in out.stdout


def complete(script: str, *words: str) -> list[str]:
    """What bash offers for `words` (the last one being completed), with the generated script."""
    arr = " ".join(f"'{w}'" for w in words)
    probe = f"source /dev/stdin; COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; _latticegw; " \
            'printf "%s\\n" "${COMPREPLY[@]}"'
    out = subprocess.run(["bash", "-c", probe], input=script, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_bash_completion_offers_subcommands_flags_and_choices():
    script = run("completion", "bash").stdout
    assert set(SUBCOMMANDS) <= set(complete(script, "latticegw", ""))
    assert complete(script, "latticegw", "pl") == ["plan"]
    assert complete(script, "latticegw", "plan", "-o", "") == ["json", "yaml", "table"]
    assert "--metrics-bind-address" in complete(script, "latticegw", "run", "--metr")
    assert complete(script, "latticegw", "completion", "")[-3:] == ["bash", "zsh", "fish"]


def test_zsh_and_fish_scripts_are_generated():
    assert run("completion", "zsh").stdout.startswith("#compdef latticegw")
    fish = run("completion", "fish").stdout
    assert "-a plan" in fish and "-l metrics-bind-address" in fish


def test_diff_errors_are_exit_2_never_1_which_means_changes(tmp_path):
    """`latticegw diff` exits as `kubectl diff`: 1 says "changes", so every failure is 2, in one line."""
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("REGION", "AWS_ACCOUNT_ID", "CLUSTER_VPC_ID",
                                                             "CLUSTER_NAME", "KUBECONFIG")}
    identity = {"REGION": "us-west-2", "AWS_ACCOUNT_ID": "123456789012", "CLUSTER_VPC_ID": "vpc-0123456789abcdef0",
                "CLUSTER_NAME": "c", "LATTICE_ENDPOINT": "http://127.0.0.1:9"}
    for env, why in (({**base, "AWS_EC2_METADATA_DISABLED": "true"}, "AWS_EC2_METADATA_DISABLED"),
                     ({**base, **identity}, "kubeconfig")):
        out = subprocess.run([sys.executable, "-m", "controller.cli.main", "diff", "--kubeconfig",
                              str(tmp_path / "nope")], capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 2, (out.returncode, out.stderr)
        assert out.stderr.startswith("latticegw diff: ") and why in out.stderr and "Traceback" not in out.stderr
