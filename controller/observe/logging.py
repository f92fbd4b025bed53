"""structlog configured for JSON lines rendered with orjson.

Per reconcile the worker binds `key`, `controller` and `reconcile_id` with
`structlog.contextvars`; each asyncio task has its own context copy, so
bindings never leak between concurrent reconciles. A processor adds the
current OpenTelemetry `trace_id`/`span_id`, so every reconcile log line can be
joined with its trace.
"""

from __future__ import annotations

import logging
import sys

import orjson
import structlog

from controller.observe.tracing import current_ids

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def add_trace_ids(_logger, _method, event_dict: dict) -> dict:
    trace_id, span_id = current_ids()
    if trace_id is not None:
        event_dict.setdefault("trace_id", trace_id)
        event_dict.setdefault("span_id", span_id)
    return event_dict


def configure(level: str = "info", stream=None, *, cache: bool = True) -> None:
    stream = stream or sys.stdout
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_trace_ids,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps, default=str),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.BytesLoggerFactory(file=stream.buffer if hasattr(stream, "buffer") else stream),
        cache_logger_on_first_use=cache,
    )
    # Libraries that use stdlib logging (aiohttp, kubernetes_asyncio) go to stderr, warnings and up.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
