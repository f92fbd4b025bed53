"""Fenced status writes and deduplicated Events; tracing setup."""

from __future__ import annotations

import asyncio

import pytest

from controller.events import EventRecorder
from controller.kube.client import MERGE_PATCH, KubeError
from controller.kube.discovery import Resource
from controller.leader.fence import AlwaysLeader, Fence, LostLeadership, bind_fence, reset_fence
from controller.observe.tracing import Tracing
from controller.status import StatusWriter

from .fakekube import FakeKube

ROUTES = Resource("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", True)
PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/app/httproutes/r"


def seeded() -> tuple[FakeKube, dict]:
    kube = FakeKube()
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": "app", "uid": "u1"}, "spec": {}}
    stored = kube._store(PATH, route)  # noqa: SLF001
    return kube, stored


async def test_status_patch_is_a_merge_patch_on_status_with_rv_precondition():
    kube, route = seeded()
    sw = StatusWriter(kube, {"HTTPRoute": ROUTES})
    written = await sw.patch_status(route, {"parents": [{"controllerName": "x"}]}, fence=AlwaysLeader())
    path, ctype, body = kube.patches[-1]
    assert path == PATH + "/status" and ctype == MERGE_PATCH
    assert written["status"] == {"parents": [{"controllerName": "x"}]}
    with pytest.raises(KubeError) as info:  # `route` is stale now
        await sw.patch_status(route, {"parents": []}, fence=AlwaysLeader())
    assert info.value.conflict


async def test_status_write_refused_without_leadership():
    kube, route = seeded()
    sw = StatusWriter(kube, {"HTTPRoute": ROUTES})
    t = [10.0]
    dead = Fence("me", 1, clock=lambda: t[0])
    dead.extend(5.0)
    with pytest.raises(LostLeadership):
        await sw.patch_status(route, {"parents": []}, fence=dead)
    with pytest.raises(LostLeadership):  # and no fence bound at all
        await sw.patch_status(route, {"parents": []})
    assert kube.patches == []


async def test_events_are_written_in_background_and_deduplicated():
    kube, route = seeded()
    rec = EventRecorder(kube, controller="ctl", instance="me")
    tok = bind_fence(AlwaysLeader())
    try:
        rec.emit(route, "Warning", "BackendNotFound", "service svc not found")
        await rec.close()
        rec.emit(route, "Warning", "BackendNotFound", "service svc not found")
        await rec.close()
    finally:
        reset_fence(tok)
    events = {p: o for p, o in kube.objects.items() if "/events/" in p}
    assert len(events) == 1
    ev = next(iter(events.values()))
    assert ev["regarding"]["uid"] == "u1" and ev["reason"] == "BackendNotFound" and ev["type"] == "Warning"
    assert ev["series"]["count"] == 2 and ev["reportingController"] == "ctl"


async def test_events_dropped_without_leadership():
    kube, route = seeded()
    rec = EventRecorder(kube, controller="ctl", instance="me")
    rec.emit(route, "Normal", "Reconciled", "ok")  # no fence bound: not the leader
    await asyncio.sleep(0)
    await rec.close()
    assert not [p for p in kube.objects if "/events/" in p]


def test_otlp_export_follows_the_standard_variables():
    plain = Tracing(environ={})
    assert not plain.otlp
    plain.shutdown()
    otlp = Tracing(environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert otlp.otlp
    otlp.shutdown()


def test_aws_layer_spans_reach_the_buffer_through_the_global_api():
    from opentelemetry import trace

    t = Tracing(environ={}, install_global=True)
    if not t.is_global:  # another test in this process installed one first
        t.shutdown()
        return
    with t.tracer.start_as_current_span("reconcile HTTPRoute"):
        with trace.get_tracer("latticegw.lattice").start_as_current_span("vpc-lattice CreateService"):
            pass
    names = [s["name"] for s in t.recent()]
    assert names == ["reconcile HTTPRoute", "vpc-lattice CreateService"]
    spans = t.recent()
    assert spans[1]["parent_span_id"] == spans[0]["span_id"], "the AWS call is a child of its reconcile"


async def test_a_retry_storm_is_one_event_and_a_bounded_number_of_writes():
    """client-go's series: create, then count 2, then the count only every `series_refresh`
    seconds, and the final count when the recorder closes."""
    kube, route = seeded()
    rec = EventRecorder(kube, controller="ctl", instance="me", series_refresh=3600)
    tok = bind_fence(AlwaysLeader())
    try:
        for _ in range(50):
            rec.emit(route, "Warning", "FailedDeployModel", "CreateService: AccessDeniedException")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        assert rec.written == 2  # the create and the series of 2; 48 retries cost nothing yet
        await rec.close()
    finally:
        reset_fence(tok)
    events = [o for p, o in kube.objects.items() if "/events/" in p]
    assert len(events) == 1 and events[0]["series"]["count"] == 50
    assert rec.written == 3


async def test_a_series_past_its_window_is_a_new_event():
    kube, route = seeded()
    rec = EventRecorder(kube, controller="ctl", instance="me", dedupe_window=0.0)
    tok = bind_fence(AlwaysLeader())
    try:
        rec.emit(route, "Normal", "DeploySucceed", "ok")
        await rec.close()
        await asyncio.sleep(0.001)
        rec.emit(route, "Normal", "DeploySucceed", "ok")
        await rec.close()
    finally:
        reset_fence(tok)
    assert len([p for p in kube.objects if "/events/" in p]) == 2


async def test_one_pass_writes_status_then_metadata_with_the_fresh_resource_version():
    """The detach path: our status entry, annotations and finalizer go in two patches, and the
    finalizer's (preconditioned) patch carries the resourceVersion the status patch returned --
    the object as cached is stale by then, which used to make that patch fail with 409."""
    from types import SimpleNamespace

    from controller.reconcile import TemporaryError
    from controller.reconcilers.context import Context
    from controller.reconcilers.writes import Intent, decide

    kube, route = seeded()
    route = kube._store(PATH, {**route, "metadata": {**route["metadata"],  # noqa: SLF001
                                                     "finalizers": ["httproute.k8s.aws/resources"],
                                                     "annotations": {"latticegw.io/applied": "x"}}})
    ctx = Context(SimpleNamespace(status=StatusWriter(kube, {"HTTPRoute": ROUTES})), None, None)
    writes = decide(route, Intent(finalizer=False, annotations={"latticegw.io/applied": None},
                                  status={"parents": []}))
    tok = bind_fence(AlwaysLeader())
    try:
        written = await ctx.write(route, writes)
    finally:
        reset_fence(tok)
    assert [p for p, _, _ in kube.patches] == [PATH + "/status", PATH]
    assert written["metadata"]["finalizers"] == []
    with pytest.raises(TemporaryError) as info:  # a second pass from the stale object is refused, never blind
        tok = bind_fence(AlwaysLeader())
        try:
            await ctx.write(route, writes)
        finally:
            reset_fence(tok)
    assert "changed while we wrote it" in str(info.value)
