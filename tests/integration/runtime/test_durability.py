"""kill -9 a process holding 1,000 pending keys; a new process resumes the same state.

Both backends: SQLite (no API server needed) and ConfigMaps (the HA store).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import orjson
import pytest

from controller.localkube.plane import die_with_parent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


async def run_holder(mode: str, spec: str, out: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.runtime.queue_holder", mode, spec, out,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=die_with_parent,
    )


async def kill9_and_resume(spec: str, tmp_path) -> tuple[dict, dict, float]:
    before_path, after_path = str(tmp_path / "before.json"), str(tmp_path / "after.json")
    holder = await run_holder("fill", spec, before_path)
    try:
        line = await asyncio.wait_for(holder.stdout.readline(), 120)
        assert line.startswith(b"READY"), line + await holder.stderr.read()
        assert int(line.split()[1]) == 1000
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # no cleanup, no final flush
        await holder.wait()
    assert holder.returncode == -signal.SIGKILL
    killed_at = time.time()
    resumer = await run_holder("resume", spec, after_path)
    _, err = await asyncio.wait_for(resumer.communicate(), 120)
    assert resumer.returncode == 0, err.decode()
    with open(before_path, "rb") as f:
        before = orjson.loads(f.read())
    with open(after_path, "rb") as f:
        after = orjson.loads(f.read())
    return before, after, killed_at


def assert_same_state(before: dict, after: dict, killed_at: float) -> None:
    b, a = before["records"], after["records"]
    assert len(b) == 1000 and set(a) == set(b), f"lost {len(set(b) - set(a))}, invented {len(set(a) - set(b))}"
    for key, (failures, pending, not_before) in b.items():
        fa, pa, nba = a[key]
        assert (fa, pa) == (failures, pending), key
        assert abs(nba - not_before) < 0.01, (key, not_before, nba)
    # Keys whose backoff had not expired at kill time are still parked, not retried at once.
    still_parked = {k for k, (_, _, nb) in b.items() if nb > killed_at + 5}
    assert still_parked, "the test must include long backoffs"
    assert still_parked <= set(after["delayed"])
    # Handed-out (processing) keys come back as ready: a crash mid-reconcile means redo.
    busy = {k for k in b if k.startswith("Gateway/")}
    assert len(busy) == 50 and busy <= set(after["ready"])
    failed = {k: v[0] for k, v in a.items() if k.startswith("HTTPRoute/backoff/")}
    assert len(failed) == 250 and max(failed.values()) == 25, "failure counts survive: no retry storm"


async def test_sqlite_backend_survives_kill9(tmp_path):
    spec = f"sqlite:{tmp_path / 'queue.sqlite3'}"
    before, after, killed_at = await kill9_and_resume(spec, tmp_path)
    assert_same_state(before, after, killed_at)


@pytest.mark.integration
async def test_kube_backend_survives_kill9(kube, namespace, tmp_path):
    spec = f"kube:{kube.kubeconfig_path}:{namespace}"
    before, after, killed_at = await kill9_and_resume(spec, tmp_path)
    assert_same_state(before, after, killed_at)
    status, cms = await kube.request("GET", f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=latticegw.io/queue")
    assert status == 200 and 1 <= len(cms["items"]) <= 8
    assert all(len(cm["data"]["queue.json"]) < 900 * 1024 for cm in cms["items"])
