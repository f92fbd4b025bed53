"""The sidecar: /healthz, /readyz gated on sync, /metrics in Prometheus text format with every name."""

from __future__ import annotations

import time

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from controller.observe.metrics import Metrics
from controller.observe.sidecar import Sidecar
from controller.observe.tracing import Tracing
from controller.queue.workqueue import WorkQueue
from lattice.client import AwsCall, AwsRequest
from lattice.config import DEFAULT_BUCKETS
from lattice.ratelimit import Buckets

REQUIRED = [
    "controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total",
    "controller_runtime_reconcile_time_seconds", "controller_runtime_max_concurrent_reconciles",
    "controller_runtime_active_workers", "controller_runtime_terminal_reconcile_errors_total",
    "controller_runtime_reconcile_panics_total", "controller_runtime_reconcile_timeouts_total",
    "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds",
    "workqueue_work_duration_seconds", "workqueue_unfinished_work_seconds",
    "workqueue_longest_running_processor_seconds", "workqueue_retries_total",
    "leader_election_master_status", "rest_client_requests_total",
    "aws_api_calls_total", "aws_api_call_duration_seconds", "aws_api_call_retries", "aws_api_requests_total",
    "aws_api_request_duration_seconds", "latticegw_aws_throttled_requests_total",
    "latticegw_aws_send_rate", "latticegw_aws_rate_ceiling", "latticegw_aws_rate_waiting",
]


def sample_names(text: str) -> set[str]:
    names = set()
    for fam in text_string_to_metric_families(text):
        names.add(fam.name)
        for s in fam.samples:
            names.add(s.name)
    return names


async def test_endpoints():
    m = Metrics()
    q = WorkQueue(metrics=m.queue_metrics("latticegw"))
    m.watch_queue(q, "latticegw")
    q.add("HTTPRoute/a/b")
    m.leader("latticegw-leader", True)
    m.rest_request("GET", "200", "127.0.0.1:6443", 0.01)
    m.aws_request(AwsRequest("VPC Lattice", "CreateService", "429", "ThrottlingException", 0.1, throttled=True))
    m.aws_request(AwsRequest("VPC Lattice", "CreateService", "200", "", 0.2, throttled=False))
    m.aws_call(AwsCall("VPC Lattice", "CreateService", "200", "", 0.4, retries=1))
    buckets = Buckets(DEFAULT_BUCKETS)
    buckets.by_class["write"].on_throttle(time.monotonic(), sent_at=time.monotonic())
    m.watch_aws_rates(buckets.snapshot)
    for label in ("httproute",):
        m.reconcile_total.labels(label, "success").inc()
        m.reconcile_errors.labels(label)
        m.reconcile_time.labels(label).observe(0.1)
        m.max_concurrent.labels(label).set(16)
        m.active_workers.labels(label).set(0)
        m.terminal_errors.labels(label)
        m.reconcile_panics.labels(label)
        m.reconcile_timeouts.labels(label)
    q.get_nowait()
    q.add_rate_limited("HTTPRoute/a/b")
    tracing = Tracing(environ={})
    with tracing.tracer.start_as_current_span("reconcile HTTPRoute"):
        pass
    synced = {"informer-Gateway": False}
    sc = Sidecar(dict.fromkeys(("metrics", "health", "status"), ("127.0.0.1", 0)), metrics=m, tracing=tracing,
                 ready_checks=lambda: dict(synced))
    await sc.start()
    metrics, health, status = sc.url("metrics"), sc.url("health"), sc.url("status")
    assert len({metrics, health, status}) == 3  # port 0: a free port per role
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(health + "/healthz") as r:
                assert r.status == 200
            async with s.get(health + "/readyz") as r:
                assert r.status == 503
            async with s.get(health + "/readyz?verbose") as r:
                assert "[-]informer-Gateway" in await r.text()
            synced["informer-Gateway"] = True
            async with s.get(health + "/readyz") as r:
                assert r.status == 200
            async with s.get(health + "/readyz/informer-Gateway") as r:
                assert r.status == 200
            async with s.get(metrics + "/metrics") as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/plain")
                text = await r.text()
            async with s.get(status + "/debug/traces") as r:
                spans = (await r.json())["spans"]
    finally:
        await sc.stop()
        tracing.shutdown()
    names = sample_names(text)
    missing = [n for n in REQUIRED if n not in names]
    assert not missing, missing
    assert 'workqueue_longest_running_processor_seconds{controller="latticegw",name="latticegw"}' in text
    assert 'leader_election_master_status{name="latticegw-leader"} 1.0' in text
    assert 'latticegw_aws_throttled_requests_total{operation="CreateService",service="VPC Lattice"} 1.0' in text
    assert ('aws_api_calls_total{error_code="",operation="CreateService",service="VPC Lattice",status_code="200"} 1.0'
            in text)
    assert ('aws_api_requests_total{error_code="ThrottlingException",operation="CreateService",service="VPC Lattice",'
            'status_code="429"} 1.0' in text)
    assert 'aws_api_call_retries_bucket{le="1.0",operation="CreateService",service="VPC Lattice"} 1.0' in text
    # the adaptive rates, read from the client at scrape time: the throttled class was cut
    assert f'latticegw_aws_rate_ceiling{{class="write"}} {DEFAULT_BUCKETS["write"].rate}' in text
    assert f'latticegw_aws_send_rate{{class="read"}} {DEFAULT_BUCKETS["read"].rate}' in text
    assert f'latticegw_aws_send_rate{{class="write"}} {DEFAULT_BUCKETS["write"].rate * 0.7}' in text
    assert 'latticegw_aws_rate_waiting{class="tag"} 0.0' in text
    assert spans and spans[0]["name"] == "reconcile HTTPRoute" and len(spans[0]["trace_id"]) == 32


async def test_readyz_not_ready_without_checks():
    sc = Sidecar({"health": ("127.0.0.1", 0)}, ready_checks=lambda: {})
    await sc.start()
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"http://127.0.0.1:{sc.port('health')}/readyz") as r:
                assert r.status == 503
    finally:
        await sc.stop()


async def test_each_role_on_its_own_port_serves_only_its_paths():
    separate = Sidecar({"metrics": ("127.0.0.1", 0), "health": ("127.0.0.2", 0), "status": ("127.0.0.3", 0)},
                       metrics=Metrics(), ready_checks=lambda: {"x": True})
    await separate.start()
    try:
        assert len({separate.bound[r] for r in ("metrics", "health", "status")}) == 3
        async with aiohttp.ClientSession() as s:
            for role, ok, refused in (("metrics", "/metrics", "/debug/status"),
                                      ("health", "/readyz", "/metrics"),
                                      ("status", "/debug/status", "/healthz")):
                async with s.get(separate.url(role) + ok) as r:
                    assert r.status == 200, (role, ok)
                async with s.get(separate.url(role) + refused) as r:
                    assert r.status == 404, (role, refused)
    finally:
        await separate.stop()


async def test_a_busy_address_is_one_line_naming_the_flag():
    import socket

    import pytest

    from controller.observe.sidecar import BindError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        sc = Sidecar({"metrics": ("127.0.0.1", 0), "health": ("127.0.0.1", port)}, ready_checks=lambda: {})
        with pytest.raises(BindError) as info:
            await sc.start()
    message = str(info.value)
    assert f"127.0.0.1:{port} for health" in message and "--health-probe-bind-address" in message
    assert "\n" not in message and not sc.started and sc._runners == []  # noqa: SLF001 - the metrics one closed
