"""`latticegw demo --once` as a user runs it: the whole product, its output, its exit code."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys

import pytest

from controller.cli.demo import DEMO_ADDRESSES

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def occupied(addresses: list[str]):
    """Listen on each address (if someone else already does, it is busy all the same)."""
    with contextlib.ExitStack() as stack:
        for addr in addresses:
            host, port = addr.rsplit(":", 1)
            sock = stack.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(OSError):
                sock.bind((host, int(port)))
                sock.listen()
        yield


def test_demo_with_its_default_ports_busy_picks_free_ones_and_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LATTICEGW_", "KUBECONFIG"))}
    with occupied(list(DEMO_ADDRESSES.values())):
        proc = subprocess.run([sys.executable, "-m", "controller.cli.main", "demo", "--once"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for role, addr in DEMO_ADDRESSES.items():
        assert f"port {addr.rsplit(':', 1)[1]} is busy; {role} uses a free port instead" in proc.stdout
    assert "converged in" in proc.stdout
    # Three free ports, one per endpoint, as without the clash.
    line = next(line for line in proc.stdout.splitlines() if "status page" in line)
    ports = {part.rsplit(":", 1)[1].split("/")[0] for part in line.split() if part.startswith("http://")}
    assert len(ports) == 3, line
    # The production manager settings: a clean run prints no warning and no log line at all.
    assert proc.stderr == "", proc.stderr
    logged = [line for line in proc.stdout.splitlines() if line.startswith("{") or "warning" in line.lower()]
    assert not logged, logged
