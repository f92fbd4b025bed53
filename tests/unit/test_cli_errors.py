"""Start-up failures of `latticegw run`: exit 2 and one line that says what to do, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# Real-looking values: against real AWS (no LATTICE_ENDPOINT) documentation placeholders are refused.
IDENTITY = {"REGION": "us-west-2", "CLUSTER_NAME": "c", "CLUSTER_VPC_ID": "vpc-0feedfacefeedface",
            "AWS_ACCOUNT_ID": "111122223333"}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
"""


def latticegw(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST",
                                                             "KUBERNETES_SERVICE_PORT", "LATTICEGW_DEBUG")}
    base.update(HOME=str(tmp_path), **(env or {}))
    return subprocess.run([sys.executable, "-m", "controller.cli.main", *args], cwd=tmp_path, env=base,
                          capture_output=True, text=True, timeout=60)


def assert_one_line(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("latticegw run: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_no_kubeconfig_outside_a_cluster(tmp_path):
    assert_one_line(latticegw(tmp_path, "run"), 2, "not running in a cluster", "--kubeconfig", "KUBECONFIG")


def test_kubeconfig_that_does_not_exist(tmp_path):
    assert_one_line(latticegw(tmp_path, "run", "--kubeconfig", "nope.yaml"), 2, "nope.yaml: no such file")
    assert_one_line(latticegw(tmp_path, "run", env={"KUBECONFIG": "gone.yaml"}), 2, "gone.yaml: no such file")


@pytest.mark.parametrize("text", ["garbage: [", "apiVersion: v1\nkind: Config\n", "- a\n- b\n"])
def test_kubeconfig_that_is_not_one(tmp_path, text):
    (tmp_path / "kc").write_text(text)
    assert_one_line(latticegw(tmp_path, "run", "--kubeconfig", "kc"), 2, "cannot use kubeconfig kc")


@pytest.mark.parametrize("role,flag", [("metrics", "--metrics-bind-address"),
                                       ("health", "--health-probe-bind-address"),
                                       ("status", "--status-bind-address")])
def test_address_in_use(tmp_path, role, flag):
    (tmp_path / "kc").write_text(KUBECONFIG)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = {"--metrics-bind-address": "127.0.0.1:0", "--health-probe-bind-address": "127.0.0.1:0",
                "--status-bind-address": "127.0.0.1:0", flag: f"127.0.0.1:{port}"}
        proc = latticegw(tmp_path, "run", "--kubeconfig", "kc", "--queue-store", "memory",
                         "--leader-elect", "false", *[x for kv in args.items() for x in kv],
                         env={**IDENTITY, "LOG_LEVEL": "error"})
    assert_one_line(proc, 2, f"cannot listen on 127.0.0.1:{port} for {role}", flag)


def test_reconcilers_module_that_does_not_import(tmp_path):
    (tmp_path / "kc").write_text(KUBECONFIG)
    proc = latticegw(tmp_path, "run", "--kubeconfig", "kc", "--reconcilers", "no.such.module",
                     "--sidecar-address", "127.0.0.1:0", "--queue-store", "memory", env=IDENTITY)
    assert_one_line(proc, 2, "configuration error", "no.such.module")


def test_an_unexpected_failure_is_one_line_too(tmp_path):
    (tmp_path / "kc").write_text(KUBECONFIG)
    (tmp_path / "boom.py").write_text("def register(registry, runtime):\n    raise RuntimeError('boom')\n")
    proc = latticegw(tmp_path, "run", "--kubeconfig", "kc", "--reconcilers", "boom",
                     "--sidecar-address", "127.0.0.1:0", "--queue-store", "memory",
                     env={**IDENTITY, "PYTHONPATH": str(tmp_path)})
    assert_one_line(proc, 1, "unexpected error: RuntimeError: boom", "LATTICEGW_DEBUG=1")
    debug = latticegw(tmp_path, "run", "--kubeconfig", "kc", "--reconcilers", "boom",
                      "--sidecar-address", "127.0.0.1:0", "--queue-store", "memory",
                      env={**IDENTITY, "PYTHONPATH": str(tmp_path), "LATTICEGW_DEBUG": "1"})
    assert "Traceback" in debug.stderr  # asked for
