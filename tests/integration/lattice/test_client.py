"""LatticeClient: observer callback, OpenTelemetry spans, typed errors, per-task call recording."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lattice.client import AwsCall, AwsRequest, LatticeClient, record_calls
from lattice.errors import Conflict, LatticeError, NotFound
from tests.integration.lattice.conftest import _session, make_config


class Observer:
    def __init__(self) -> None:
        self.requests: list[AwsRequest] = []
        self.calls: list[AwsCall] = []

    def aws_request(self, request: AwsRequest) -> None:
        self.requests.append(request)

    def aws_call(self, call: AwsCall) -> None:
        self.calls.append(call)


async def test_observer_spans_errors_and_recording(lattice_emulator, ctl):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observer = Observer()
    client = LatticeClient(make_config(lattice_emulator.url), observer=observer,
                           tracer=provider.get_tracer("test"), session=_session())
    async with client:
        with record_calls() as calls:
            await client.call("CreateServiceNetwork", name="net-a")
            with pytest.raises(Conflict):
                await client.call("CreateServiceNetwork", name="net-a")
            with pytest.raises(NotFound) as nf:
                await client.call("GetService", serviceIdentifier="svc-00000000000000000")
            assert nf.value.resource_type == "SERVICE"
            with pytest.raises(LatticeError) as bad:
                await client.call("CreateServiceNetwork", name="Bad_Name")
            assert bad.value.code == "ValidationException"
            await ctl.inject_error("ListServiceNetworks", "ThrottlingException", count=1, retry_after=0)
            items = await client.paginate("ListServiceNetworks")
        assert [i["name"] for i in items] == ["net-a"]
    assert calls["CreateServiceNetwork"] == 3 and calls["ListServiceNetworks"] == 2
    seen = [(r.service, r.operation, r.status_code, r.error_code, r.throttled) for r in observer.requests]
    assert ("VPC Lattice", "CreateServiceNetwork", "201", "", False) in seen
    assert ("VPC Lattice", "CreateServiceNetwork", "409", "ConflictException", False) in seen
    assert ("VPC Lattice", "ListServiceNetworks", "429", "ThrottlingException", True) in seen
    # a call is reported once, after its retries
    assert [(c.operation, c.status_code, c.error_code, c.retries) for c in observer.calls] == [
        ("CreateServiceNetwork", "201", "", 0), ("CreateServiceNetwork", "409", "ConflictException", 0),
        ("GetService", "404", "ResourceNotFoundException", 0), ("CreateServiceNetwork", "400", "ValidationException", 0),
        ("ListServiceNetworks", "200", "", 1)]
    spans = exporter.get_finished_spans()
    assert len(spans) == len(seen) == 6
    assert {s.name for s in spans} >= {"vpc-lattice.CreateServiceNetwork", "vpc-lattice.GetService"}
    failed = [s for s in spans if s.attributes.get("aws.outcome") == "ConflictException"]
    assert failed and not failed[0].status.is_ok


async def test_user_agent_is_ours_and_fixed():
    """Every call says it is latticegw (botocore adds its own name): a fixed User-Agent, not botocore's
    default, which is rebuilt from ~15 sanitised parts twice per call (~1.4 ms of CPU each, issue 11)."""
    from aiohttp import web

    seen: list[str] = []

    async def list_networks(request: web.Request) -> web.Response:
        seen.append(request.headers.get("User-Agent", ""))
        return web.json_response({"items": []})

    app = web.Application()
    app.router.add_get("/servicenetworks", list_networks)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with LatticeClient(make_config(f"http://127.0.0.1:{port}"), session=_session()) as client:
            await client.call("ListServiceNetworks")
            await client.call("ListServiceNetworks")
    finally:
        await runner.cleanup()
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0].startswith("latticegw ") and "botocore/" in seen[0] and "ua/2.1" not in seen[0]
