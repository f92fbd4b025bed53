"""structlog configured for JSON lines rendered with orjson, or for people at a terminal.

The format follows where the lines go: a terminal gets structlog's console renderer
(aligned, coloured, `key=value`), anything else (a pipe, a file, a container runtime) one
JSON object per line. LATTICEGW_LOG_FORMAT=json|console overrides the guess.

Per reconcile the worker binds `key`, `controller` and `reconcile_id` with
`structlog.contextvars`; each asyncio task has its own context copy, so
bindings never leak between concurrent reconciles. A processor adds the
current OpenTelemetry `trace_id`/`span_id`, so every reconcile log line can be
joined with its trace.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from controller.observe.tracing import current_ids

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def add_trace_ids(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    trace_id, span_id = current_ids()
    if trace_id is not None:
        event_dict.setdefault("trace_id", trace_id)
        event_dict.setdefault("span_id", span_id)
    return event_dict


FORMATS = ("json", "console")


def log_format(stream, environ=None) -> str:
    """"console" for a terminal, else "json"; LATTICEGW_LOG_FORMAT decides when set."""
    chosen = (os.environ if environ is None else environ).get("LATTICEGW_LOG_FORMAT", "").strip().lower()
    if chosen in FORMATS:
        return chosen
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() else "json"


def configure(level: str = "info", stream=None, *, cache: bool = True, fmt: str | None = None) -> None:
    stream = stream or sys.stdout
    fmt = fmt or log_format(stream)
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    processors: list[Any]
    factory: Any
    if fmt == "console":
        processors = [*shared, structlog.dev.ConsoleRenderer(colors=True)]
        factory = structlog.PrintLoggerFactory(file=stream)
    else:
        processors = [*shared, structlog.processors.format_exc_info,
                      structlog.processors.JSONRenderer(serializer=orjson.dumps, default=str)]
        factory = structlog.BytesLoggerFactory(file=stream.buffer if hasattr(stream, "buffer") else stream)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=factory,
        cache_logger_on_first_use=cache,
    )
    # Libraries that use stdlib logging (aiohttp, kubernetes_asyncio) go to stderr, warnings and up.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
