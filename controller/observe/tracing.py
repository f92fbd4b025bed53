"""OpenTelemetry setup: spans per reconcile, the recent ones kept for `/debug/traces`.

Each `Tracing` has its own `TracerProvider` and buffer, so several managers in
one process (tests) keep separate buffers. The first one also becomes the
process-wide provider (`install_global`), because the AWS layer gets its tracer
from the global API (`trace.get_tracer`), and its per-call spans must land in
the same buffer and export as the reconcile spans they belong to.

OTLP export is switched on by the standard variables
(`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); the
exporter reads the rest of `OTEL_EXPORTER_OTLP_*` itself.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

from controller.version import __version__


class RingBufferExporter(SpanExporter):
    """Keeps the last `size` finished spans; turns them into dicts only when asked.

    Export runs on the reconcile's hot path (SimpleSpanProcessor), so it only
    appends the finished span; `/debug/traces` pays for the conversion.
    """

    def __init__(self, size: int = 512) -> None:
        self._spans: collections.deque[ReadableSpan] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        with self._lock:
            self._spans.extend(spans)
        return SpanExportResult.SUCCESS

    def recent(self, limit: int | None = None) -> list[dict]:
        with self._lock:
            spans = list(self._spans)
        spans.reverse()  # newest first
        if limit:
            spans = spans[:limit]
        return [_to_dict(s) for s in spans]

    def shutdown(self) -> None:
        pass


def _to_dict(span: ReadableSpan) -> dict:
    ctx = span.get_span_context()
    assert ctx is not None, "a finished span has a context"
    parent = span.parent
    return {
        "name": span.name,
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "start_unix_nano": span.start_time,
        "end_unix_nano": span.end_time,
        "duration_ms": round(((span.end_time or 0) - (span.start_time or 0)) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in span.events],
    }


class Tracing:
    def __init__(self, environ: Mapping[str, str] | None = None, buffer_size: int = 512,
                 install_global: bool = False) -> None:
        environ = os.environ if environ is None else environ
        self.buffer = RingBufferExporter(buffer_size)
        self.provider = TracerProvider(resource=Resource.create({"service.name": "latticegw", "service.version": __version__}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.buffer))
        self.otlp = bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        if self.otlp and environ.get("OTEL_SDK_DISABLED", "").lower() != "true":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self.tracer = self.provider.get_tracer("latticegw.controller", __version__)
        self.is_global = False
        if install_global and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            trace.set_tracer_provider(self.provider)
            self.is_global = True

    def recent(self, limit: int | None = None) -> list[dict]:
        return self.buffer.recent(limit)

    def shutdown(self) -> None:
        """Flush; shut the provider down only if it is ours alone.

        The process-wide provider cannot be replaced once set (OpenTelemetry allows one per
        process), so shutting it down would leave every later user in this process (another
        manager in a test run, the AWS layer's spans) exporting into a closed processor.
        """
        if self.is_global:
            self.provider.force_flush()
        else:
            self.provider.shutdown()


def current_ids() -> tuple[str | None, str | None]:
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")
