"""One long-lived aioboto3 client per AWS service, with rate limiting, retries, metrics and traces.

    async with LatticeClient(LatticeConfig(region="us-west-2", endpoint_url=url), observer=metrics) as c:
        svc = await c.call("GetService", serviceIdentifier="svc-...")
        items = await c.paginate("ListServices")

Every HTTP attempt:
* takes a token from its operation class's adaptive limiter (`ratelimit.py`: read / write / tag,
  shared by every worker) - and raises `RetryLater` rather than wait longer than
  `config.max_retry_wait` for one; its answer moves the class's rate (a throttle cuts it, anything
  else lets it grow back);
* runs in an OpenTelemetry span `vpc-lattice.<Operation>` (API only; the controller installs the SDK);
* is reported to `observer.aws_request(AwsRequest)` and counted in the calls recorder of the
  current task (`record_calls()`), which is how `LatticeSync` reports the AWS calls one apply made;
and every call, once its last attempt is answered (or it gives up), to `observer.aws_call(AwsCall)`.
Their labels are the AWS Gateway API Controller's (its SDK middleware, `pkg/aws/metrics`): `service`
is botocore's ServiceId (`VPC Lattice`, `ACM`, `Resource Groups Tagging API`), `status_code` the
HTTP status (of the last attempt, for a call) or "0" when there was no answer, `error_code` the
error code botocore parsed, "internal" for a failure without one (connection errors), or "".
A call refused by our own rate limiter before its first attempt never reached the SDK: not a call.

Retries are ours, not botocore's (`sdk_attempts=1` by default), so each attempt is visible and a
ThrottlingException's `retryAfterSeconds` is honoured: the throttled call waits that long before its
next attempt (and the class's rate is cut, which paces everyone else); 5xx and connection errors
back off exponentially with jitter; at most
`max_attempts` attempts and `max_retry_wait` seconds per call, after which `RetryLater` carries the
suggested delay to the work queue. Other errors raise `NotFound`, `Conflict` or `LatticeError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Protocol

import aioboto3
from aiobotocore.config import AioConfig
from botocore import xform_name
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from opentelemetry import trace

from lattice.config import LatticeConfig
from lattice.endpoints import use_lean_endpoints
from lattice.errors import RETRYABLE_CODES, THROTTLE_CODES, RetryLater, classify, code_of
from lattice.ratelimit import Buckets


@dataclass(frozen=True, slots=True)
class AwsRequest:
    """One HTTP attempt."""

    service: str  # botocore's ServiceId: "VPC Lattice", "ACM", "Resource Groups Tagging API"
    operation: str
    status_code: str  # "200", "429", ...; "0" without an HTTP answer
    error_code: str  # botocore's parsed error code, "internal" without one, "" on success
    seconds: float
    throttled: bool


@dataclass(frozen=True, slots=True)
class AwsCall:
    """One call as the caller made it: all its attempts, the retry waits between them included."""

    service: str
    operation: str
    status_code: str  # the last attempt's
    error_code: str  # the call's outcome: "" when it finally succeeded
    seconds: float
    retries: int  # attempts after the first


class CallObserver(Protocol):
    def aws_request(self, request: AwsRequest) -> None: ...

    def aws_call(self, call: AwsCall) -> None: ...


LATTICE = "vpc-lattice"
ACM = "acm"
TAGGING = "resourcegroupstaggingapi"
CONNECTION_ERRORS = (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError,
                     asyncio.TimeoutError, ConnectionError)

# A key refused a token comes back within this (the estimate is at today's rate, which grows as
# the class recovers; demand that waits elsewhere is demand the limiter cannot see).
RATE_LIMITED_RETRY = 2.0

_recorder: contextvars.ContextVar[Counter[str] | None] = contextvars.ContextVar("lattice_calls", default=None)


@contextlib.contextmanager
def record_calls() -> Iterator[Counter[str]]:
    """Count every AWS attempt made by this task (and tasks it starts) into the yielded Counter."""
    counts: Counter[str] = Counter()
    token = _recorder.set(counts)
    try:
        yield counts
    finally:
        _recorder.reset(token)


def is_read(operation: str) -> bool:
    return operation.startswith(("Get", "List"))


class CallTally:
    """`reads` and `writes` of a result's `calls` Counter (AWS attempts by operation).

    A stateless base for the sync results (dataclasses with slots), so every result
    counts calls the same way.
    """

    __slots__ = ()
    calls: Counter[str]

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if is_read(op))

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not is_read(op))


class LatticeClient:
    def __init__(self, config: LatticeConfig, *, observer: CallObserver | None = None,
                 tracer: trace.Tracer | None = None, with_acm: bool = False,
                 session: aioboto3.Session | None = None) -> None:
        self.config = config
        self._session = session  # share one across clients in tests (loading the model is slow)
        self.observer = observer
        self.tracer = tracer or trace.get_tracer("latticegw.lattice")
        self.with_acm = with_acm
        self.buckets = Buckets(config.buckets)
        self.calls: Counter[str] = Counter()  # process lifetime, per operation (attempts)
        self._stack: AsyncExitStack | None = None
        self._clients: dict[str, Any] = {}
        self._methods: dict[tuple[str, str], Callable[..., Any]] = {}
        self._service_ids: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> "LatticeClient":
        if self._stack is not None:
            return self
        cfg = self.config
        session = self._session
        if session is None:
            session = aioboto3.Session(
                aws_access_key_id=cfg.aws_access_key_id, aws_secret_access_key=cfg.aws_secret_access_key,
                aws_session_token=cfg.aws_session_token, region_name=cfg.region)
            # ~6.6 MiB less: the endpoint table of only the services we call (lattice/endpoints.py)
            use_lean_endpoints(session._session, (LATTICE, ACM, TAGGING))
        aio = AioConfig(max_pool_connections=cfg.max_pool_connections, connect_timeout=cfg.connect_timeout,
                        read_timeout=cfg.read_timeout, user_agent=cfg.user_agent,
                        retries={"mode": "standard", "total_max_attempts": max(1, cfg.sdk_attempts)})
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            self._clients[LATTICE] = await stack.enter_async_context(
                session.client(LATTICE, config=aio, endpoint_url=cfg.endpoint_url))
            if self.with_acm:
                self._clients[ACM] = await stack.enter_async_context(
                    session.client(ACM, config=aio, endpoint_url=cfg.acm_endpoint_url))
            if cfg.use_tagging_api:
                self._clients[TAGGING] = await stack.enter_async_context(
                    session.client(TAGGING, config=aio, endpoint_url=cfg.tagging_endpoint_url))
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        # The labels' `service`: the model's serviceId, as the Go SDK's GetServiceID gives it.
        self._service_ids = {name: str(client.meta.service_model.service_id) for name, client in self._clients.items()}
        return self

    async def close(self) -> None:
        stack, self._stack = self._stack, None
        self._clients.clear()
        self._methods.clear()
        self._service_ids.clear()
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> "LatticeClient":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- calls -----------------------------------------------------------------------------
    def _method(self, service: str, operation: str) -> Callable[..., Any]:
        fn = self._methods.get((service, operation))
        if fn is None:
            client = self._clients.get(service)
            if client is None:
                raise RuntimeError(f"LatticeClient: {service} client is not open")
            fn = self._methods[(service, operation)] = getattr(client, xform_name(operation))
        return fn

    async def call(self, operation: str, /, **params: Any) -> dict[str, Any]:
        return await self._call(LATTICE, operation, params)

    async def acm(self, operation: str, /, **params: Any) -> dict[str, Any]:
        return await self._call(ACM, operation, params)

    @property
    def has_tagging(self) -> bool:
        return TAGGING in self._clients

    async def tagged_resources(self, resource_types: list[str], tag_filters: dict[str, str]) -> dict[str, dict[str, str]]:
        """tag:GetResources: ARN -> tags of every resource of these types carrying all these tags."""
        out: dict[str, dict[str, str]] = {}
        token = ""
        while True:
            page = await self._call(TAGGING, "GetResources", {
                "ResourceTypeFilters": resource_types, "ResourcesPerPage": 100,
                "TagFilters": [{"Key": k, "Values": [v]} for k, v in tag_filters.items()],
                **({"PaginationToken": token} if token else {})})
            for m in page.get("ResourceTagMappingList", ()):
                out[m["ResourceARN"]] = {t["Key"]: t["Value"] for t in m.get("Tags", ())}
            token = page.get("PaginationToken") or ""
            if not token:
                return out

    async def paginate(self, operation: str, /, **params: Any) -> list[dict[str, Any]]:
        """All `items` of a paginated Lattice List operation (100 per page)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = await self.call(operation, maxResults=100, **params, **({"nextToken": token} if token else {}))
            items.extend(page.get("items", ()))
            token = page.get("nextToken")
            if not token:
                return items

    async def _call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        cfg = self.config
        method = self._method(service, operation)
        service_id = self._service_ids.get(service, service)
        limiter = self.buckets.for_operation(operation) if service in (LATTICE, TAGGING) else None
        started = time.monotonic()
        attempt = 0
        last: AwsRequest | None = None  # the last attempt's answer
        answered = 0  # attempts that got an answer (or a connection error)

        def end_call(status_code: str, error_code: str) -> None:
            self._observe_call(AwsCall(service_id, operation, status_code, error_code,
                                       time.monotonic() - started, max(0, answered - 1)))

        while True:
            attempt += 1
            if limiter is not None:
                left = cfg.max_retry_wait - (time.monotonic() - started)
                wait = await limiter.acquire(max(0.0, left))
                if wait is not None:
                    if last is not None:  # a retry refused: the call ends with its last answer
                        end_call(last.status_code, last.error_code)
                    # Come back when the class has room again, but soon: the rate may recover faster
                    # than today's estimate says (it is the queue at today's rate).
                    raise RetryLater(operation, "ClientRateLimited",
                                     f"client-side rate limit: about {wait:.1f}s of calls queued ahead",
                                     retry_after=min(wait, RATE_LIMITED_RETRY))
            sent_at = time.monotonic()
            t0 = time.perf_counter()
            outcome, throttled, retry_after, error = "ok", False, None, None
            status_code, error_code = "0", ""
            with self.tracer.start_as_current_span(
                f"{service}.{operation}", kind=trace.SpanKind.CLIENT,
                attributes={"rpc.system": "aws-api", "rpc.service": service, "rpc.method": operation,
                            "aws.attempt": attempt},
            ) as span:
                try:
                    response = await method(**params)
                    status_code = status_of(response)
                except ClientError as exc:
                    error = exc
                    outcome = code_of(exc)
                    error_code = parsed_code_of(exc)
                    status_code = status_of(exc.response)
                    throttled = outcome in THROTTLE_CODES
                    retry_after = retry_after_of(exc)
                    span.set_status(trace.Status(trace.StatusCode.ERROR, outcome))
                except CONNECTION_ERRORS as exc:
                    error = exc
                    outcome, error_code = "ConnectionError", "internal"
                    span.set_status(trace.Status(trace.StatusCode.ERROR, outcome))
                except Exception:
                    # Refused before sending (botocore's parameter validation, ...): a call
                    # that failed without an HTTP answer, as the Go SDK's middleware counts it.
                    end_call(last.status_code if last is not None else "0", "internal")
                    raise
                span.set_attribute("aws.outcome", outcome)
            seconds = time.perf_counter() - t0
            self.calls[operation] += 1
            rec = _recorder.get()
            if rec is not None:
                rec[operation] += 1
            answered += 1
            last = AwsRequest(service_id, operation, status_code, error_code, seconds, throttled)
            self._observe_request(last)
            if limiter is not None and outcome != "ConnectionError":
                # Any answer but a throttle says the class's rate was acceptable (as botocore counts).
                if throttled:
                    limiter.on_throttle(time.monotonic(), sent_at)
                else:
                    limiter.on_success(time.monotonic())
            if error is None:
                end_call(status_code, "")
                response.pop("ResponseMetadata", None)
                return response
            retryable = throttled or outcome in RETRYABLE_CODES or outcome == "ConnectionError"
            if not retryable:
                assert isinstance(error, ClientError)
                end_call(status_code, error_code)
                raise classify(operation, error) from error
            # The server's retryAfterSeconds is honoured by this call; the class's rate was cut above,
            # which paces every other caller. Without one: exponential backoff with jitter.
            delay = retry_after if retry_after is not None else cfg.base_backoff * (2 ** (attempt - 1)) * (
                0.5 + random.random())
            elapsed = time.monotonic() - started
            if attempt >= cfg.max_attempts or elapsed + delay > cfg.max_retry_wait:
                end_call(status_code, error_code)
                response_body = error.response if isinstance(error, ClientError) else None
                raise RetryLater(operation, outcome, str(error), retry_after=max(delay, 1.0),
                                 response=response_body) from error
            if delay > 0:
                await asyncio.sleep(delay)

    def _observe_request(self, request: AwsRequest) -> None:
        if self.observer is not None:
            try:
                self.observer.aws_request(request)
            except Exception:  # an observer must never break a call
                pass

    def _observe_call(self, call: AwsCall) -> None:
        if self.observer is not None:
            try:
                self.observer.aws_call(call)
            except Exception:
                pass


def status_of(response: dict[str, Any]) -> str:
    """The HTTP status botocore recorded for an answer (parsed or error), "0" without one."""
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return str(status) if status else "0"


def parsed_code_of(exc: ClientError) -> str:
    """The error code as botocore parsed it (x-amzn-ErrorType / `__type`, namespace and suffix cut),
    "internal" when it found none, as the Go SDK's metrics label an error that is no API error."""
    return str((exc.response.get("Error") or {}).get("Code") or "internal")


def retry_after_of(exc: ClientError) -> float | None:
    """The server's retryAfterSeconds (the Retry-After header, as botocore parses it), if any."""
    raw = exc.response.get("retryAfterSeconds")
    if raw is None:
        raw = (exc.response.get("ResponseMetadata", {}).get("HTTPHeaders") or {}).get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


@contextlib.asynccontextmanager
async def open_client(config: LatticeConfig, **kw: Any) -> AsyncIterator[LatticeClient]:
    client = LatticeClient(config, **kw)
    await client.open()
    try:
        yield client
    finally:
        await client.close()
