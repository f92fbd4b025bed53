"""The `/_emulator/` control API (documented in the package docstring)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from .core import EmulatorCore
from .dump import dump_partition
from .errors import ApiError
from .faults import ANY, CLASSES, number
from .ids import TARGET_GROUP
from .ops import HANDLERS, Ctx, lookup
from .tagging_api import model as tagging_model
from .wire import client_gone

log = logging.getLogger("latticegw.emulator")


TARGET_STATES = ("HEALTHY", "UNHEALTHY", "UNAVAILABLE", "INITIAL", "UNUSED", "DRAINING")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


class BadRequest(Exception):
    pass


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest("body must be a JSON object")
    return doc


async def handle(emu: EmulatorCore, request: web.Request, path: str) -> web.Response:
    handler = ROUTES.get((request.method, path.strip("/")))
    if handler is None:
        return _json({"message": f"unknown control {request.method} /_emulator/{path}"}, 404)
    try:
        body = await _body(request) if request.method in ("POST", "PUT", "PATCH") else {}
        result = await handler(emu, body, request)
    except ApiError as exc:
        return _json(exc.body(), exc.status)
    except (BadRequest, KeyError, ValueError, TypeError) as exc:
        return _json({"message": f"bad control request: {exc!r}"}, 400)
    except ConnectionError:  # the client hung up: not a crash
        return client_gone(log, f"control {path}")
    return _json(result if result is not None else {})


Handler = Callable[[EmulatorCore, dict[str, Any], web.Request], Awaitable[Any]]
ROUTES: dict[tuple[str, str], Handler] = {}


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES[(method, path)] = fn
        return fn

    return register


@route("GET", "state")
async def state(emu: EmulatorCore, _: dict[str, Any], request: web.Request) -> Any:
    emu.tick_all()
    account = request.query.get("account")
    region = request.query.get("region")
    parts = [
        dump_partition(p, emu.config, emu.now())
        for (acct, reg), p in sorted(emu.store.partitions.items())
        if (account is None or acct == account) and (region is None or reg == region)
    ]
    return {"partitions": parts}


@route("POST", "reset")
async def reset(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    emu.reset()


@route("GET", "calls")
async def calls(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    return emu.calls.to_json()


@route("DELETE", "calls")
async def reset_calls(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    emu.calls.reset()


@route("GET", "faults")
async def faults(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    return emu.faults.to_json()


@route("DELETE", "faults")
async def clear_faults(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    emu.faults.clear()


@route("POST", "faults/latency")
async def latency(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    spec = {k: v for k, v in body.items() if k != "operation"}
    emu.faults.set_latency(body.get("operation", "*"), spec)
    return emu.faults.to_json()


@route("POST", "faults/throttle")
async def throttle(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    key = body.get("operation", "*")
    if key not in (ANY, *CLASSES) and key not in HANDLERS and key not in tagging_model.SERVED:
        raise ValueError(f"throttle: {key!r} is not an operation, a class ({', '.join(CLASSES)}) or '*'")
    emu.faults.set_throttle(key, body.get("rate"), body.get("burst"), body.get("retryAfter"))
    return emu.faults.to_json()


@route("POST", "faults/errors")
async def errors(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    emu.faults.add_error(body)
    return emu.faults.to_json()


@route("POST", "faults/consistency")
async def consistency(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    emu.faults.set_consistency(body.get("seconds", 0), body.get("operations"))
    return emu.faults.to_json()


@route("POST", "faults/lifecycle")
async def lifecycle(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    emu.faults.set_lifecycle_failure(
        body["operation"], body.get("count", 1),
        body.get("failureCode", "InjectedFailure"), body.get("failureMessage", "Injected by the emulator"),
    )
    return emu.faults.to_json()


@route("POST", "target-health")
async def target_health(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    """Pin a target's health: {targetGroupIdentifier, id, port?, status, reasonCode?, account?, region?}."""
    status = body.get("status")
    if status not in ("HEALTHY", "UNHEALTHY", None):
        raise ValueError("status must be HEALTHY, UNHEALTHY or null (derive again)")
    part = emu.store.partition(body.get("account", emu.config.account), body.get("region", emu.config.region))
    ctx = Ctx(part, emu.config, emu.now(), "Control")
    tg = lookup(ctx, TARGET_GROUP, body["targetGroupIdentifier"])
    hits = [t for t in tg["_targets"].values()
            if t["id"] == body["id"] and body.get("port") in (None, t["port"])]
    if not hits:
        raise KeyError(f"target {body['id']} not registered")
    for target in hits:
        target["health"] = status
        target["reasonCode"] = body.get("reasonCode")
    emu.generation += 1
    return {"updated": len(hits)}


@route("GET", "config")
async def get_config(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    return emu.config.to_json()


@route("PATCH", "config")
async def patch_config(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    emu.config.update(body)
    return emu.config.to_json()


@route("POST", "clock")
async def clock(emu: EmulatorCore, body: dict[str, Any], _: web.Request) -> Any:
    """{"advance": seconds}: move the emulator's clock forward (transitions, health, visibility)."""
    return {"now": emu.advance_clock(number("advance", body.get("advance", 0)))}


@route("POST", "save")
async def save(emu: EmulatorCore, _: dict[str, Any], __: web.Request) -> Any:
    return {"saved": emu.save()}
