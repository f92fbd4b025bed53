"""The AWS-call metrics under the AWS Gateway API Controller's names, labels and label values
(its `pkg/aws/metrics`: one `aws_api_calls_total` per SDK call, one `aws_api_requests_total` per HTTP
attempt, `aws_api_call_retries` per call), measured through the real aioboto3 stack against the
emulator over HTTP with faults injected, and read back from the Prometheus text /metrics serves."""

from __future__ import annotations

import socket

import botocore.session
import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.observe.metrics import Metrics
from lattice.client import LatticeClient
from lattice.errors import Conflict, RetryLater
from tests.integration.lattice.conftest import _session, make_config

LATTICE = "VPC Lattice"


def samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) -> value, parsed from the rendered text as Prometheus would."""
    out = {}
    for fam in text_string_to_metric_families(metrics.render().decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, frozenset(labels.items())))


def total(metrics: Metrics, name: str, **labels: str) -> float:
    """The sum over every series of `name` that carries these labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples(metrics).items() if n == name and want <= ls)


def codes(metrics: Metrics, name: str, operation: str) -> dict[tuple[str, str], float]:
    """(status_code, error_code) -> count of a counter, for one operation."""
    out = {}
    for (n, ls), v in samples(metrics).items():
        d = dict(ls)
        if n == name and d.get("operation") == operation:
            out[(d["status_code"], d["error_code"])] = v
    return out


def test_the_service_label_is_botocores_service_id():
    # The Go SDK's GetServiceID is the model's serviceId; botocore reads the same models.
    s = botocore.session.get_session()
    assert {n: s.get_service_model(n).service_id for n in ("vpc-lattice", "acm", "resourcegroupstaggingapi")} == {
        "vpc-lattice": LATTICE, "acm": "ACM", "resourcegroupstaggingapi": "Resource Groups Tagging API"}


async def test_a_throttled_then_answered_call_is_one_call_two_requests_one_retry(lattice_emulator, ctl):
    m = Metrics()
    async with LatticeClient(make_config(lattice_emulator.url), observer=m, session=_session()) as client:
        sn = await client.call("CreateServiceNetwork", name="metrics-a")
        await ctl.reset_calls()
        await ctl.inject_error("GetServiceNetwork", "ThrottlingException", count=1, retry_after=0)
        await client.call("GetServiceNetwork", serviceNetworkIdentifier=sn["id"])
    op = {"service": LATTICE, "operation": "GetServiceNetwork"}
    assert codes(m, "aws_api_calls_total", "GetServiceNetwork") == {("200", ""): 1.0}
    assert codes(m, "aws_api_requests_total", "GetServiceNetwork") == {("429", "ThrottlingException"): 1.0,
                                                                        ("200", ""): 1.0}
    assert (await ctl.calls())["calls"]["GetServiceNetwork"] == 2  # what the emulator saw
    # the real HTTP status, not a constant: CreateServiceNetwork answers 201
    assert codes(m, "aws_api_calls_total", "CreateServiceNetwork") == {("201", ""): 1.0}
    assert value(m, "aws_api_call_retries_count", **op) == 1.0
    assert value(m, "aws_api_call_retries_sum", **op) == 1.0
    assert value(m, "aws_api_call_retries_bucket", **op, le="0.0") == 0.0
    assert value(m, "aws_api_call_retries_bucket", **op, le="1.0") == 1.0
    assert value(m, "aws_api_call_duration_seconds_count", **op) == 1.0
    assert value(m, "aws_api_request_duration_seconds_count", **op) == 2.0
    assert value(m, "latticegw_aws_throttled_requests_total", **op) == 1.0


async def test_a_call_that_fails_is_counted_with_its_error(lattice_emulator, ctl):
    m = Metrics()
    async with LatticeClient(make_config(lattice_emulator.url, base_backoff=0.001), observer=m,
                             session=_session()) as client:
        # not retried: one request, the call's status and code are the answer's
        sn = await client.call("CreateServiceNetwork", name="metrics-b")
        with pytest.raises(Conflict):
            await client.call("CreateServiceNetwork", name="metrics-b")
        # retried until the budget (max_attempts=4) is spent: the last answer's status and code
        await ctl.inject_error("GetServiceNetwork", "InternalServerException", count=10, retry_after=0)
        with pytest.raises(RetryLater):
            await client.call("GetServiceNetwork", serviceNetworkIdentifier=sn["id"])
    assert codes(m, "aws_api_calls_total", "CreateServiceNetwork") == {("201", ""): 1.0,
                                                                       ("409", "ConflictException"): 1.0}
    assert codes(m, "aws_api_calls_total", "GetServiceNetwork") == {("500", "InternalServerException"): 1.0}
    assert codes(m, "aws_api_requests_total", "GetServiceNetwork") == {("500", "InternalServerException"): 4.0}
    get = {"service": LATTICE, "operation": "GetServiceNetwork"}
    assert value(m, "aws_api_call_retries_sum", **get) == 3.0
    assert value(m, "aws_api_call_retries_bucket", **get, le="2.0") == 0.0
    assert value(m, "aws_api_call_retries_bucket", **get, le="3.0") == 1.0
    create = {"service": LATTICE, "operation": "CreateServiceNetwork"}
    assert value(m, "aws_api_call_retries_sum", **create) == 0.0
    assert value(m, "aws_api_call_retries_count", **create) == 2.0


async def test_no_answer_is_status_0_error_internal():
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = Metrics()
    config = make_config(f"http://127.0.0.1:{port}", base_backoff=0.001, connect_timeout=1.0)
    async with LatticeClient(config, observer=m, session=_session()) as client:
        with pytest.raises(RetryLater):
            await client.call("ListServices")
    assert codes(m, "aws_api_calls_total", "ListServices") == {("0", "internal"): 1.0}
    assert codes(m, "aws_api_requests_total", "ListServices") == {("0", "internal"): 4.0}
    assert value(m, "aws_api_call_retries_sum", service=LATTICE, operation="ListServices") == 3.0


async def test_acm_and_the_tagging_api_are_labelled_with_their_service_ids(lattice_emulator, ctl):
    m = Metrics()
    config = make_config(lattice_emulator.url, acm_endpoint_url=lattice_emulator.url, tagging_api=True,
                         tagging_endpoint_url=lattice_emulator.url)
    async with LatticeClient(config, observer=m, session=_session(), with_acm=True) as client:
        await client.acm("ListCertificates")
        await ctl.inject_error("GetResources", "ThrottlingException", count=1, retry_after=0)
        await client.tagged_resources(["vpc-lattice:service"], {"application-networking.k8s.aws/ManagedBy": "x"})
    assert total(m, "aws_api_calls_total", service="ACM", operation="ListCertificates", status_code="200",
                 error_code="") == 1.0
    tagging = {"service": "Resource Groups Tagging API", "operation": "GetResources"}
    assert total(m, "aws_api_calls_total", **tagging, status_code="200", error_code="") == 1.0
    # the Tagging API's own name for a throttle, as botocore parses it from the JSON 1.1 `__type`
    throttled = [k for k in codes(m, "aws_api_requests_total", "GetResources") if k[1] != ""]
    assert throttled == [("400", "ThrottledException")]
    assert value(m, "latticegw_aws_throttled_requests_total", **tagging) == 1.0
