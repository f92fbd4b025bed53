"""Workers map reconcile outcomes to queue operations like controller-runtime."""

from __future__ import annotations

import asyncio

import pytest

from controller.leader.fence import AlwaysLeader, Fence, LostLeadership, current_fence
from controller.observe.metrics import Metrics
from controller.queue.ratelimit import Backoff
from controller.queue.workqueue import WorkQueue
from controller.reconcile import Registry, Result, TemporaryError, TerminalError
from controller.workers import WorkerPool
from lattice.errors import RetryLater


class Scripted:
    """Returns/raises the next scripted outcome per call."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls: list[str] = []
        self.fences: list = []

    async def reconcile(self, key):
        self.calls.append(key)
        self.fences.append(current_fence())
        out = self.outcomes.pop(0) if self.outcomes else Result()
        if isinstance(out, BaseException):
            raise out
        if callable(out):
            return await out()
        return out


def pool(rec, metrics=None, timeout=5.0, workers=1):
    reg = Registry()
    reg.register("HTTPRoute", rec)
    q = WorkQueue(bucket_qps=0, backoff=Backoff(jitter=0))
    return q, WorkerPool(q, reg, workers=workers, timeout=timeout, metrics=metrics)


def count(m: Metrics, name: str, **labels) -> float:
    v = m.registry.get_sample_value(name, labels)
    return v or 0.0


KEY = "HTTPRoute/ns/r"


@pytest.mark.parametrize(
    "outcome,label,requeues,delayed",
    [
        (Result(), "success", 0, 0),
        (None, "success", 0, 0),
        (Result(requeue_after=30), "requeue_after", 0, 1),
        (Result(requeue=True), "requeue", 1, 1),
        (TemporaryError("aws down", retry_after=12), "error", 1, 1),
        (RuntimeError("bug"), "error", 1, 1),
        (TerminalError("invalid spec"), "error", 0, 0),
    ],
)
async def test_outcomes(outcome, label, requeues, delayed):
    m = Metrics()
    rec = Scripted(outcome)
    q, wp = pool(rec, m)
    q.add(KEY)
    assert q.get_nowait() == KEY
    got = await wp.process(KEY, AlwaysLeader())
    assert got == label
    assert q.num_requeues(KEY) == requeues
    assert q.delayed_count() == delayed
    assert not q.processing_keys()
    assert count(m, "controller_runtime_reconcile_total", controller="httproute", result=label) == 1
    if label == "error":
        assert count(m, "controller_runtime_reconcile_errors_total", controller="httproute") == 1
    if isinstance(outcome, TerminalError):
        assert count(m, "controller_runtime_terminal_reconcile_errors_total", controller="httproute") == 1
    if isinstance(outcome, RuntimeError):
        assert count(m, "controller_runtime_reconcile_panics_total", controller="httproute") == 1
    assert rec.fences and rec.fences[0].valid(), "the term's fence is bound during reconcile"


async def test_temporary_error_retry_after_is_a_floor():
    q, wp = pool(Scripted(TemporaryError("throttled", retry_after=12)))
    q.add(KEY)
    q.get_nowait()
    await wp.process(KEY, AlwaysLeader())
    assert q.next_due() - q._clock() == pytest.approx(12, abs=0.5)  # noqa: SLF001


async def test_aws_asking_to_slow_down_is_a_requeue_not_a_failure():
    """A throttling storm fails every pass of a key with RetryLater: counted as failures, the key's
    exponential backoff grew to minutes and kept it idle long after the storm ended."""
    throttled = [RetryLater("CreateRule", "ThrottlingException", "Rate exceeded", retry_after=2.0) for _ in range(12)]
    m = Metrics()
    q, wp = pool(Scripted(*throttled), m)
    for _ in throttled:
        q.add(KEY)
        q.get_nowait()
        assert await wp.process(KEY, AlwaysLeader()) == "requeue_after"
        assert q.num_requeues(KEY) == 0
        assert q.next_due() - q._clock() == pytest.approx(2.0, abs=0.5)  # noqa: SLF001
    assert count(m, "controller_runtime_reconcile_errors_total", controller="httproute") == 0


async def test_success_forgets_previous_failures():
    q, wp = pool(Scripted(RuntimeError("x"), Result()))
    q.add(KEY)
    q.get_nowait()
    await wp.process(KEY, AlwaysLeader())
    assert q.num_requeues(KEY) == 1
    q.add(KEY)  # fresh event
    q.get_nowait()
    await wp.process(KEY, AlwaysLeader())
    assert q.num_requeues(KEY) == 0


async def test_timeout_is_counted_and_retried_and_worker_survives():
    async def slow():
        await asyncio.sleep(10)

    m = Metrics()
    q, wp = pool(Scripted(slow, Result()), m, timeout=0.05)
    q.add(KEY)
    wp.start(AlwaysLeader())
    try:
        await asyncio.wait_for(_until(lambda: wp.processed >= 2), 10)
    finally:
        await wp.cancel()
    assert count(m, "controller_runtime_reconcile_timeouts_total", controller="httproute") == 1
    assert count(m, "controller_runtime_reconcile_total", controller="httproute", result="success") == 1


async def test_lost_leadership_leaves_key_pending_and_uncounted():
    def lose():
        raise LostLeadership("gone")

    async def raiser():
        lose()

    m = Metrics()
    q, wp = pool(Scripted(raiser), m)
    q.add(KEY)
    q.get_nowait()
    assert await wp.process(KEY, AlwaysLeader()) == "lost_leadership"
    assert q.is_pending(KEY)
    assert count(m, "controller_runtime_reconcile_total", controller="httproute", result="error") == 0


async def test_drain_cancels_stragglers_and_keeps_them_pending():
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.sleep(3600)

    q, wp = pool(Scripted(forever), workers=2)
    q.add(KEY)
    q.add("HTTPRoute/ns/other")
    wp.start(AlwaysLeader())
    await asyncio.wait_for(started.wait(), 5)
    cancelled = await wp.drain(grace=0.05)
    assert cancelled == [KEY]
    assert q.is_pending(KEY), "a reconcile cut short stays pending (persisted, redone later)"
    rec = q.record(KEY)
    assert rec.pending and rec.not_before == 0


async def test_unknown_kind_is_dropped():
    q, wp = pool(Scripted())
    q.add("Widget/ns/x")
    q.get_nowait()
    assert await wp.process("Widget/ns/x", AlwaysLeader()) == "dropped"
    assert not q.is_pending("Widget/ns/x")


async def test_workers_stop_when_fence_expires():
    q, wp = pool(Scripted(), workers=2)
    t = [0.0]
    fence = Fence("me", 1, clock=lambda: t[0])
    fence.extend(10)
    wp.start(fence)
    t[0] = 11  # the term is over
    q.add(KEY)
    await asyncio.sleep(0.05)
    await wp.cancel()
    assert wp.processed == 0 and q.is_pending(KEY)


def test_registry_rejects_duplicates_and_non_reconcilers():
    reg = Registry()
    reg.register("Gateway", Scripted())
    with pytest.raises(ValueError):
        reg.register("Gateway", Scripted())
    with pytest.raises(TypeError):
        reg.register("HTTPRoute", object())


async def _until(pred):
    while not pred():
        await asyncio.sleep(0.01)


async def test_reconcile_log_lines_carry_key_and_trace_id():
    import io

    import orjson
    import structlog

    from controller.observe import logging as logging_mod
    from controller.observe.tracing import Tracing

    buf = io.BytesIO()
    logging_mod.configure("debug", buf, cache=False)
    tracing = Tracing(environ={})
    try:
        class Chatty:
            async def reconcile(self, key):
                structlog.get_logger("test").info("inside reconcile")
                return Result()

        reg = Registry()
        reg.register("HTTPRoute", Chatty())
        q = WorkQueue(bucket_qps=0)
        wp = WorkerPool(q, reg, workers=1, tracer=tracing.tracer)
        q.add(KEY)
        q.get_nowait()
        await wp.process(KEY, AlwaysLeader())
    finally:
        structlog.reset_defaults()
        tracing.shutdown()
    lines = [orjson.loads(line) for line in buf.getvalue().splitlines()]
    inside = [line for line in lines if line["event"] == "inside reconcile"]
    assert inside and inside[0]["key"] == KEY and len(inside[0]["trace_id"]) == 32
    assert inside[0]["controller"] == "httproute" and inside[0]["reconcile_id"]
    assert tracing.recent()[0]["trace_id"] == inside[0]["trace_id"]


def test_default_process_and_platform_collectors_are_served():
    from prometheus_client.parser import text_string_to_metric_families

    names = {s.name for fam in text_string_to_metric_families(Metrics().render().decode()) for s in fam.samples}
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                 "python_info", "python_gc_objects_collected_total"):
        assert name in names, name


def test_every_controller_runtime_series_starts_at_zero_per_controller():
    m = Metrics()
    reg = Registry()
    for kind in ("HTTPRoute", "Gateway"):
        reg.register(kind, Scripted())
    WorkerPool(WorkQueue(bucket_qps=0), reg, workers=4, metrics=m)
    text = m.render().decode()
    for controller in ("httproute", "gateway"):
        for line in (f'controller_runtime_reconcile_errors_total{{controller="{controller}"}} 0.0',
                     f'controller_runtime_terminal_reconcile_errors_total{{controller="{controller}"}} 0.0',
                     f'controller_runtime_reconcile_panics_total{{controller="{controller}"}} 0.0',
                     f'controller_runtime_reconcile_timeouts_total{{controller="{controller}"}} 0.0',
                     f'controller_runtime_max_concurrent_reconciles{{controller="{controller}"}} 4.0',
                     f'controller_runtime_active_workers{{controller="{controller}"}} 0.0',
                     f'controller_runtime_reconcile_time_seconds_count{{controller="{controller}"}} 0.0'):
            assert line in text, line
        for result in ("success", "error", "requeue", "requeue_after"):
            assert f'controller_runtime_reconcile_total{{controller="{controller}",result="{result}"}} 0.0' in text


async def test_an_api_server_outage_is_errors_not_panics():
    """A real request to an API server that is not there (connection refused), as in an outage."""
    import socket

    from controller.kube.client import KubeClient
    from controller.kube.k8s_lib import Configuration

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = Configuration()
    cfg.host = f"http://127.0.0.1:{port}"
    kube = KubeClient(cfg)

    class WritesStatus:
        async def reconcile(self, key):
            await kube.request("PATCH", "/apis/x/v1/namespaces/a/things/b/status", body={})

    try:
        m = Metrics()
        q, wp = pool(WritesStatus(), metrics=m)
        for _ in range(3):
            q.add("HTTPRoute/a/b")
            key = await q.get()
            assert await wp.process(key, AlwaysLeader()) == "error"
            q.forget(key)
    finally:
        await kube.close()
    assert m.reconcile_errors.labels("httproute")._value.get() == 3  # noqa: SLF001
    assert m.reconcile_panics.labels("httproute")._value.get() == 0  # noqa: SLF001


async def test_a_bug_is_still_a_panic():
    m = Metrics()
    q, wp = pool(Scripted(KeyError("oops")), metrics=m)
    q.add("HTTPRoute/a/b")
    assert await wp.process(await q.get(), AlwaysLeader()) == "error"
    assert m.reconcile_panics.labels("httproute")._value.get() == 1  # noqa: SLF001
