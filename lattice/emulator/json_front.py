"""The JSON 1.1 front door: `POST /` with `X-Amz-Target: <prefix>.<Operation>`.

Two AWS services other than Lattice are served on the emulator's port this way: the Resource Groups
Tagging API (tagging_api/, GetResources) and AWS Certificate Manager (acm_api/). Each describes
itself with a `JsonService`; this module runs the same pipeline as the Lattice REST side
(server.py), in the same order, so all services share credentials, partitions, call counters and
fault rules:

    auth (SigV4 header present)  ->  target  ->  count the call
    ->  injected latency / throttling / errors  ->  parse + validate (model)
    ->  tick due lifecycle transitions  ->  handler  ->  encode

Errors from the shared steps are re-expressed in the service's own names (`JsonError.from_shared`;
the model and error base the services share are in json_model.py).
Everything after the latency await runs without yielding, so each call is atomic.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from botocore.model import OperationModel

from .core import EmulatorCore
from .errors import ApiError
from .json_model import JsonError
from .lifecycle import apply_transition
from .ops import Ctx
from .validation import input_problems, output_problems
from .wire import CLIENT_GONE, client_gone, credentials, dumps

log = logging.getLogger("latticegw.emulator")

CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class JsonService:
    """What the front door needs to know about one JSON 1.1 service."""

    target_prefix: Callable[[], str]  # e.g. ResourceGroupsTaggingAPI_20170126, CertificateManager
    handlers: Mapping[str, Callable[[Ctx, dict[str, Any]], dict[str, Any] | None]]  # the served operations
    operation: Callable[[str], OperationModel]
    declared_errors: Callable[[str], frozenset[str]]
    error: type[JsonError]  # the service's error base: its internal-failure code, `from_shared`
    invalid_parameter: Callable[[str], ApiError]
    unknown_operation: Callable[[str], ApiError]


def wants(request: web.Request, raw_path: str) -> bool:
    """True for a JSON 1.1 call: botocore sends every one to `/` with an X-Amz-Target."""
    return raw_path == "/" and "X-Amz-Target" in request.headers


def service_for(services: list[JsonService], request: web.Request) -> JsonService | None:
    prefix = request.headers["X-Amz-Target"].partition(".")[0]
    return next((s for s in services if s.target_prefix() == prefix), None)


async def handle(emu: EmulatorCore, svc: JsonService, request: web.Request) -> web.Response:
    request_id = str(uuid.uuid4())
    op_name = "Unknown"
    started: float | None = None
    try:
        akid, region = credentials(request.headers.get("Authorization"))
        op_name = _operation(svc, request)
        account = emu.config.accounts.get(akid, emu.config.account)
        delay = emu.faults.delay_for(op_name)
        if delay > 0:
            await asyncio.sleep(delay)
        started = time.perf_counter()
        emu.faults.check_throttle(op_name, account, emu.config.throttle)
        emu.faults.check_errors(op_name)
        body = await _read(svc, request)
        payload = _call(emu, svc, op_name, account, region, body)
    except ApiError as exc:
        err = svc.error.from_shared(exc)
        emu.calls.record(op_name, err.code, _elapsed(started))
        return _response(err.status, dumps(err.body()), request_id)
    except ConnectionError:  # the client hung up (reading its body): not a crash
        emu.calls.record(op_name, CLIENT_GONE, _elapsed(started))
        return client_gone(log, op_name)
    except Exception as exc:  # noqa: BLE001 - bad input must never take the server down
        log.exception("emulator handler crashed on %s", op_name)
        err = svc.error(f"Internal error: {type(exc).__name__}", code=svc.error.internal_code, status=500)
        emu.calls.record(op_name, err.code, _elapsed(started))
        return _response(err.status, dumps(err.body()), request_id)
    emu.calls.record(op_name, "OK", _elapsed(started))
    return _response(200, payload, request_id)


def _operation(svc: JsonService, request: web.Request) -> str:
    prefix, _, name = request.headers["X-Amz-Target"].partition(".")
    if request.method != "POST" or prefix != svc.target_prefix() or not name:
        raise svc.unknown_operation(f"Unknown operation {request.headers['X-Amz-Target'][:200]}")
    if name not in svc.handlers:
        # A real operation of the service this emulator does not serve: fail loudly, never a fake 200.
        raise svc.unknown_operation(f"Operation {name[:100]} is not emulated (only {', '.join(sorted(svc.handlers))})")
    return name


async def _read(svc: JsonService, request: web.Request) -> bytes:
    if not request.body_exists:
        return b""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise svc.invalid_parameter("Request body is too large") from None


def _call(emu: EmulatorCore, svc: JsonService, op_name: str, account: str, region: str, body: bytes) -> bytes:
    params = _parse(svc, body)
    problems = input_problems(svc.operation(op_name).input_shape, params)
    if problems:
        first = problems[0]
        raise svc.invalid_parameter(f"{first['name']} {first['message']}"
                                    + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    now = emu.now()
    part = emu.store.partition(account, region)
    part.tick(now, apply_transition)
    ctx = Ctx(part, emu.config, now, op_name)
    try:
        result = svc.handlers[op_name](ctx, params)
    except ApiError as exc:
        if emu.config.strict_output and exc.code not in svc.declared_errors(op_name):
            # An error the model does not list would surprise real clients: flag the emulator bug.
            raise svc.error(f"Emulator raised {exc.code}, which {op_name} does not declare",
                            code=svc.error.internal_code, status=500) from None
        raise
    if not op_name.startswith(("Get", "List", "Describe")):
        emu.generation += 1
    if result is None:
        return b"{}"
    if emu.config.strict_output:
        out_shape = svc.operation(op_name).output_shape
        bad = output_problems(out_shape, result) if out_shape is not None else []
        if bad:
            raise svc.error(f"Emulator response does not match the model: {bad[:5]}", code=svc.error.internal_code,
                            status=500)
    return dumps(result)


def _parse(svc: JsonService, body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        # Coral's answer to a body it cannot read; a front-door error, so never model-checked.
        raise svc.error("Could not parse request body as JSON", code="SerializationException",
                        status=400) from None
    if not isinstance(doc, dict):
        raise svc.error("Request body must be a JSON object", code="SerializationException", status=400)
    return doc


def _response(status: int, payload: bytes, request_id: str) -> web.Response:
    return web.Response(status=status, body=payload,
                        headers={"x-amzn-RequestId": request_id, "Content-Type": CONTENT_TYPE})


def _elapsed(started: float | None) -> float | None:
    return None if started is None else time.perf_counter() - started
