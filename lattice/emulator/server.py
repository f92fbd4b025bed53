"""The emulator process: an aiohttp app serving the Lattice API and `/_emulator/` controls.

Request pipeline (each step can answer early):

    auth (SigV4 header present)  ->  route (raw path)  ->  count the call
    ->  injected latency / throttling / errors  ->  parse + validate (model)
    ->  tick due lifecycle transitions  ->  clientToken replay  ->  handler  ->  encode

In strict mode (tests) the answer is also checked against the model: output members
must be modelled, and an emulated error must be one the operation declares.

Only the first awaits (latency); from parsing to encoding everything runs
without yielding, so each API call is atomic, like a single-writer control plane.

Requests to `/` carrying `X-Amz-Target` are JSON 1.1 services on the same port: the Resource
Groups Tagging API (GetResources) and ACM (acm_api/); json_front.py runs the same steps for them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from . import control, instance, json_front, persistence
from . import resources as _resources  # noqa: F401 - registers the handlers
from .acm_api.service import SERVICE as ACM_SERVICE
from .calls import CallStats
from .config import EmulatorConfig
from .errors import ApiError, Conflict, InternalError, UnknownOperation, ValidationError
from .faults import Faults
from .lifecycle import apply_transition
from .model import declared_errors, idempotent_member, operation
from .ops import HANDLERS, Ctx
from .store import Store
from .tagging_api.service import SERVICE as TAGGING_SERVICE
from .validation import check_output, validate_input
from .wire import CLIENT_GONE, client_gone, credentials, dumps, error_headers, match, parse_params

if TYPE_CHECKING:
    from .client import EmulatorControl

log = logging.getLogger("latticegw.emulator")

JSON_SERVICES = [TAGGING_SERVICE, ACM_SERVICE]
TOKEN_TTL = 8 * 3600  # keep clientTokens at least 8 hours (spec 2.0)
CONTROL_PREFIX = "/_emulator/"


class Emulator:
    """A running (or ready-to-run) emulator. Use `run_emulator()` rather than this directly."""

    def __init__(self, config: EmulatorConfig | None = None, state_file: str | Path | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(self.config.seed)
        self.faults = Faults(rng=self.store.rng)
        self.calls = CallStats()
        self.state_file = Path(state_file) if state_file else None
        self.generation = 0  # bumped by every mutation, so the saver knows when to write
        # Added to the wall clock: tests advance time instead of sleeping through transitions.
        self.clock_offset = 0.0
        self.imds_tokens: dict[str, float] = {}  # IMDSv2 token -> expiry (emulator clock)
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._saver: asyncio.Task[None] | None = None
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        # One catch-all route: wire.py does the routing on the raw path. `[\s\S]` rather than `.`
        # because aiohttp matches the decoded path, and a %0A in a label must still reach us.
        self.app.router.add_route("*", r"/{tail:[\s\S]*}", self._handle)

    # -- lifecycle ------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self.state_file is not None and self.state_file.exists():
            persistence.load(self.store, self.state_file)
        # Long request lines are legal here: a 2,048-char ARN label percent-encodes to ~6 KB, and
        # fuzzed labels must reach the router to get a proper JSON ValidationException.
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, max_line_size=65536)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        sock = server.sockets[0]  # the only way to learn the port picked for port=0
        bound = sock.getsockname()
        host_part = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{host_part}:{bound[1]}"
        if self.state_file is not None:
            self._saver = asyncio.create_task(self._save_periodically())
        return self.url

    async def stop(self) -> None:
        if self._saver is not None:
            self._saver.cancel()
            try:
                await self._saver
            except asyncio.CancelledError:
                pass
        self.save()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def save(self) -> bool:
        if self.state_file is None:
            return False
        persistence.save(self.store, self.state_file)
        return True

    async def _save_periodically(self) -> None:
        saved = self.generation
        while True:
            await asyncio.sleep(self.config.save_interval)
            if self.generation != saved:
                saved = self.generation
                try:
                    self.save()
                except OSError:
                    log.exception("saving emulator state failed")

    def reset(self) -> None:
        self.clock_offset = 0.0
        self.store.reset()
        self.faults.clear()
        self.calls.reset()
        self.imds_tokens.clear()
        self.generation += 1

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        if not math.isfinite(seconds) or seconds < 0:
            # NaN would poison every later timestamp (creates 500 yet still create); inf likewise.
            raise ValueError(f"the clock only moves forward by a finite number of seconds, not {seconds!r}")
        self.clock_offset += seconds
        self.tick_all()
        return self.now()

    def tick_all(self) -> None:
        now = self.now()
        for part in self.store.partitions.values():
            part.tick(now, apply_transition)

    def control(self) -> "EmulatorControl":
        """A control-API client for this emulator (use as `async with emu.control() as ctl:`)."""
        from .client import EmulatorControl

        return EmulatorControl(self.url)

    def client_kwargs(self, region: str | None = None) -> dict[str, Any]:
        """Arguments for `session.client("vpc-lattice", **kwargs)` aimed at this emulator."""
        return {
            "endpoint_url": self.url,
            "region_name": region or self.config.region,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }

    # -- HTTP -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path, _, query = request.raw_path.partition("?")
        if raw_path.startswith(CONTROL_PREFIX):
            return await control.handle(self, request, raw_path[len(CONTROL_PREFIX):])
        if raw_path.startswith("/latest/"):
            return await instance.imds.handle(self, request, raw_path)
        if instance.ec2.wants(request, raw_path):
            return await instance.ec2.handle(self, request)
        if json_front.wants(request, raw_path):
            svc = json_front.service_for(JSON_SERVICES, request) or TAGGING_SERVICE  # unknown: its error
            return await json_front.handle(self, svc, request)
        request_id = str(uuid.uuid4())
        op_name = "Unknown"
        started: float | None = None
        try:
            akid, region = credentials(request.headers.get("Authorization"))
            route, labels = match(request.method, raw_path)
            op_name = route.operation
            if op_name not in HANDLERS:
                raise UnknownOperation(request.method, raw_path[:200])
            account = self.config.accounts.get(akid, self.config.account)
            delay = self.faults.delay_for(op_name)
            if delay > 0:
                await asyncio.sleep(delay)
            started = time.perf_counter()
            self.faults.check_throttle(op_name, account, self.config.throttle)
            self.faults.check_errors(op_name)
            body = await self._read_body(request)
            status, payload = self._call(op_name, route.status, account, region, labels, query, body)
        except ApiError as exc:
            if self.config.strict_output and not exc.injected and op_name in HANDLERS \
                    and exc.code not in declared_errors(op_name):
                # An error the model does not list for this op would surprise real clients: flag it.
                exc = InternalError(f"Emulator raised {exc.code} ({exc.message}), which {op_name} does not declare")
            self.calls.record(op_name, exc.code, _elapsed(started))
            return web.Response(status=exc.status, body=dumps(exc.body()), headers=error_headers(exc, request_id))
        except ConnectionError:  # the client hung up (reading its body): not a crash
            self.calls.record(op_name, CLIENT_GONE, _elapsed(started))
            return client_gone(log, op_name)
        except Exception as exc:  # noqa: BLE001 - bad input must never take the server down
            log.exception("emulator handler crashed on %s", op_name)
            err = InternalError(f"Internal error: {type(exc).__name__}")
            self.calls.record(op_name, err.code, _elapsed(started))
            return web.Response(status=500, body=dumps(err.body()), headers=error_headers(err, request_id))
        self.calls.record(op_name, "OK", _elapsed(started))
        headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/json"}
        return web.Response(status=status, body=b"" if status == 204 else payload, headers=headers)

    @staticmethod
    async def _read_body(request: web.Request) -> bytes:
        if not request.body_exists:
            return b""
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            # Never a 5xx for client input; AWS rejects oversized payloads as invalid requests.
            raise ValidationError("Request body is too large", reason="other") from None

    def _call(self, op_name: str, status: int, account: str, region: str, labels: dict[str, str], query: str,
              body: bytes) -> tuple[int, bytes]:
        params = parse_params(op_name, labels, query, body)
        validate_input(op_name, params)
        now = self.now()
        part = self.store.partition(account, region)
        part.tick(now, apply_transition)
        ctx = Ctx(part, self.config, now, op_name)
        mutating = not op_name.startswith(("Get", "List"))
        if op_name.startswith("Create"):
            ctx.invisible_for = self.faults.invisible_for(op_name)
        token_member = idempotent_member(op_name)
        token = params.get(token_member) if token_member else None
        if token is not None:
            key = f"{op_name}/{token}"
            rest = {k: v for k, v in params.items() if k != token_member}
            fingerprint = orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode()
            seen = part.tokens.get(key)
            if seen is not None and now - seen["at"] < TOKEN_TTL:
                if seen["fp"] != fingerprint:
                    raise Conflict(seen["type"], seen["id"],
                                   f"clientToken {token[:64]} was already used with different parameters")
                return status, seen["body"].encode()
        if mutating:
            ctx.lifecycle_failure = self.faults.take_lifecycle_failure(op_name)
        try:
            result = HANDLERS[op_name](ctx, params)
        except ApiError:
            # A refused call started no transition, so an injected lifecycle failure waits for the next.
            if ctx.lifecycle_failure is not None:
                self.faults.return_lifecycle_failure(op_name, ctx.lifecycle_failure)
            raise
        payload = dumps(result) if result is not None else b""
        if self.config.strict_output and result is not None:
            problems = check_output(op_name, result)
            if problems:
                raise InternalError(f"Emulator response does not match the model: {problems[:5]}")
        if token is not None:
            if len(part.tokens) % 4096 == 4095:
                _expire_tokens(part.tokens, now)
            part.tokens[key] = {
                "fp": fingerprint, "at": now, "body": payload.decode(),
                "id": (result or {}).get("id", ""), "type": _resource_type(op_name),
            }
        if mutating:
            self.generation += 1
        return status, payload


def _expire_tokens(tokens: dict[str, dict[str, Any]], now: float) -> None:
    for key in [k for k, v in tokens.items() if now - v["at"] >= TOKEN_TTL]:
        del tokens[key]


def _elapsed(started: float | None) -> float | None:
    return None if started is None else time.perf_counter() - started


def _resource_type(op_name: str) -> str:
    shape = operation(op_name).output_shape
    name = shape.name.removeprefix("Create").removesuffix("Response") if shape is not None else "RESOURCE"
    # CreateServiceNetworkServiceAssociationResponse -> SERVICE_NETWORK_SERVICE_ASSOCIATION
    out: list[str] = []
    for ch in name:
        if ch.isupper() and out:
            out.append("_")
        out.append(ch.upper())
    return "".join(out)
