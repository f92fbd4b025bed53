"""`latticegw run` as a real process: readiness after sync, metrics, no-op reconciles, SIGTERM."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .replicas import Replica
from .util import eventually

pytestmark = pytest.mark.integration


def gateway(ns: str, name: str) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"gatewayClassName": "amazon-vpc-lattice",
                 "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    }


def route(ns: str, name: str, gw: str) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"parentRefs": [{"name": gw}], "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    }


def metric(text: str, metric_name: str, **labels) -> float:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == metric_name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def test_run_single_replica_end_to_end(kube, namespace, tmp_path):
    await kube.apply(gateway(namespace, "gw"))
    r = Replica("solo", str(kube.kubeconfig_path), namespace, tmp_path,
                queue_store=f"sqlite:{tmp_path / 'q.sqlite3'}",
                extra_env={"LATTICEGW_RECONCILERS": "tests.integration.runtime.no_reconcilers"})
    await r.start()
    try:
        async def ready():
            try:
                return (await r.get("/readyz"))[0] == 200
            except Exception:  # noqa: BLE001 - not listening yet
                return False

        await eventually(ready, timeout=60, message="/readyz 200")
        status, verbose = await r.get("/readyz?verbose")
        assert "[+]informer-HTTPRoute" in verbose and "[+]informer-EndpointSlice" in verbose
        assert (await r.get("/healthz"))[0] == 200
        st = await eventually(r.status, message="debug status")
        assert st["reconcilers"]["HTTPRoute"] == "LoggingNoopReconciler"

        # A live change reaches the (no-op) reconciler for the route and its parent Gateway.
        await kube.apply(route(namespace, "r1", "gw"))

        async def reconciled():
            text = (await r.get("/metrics"))[1]
            return metric(text, "controller_runtime_reconcile_total", controller="httproute", result="success") >= 1
        await eventually(reconciled, timeout=30, message="httproute reconciled")
        # A status-only write (like our own) enqueues nothing. Barrier: a spec change to a
        # second route on the same watch stream, after the status write, must be seen first.
        def noops(key: str) -> int:
            return sum(1 for line in r.log_path.read_text().splitlines()
                       if '"event":"noop reconcile"' in line and f'"key":"{key}"' in line)

        r1 = f"HTTPRoute/{namespace}/r1"
        await eventually(lambda: noops(r1) >= 1, message="r1 reconciled")
        await asyncio.sleep(1.0)  # let r1's own follow-ups settle
        before = noops(r1)
        status, body = await kube.request(
            "PATCH", f"/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/r1/status",
            {"status": {"parents": [{"parentRef": {"name": "gw"}, "controllerName": "example.com/other",
                                     "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                                                     "message": "x", "lastTransitionTime": "2026-01-01T00:00:00Z",
                                                     "observedGeneration": 1}]}]}},
            content_type="application/merge-patch+json")
        assert status == 200, body
        await kube.apply(route(namespace, "r2", "gw"))
        await eventually(lambda: noops(f"HTTPRoute/{namespace}/r2") >= 1, message="r2 reconciled")
        await asyncio.sleep(0.5)
        assert noops(r1) == before, "a status-only update must not enqueue the route"

        text = (await r.get("/metrics"))[1]
        assert metric(text, "leader_election_master_status", name="latticegw-leader") == 1
        assert metric(text, "rest_client_requests_total", method="GET", code="200") > 0
        assert metric(text, "controller_runtime_max_concurrent_reconciles", controller="httproute") == 16
        log = r.log_path.read_text()
        assert f'"key":"HTTPRoute/{namespace}/r1"' in log and '"trace_id"' in log
    finally:
        rc = await r.terminate()
    assert rc == 0, r.log_text()
    assert '"lease released"' in r.log_path.read_text()
    status, lease = await kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/latticegw-leader")
    assert status == 200 and not lease["spec"].get("holderIdentity"), "graceful shutdown releases the Lease"


async def test_bad_configuration_exits_2_naming_the_variable(tmp_path):
    import os
    import sys

    env = dict(os.environ, ROUTE_MAX_CONCURRENT_RECONCILES="many")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "controller.cli.main", "run", env=env,
                                                stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert b"ROUTE_MAX_CONCURRENT_RECONCILES" in err
