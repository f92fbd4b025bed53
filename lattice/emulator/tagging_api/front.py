"""The JSON 1.1 front door: `POST /` with `X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Op>`.

Same pipeline as the Lattice REST side (server.py), in the same order, so the
two services share credentials, partitions, call counters and fault rules:

    auth (SigV4 header present)  ->  target  ->  count the call
    ->  injected latency / throttling / errors  ->  parse + validate (model)
    ->  tick due lifecycle transitions  ->  handler  ->  encode

Errors from the shared steps are re-expressed in this service's names
(errors.from_shared). Everything after the latency await runs without yielding,
so a GetResources page is a consistent snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from ..errors import ApiError
from ..lifecycle import apply_transition
from ..ops import Ctx
from ..validation import input_problems, output_problems
from ..wire import credentials, dumps
from .errors import CONTENT_TYPE, InvalidParameter, TaggingError, UnknownOperation, from_shared
from .get_resources import get_resources
from .model import SERVED, declared_errors, operation, target_prefix

if TYPE_CHECKING:
    from ..server import Emulator

log = logging.getLogger("latticegw.emulator")

HANDLERS = {"GetResources": get_resources}
assert set(HANDLERS) == SERVED


def wants(request: web.Request, raw_path: str) -> bool:
    """True for a JSON 1.1 call: botocore sends every one to `/` with an X-Amz-Target."""
    return raw_path == "/" and "X-Amz-Target" in request.headers


async def handle(emu: "Emulator", request: web.Request) -> web.Response:
    request_id = str(uuid.uuid4())
    op_name = "Unknown"
    started: float | None = None
    try:
        akid, region = credentials(request.headers.get("Authorization"))
        op_name = _operation(request)
        account = emu.config.accounts.get(akid, emu.config.account)
        delay = emu.faults.delay_for(op_name)
        if delay > 0:
            await asyncio.sleep(delay)
        started = time.perf_counter()
        emu.faults.check_throttle(op_name, account, emu.config.throttle)
        emu.faults.check_errors(op_name)
        body = await _read(request)
        payload = _call(emu, op_name, account, region, body)
    except ApiError as exc:
        err = from_shared(exc)
        emu.calls.record(op_name, err.code, _elapsed(started))
        return _response(err.status, dumps(err.body()), request_id)
    except Exception as exc:  # noqa: BLE001 - bad input must never take the server down
        log.exception("emulator handler crashed on %s", op_name)
        err = TaggingError(f"Internal error: {type(exc).__name__}")
        emu.calls.record(op_name, err.code, _elapsed(started))
        return _response(err.status, dumps(err.body()), request_id)
    emu.calls.record(op_name, "OK", _elapsed(started))
    return _response(200, payload, request_id)


def _operation(request: web.Request) -> str:
    prefix, _, name = request.headers["X-Amz-Target"].partition(".")
    if request.method != "POST" or prefix != target_prefix() or not name:
        raise UnknownOperation(f"Unknown operation {request.headers['X-Amz-Target'][:200]}")
    if name not in SERVED:
        # A real Tagging API operation this emulator does not serve: fail loudly, never a fake 200.
        raise UnknownOperation(f"Operation {name[:100]} is not emulated (only {', '.join(sorted(SERVED))})")
    return name


async def _read(request: web.Request) -> bytes:
    if not request.body_exists:
        return b""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise InvalidParameter("Request body is too large") from None


def _call(emu: "Emulator", op_name: str, account: str, region: str, body: bytes) -> bytes:
    params = _parse(body)
    problems = input_problems(operation(op_name).input_shape, params)
    if problems:
        first = problems[0]
        raise InvalidParameter(f"{first['name']} {first['message']}"
                               + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    now = emu.now()
    part = emu.store.partition(account, region)
    part.tick(now, apply_transition)
    ctx = Ctx(part, emu.config, now, op_name)
    try:
        result = HANDLERS[op_name](ctx, params)
    except TaggingError as exc:
        if emu.config.strict_output and exc.code not in declared_errors(op_name):
            # An error the model does not list would surprise real clients: flag the emulator bug.
            raise TaggingError(f"Emulator raised {exc.code}, which {op_name} does not declare") from None
        raise
    if emu.config.strict_output:
        bad = output_problems(operation(op_name).output_shape, result)
        if bad:
            raise TaggingError(f"Emulator response does not match the model: {bad[:5]}")
    return dumps(result)


def _parse(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        # Coral's answer to a body it cannot read; a front-door error, so never model-checked.
        raise TaggingError("Could not parse request body as JSON", code="SerializationException",
                           status=400) from None
    if not isinstance(doc, dict):
        raise TaggingError("Request body must be a JSON object", code="SerializationException", status=400)
    return doc


def _response(status: int, payload: bytes, request_id: str) -> web.Response:
    return web.Response(status=status, body=payload,
                        headers={"x-amzn-RequestId": request_id, "Content-Type": CONTENT_TYPE})


def _elapsed(started: float | None) -> float | None:
    return None if started is None else time.perf_counter() - started
