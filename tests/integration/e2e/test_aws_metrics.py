"""The running controller's /metrics serves the AWS-call metrics as the AWS Gateway API Controller
names and labels them, so its dashboards and alerts keep working after a switch: scraped over HTTP
from the sidecar while the controller converges my-hotel against the emulator, with one throttle."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.e2e.helpers import idle

pytestmark = pytest.mark.integration


async def scrape(env) -> dict[str, list[tuple[dict[str, str], float]]]:
    """sample name -> [(labels, value)], from the real /metrics endpoint."""
    async with aiohttp.ClientSession() as http:
        async with http.get(env.manager.sidecar.url("metrics") + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def select(series, **labels: str) -> float:
    return sum(v for ls, v in series if labels.items() <= ls.items())


async def test_aws_call_metrics_have_the_aws_controllers_names_labels_and_values(controller_env):
    env = controller_env
    await env.control.inject_error("CreateService", "ThrottlingException", count=1, retry_after=0)
    await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)

    seen = (await env.control.calls())["calls"]
    m = await scrape(env)
    calls, requests = m["aws_api_calls_total"], m["aws_api_requests_total"]
    assert {tuple(sorted(ls)) for ls, _ in calls + requests} == {
        ("error_code", "operation", "service", "status_code")}
    assert {ls["service"] for ls, _ in calls} <= {"VPC Lattice", "ACM", "Resource Groups Tagging API"}
    create = {"service": "VPC Lattice", "operation": "CreateService"}

    # The throttled attempt is a request, not a call: the call it belonged to succeeded after one retry.
    assert select(requests, **create, status_code="429", error_code="ThrottlingException") == 1
    assert select(calls, **create, error_code="ThrottlingException") == 0
    services = seen["CreateService"] - 1  # the emulator saw every attempt
    assert services >= 2  # my-hotel's two routes
    assert select(calls, **create) == select(calls, **create, status_code="201", error_code="") == services
    assert select(requests, **create) == seen["CreateService"]
    assert select(m["aws_api_call_retries_sum"], **create) == 1
    assert select(m["aws_api_call_retries_count"], **create) == services
    assert select(m["aws_api_call_retries_bucket"], **create, le="0.0") == services - 1
    assert select(m["aws_api_call_duration_seconds_count"], **create) == services
    assert select(m["aws_api_request_duration_seconds_count"], **create) == seen["CreateService"]
    assert select(m["latticegw_aws_throttled_requests_total"], **create) == 1

    # Every HTTP request the emulator answered for this controller is one aws_api_requests_total
    # (the harness itself lists and creates the walkthrough's service network: those are not ours).
    harness = {"ListServiceNetworks", "CreateServiceNetwork"}
    by_operation: dict[str, float] = {}
    for ls, v in requests:
        if ls["operation"] not in harness:
            by_operation[ls["operation"]] = by_operation.get(ls["operation"], 0.0) + v
    assert by_operation == {op: n for op, n in seen.items() if op not in harness}
    assert set(by_operation) >= {"CreateService", "CreateTargetGroup", "CreateListener", "CreateRule"}
