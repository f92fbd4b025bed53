"""REST-JSON wire details: routing on the raw path, request parsing, auth, encoding.

botocore percent-encodes path labels with only `-._~` safe, so an ARN arrives
as one segment with `%3A` and `%2F` inside. We therefore split the *raw* path on
`/` first and unquote each segment afterwards; decoding first would split ARNs.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from aiohttp import web

from .errors import ApiError, UnknownOperation, ValidationError
from .model import Route, body_members, input_locations, routes

AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request,\s*"
    r"SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}\s*"
)


class MissingAuth(ApiError):
    code = "MissingAuthenticationTokenException"


class BadSignature(ApiError):
    code = "IncompleteSignatureException"


def credentials(header: str | None) -> tuple[str, str]:
    """(access key id, region) from a SigV4 Authorization header; signatures are not verified."""
    if not header:
        raise MissingAuth("Missing Authentication Token")
    m = AUTH.fullmatch(header)
    if m is None:
        raise BadSignature("Authorization header requires a valid SigV4 Credential, SignedHeaders and Signature")
    return m.group(1), m.group(3)


@functools.cache
def _table() -> dict[tuple[str, int], list[Route]]:
    table: dict[tuple[str, int], list[Route]] = {}
    for route in routes():
        table.setdefault((route.method, len(route.segments)), []).append(route)
    # Literal-heavy templates first, so /targetgroups/{id}/listtargets beats any label-only match.
    for candidates in table.values():
        candidates.sort(key=lambda r: -sum(isinstance(s, str) for s in r.segments))
    return table


def match(method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
    parts = raw_path.strip("/").split("/") if raw_path.strip("/") else []
    for route in _table().get((method, len(parts)), ()):
        labels: dict[str, str] = {}
        for seg, part in zip(route.segments, parts):
            if isinstance(seg, str):
                if seg != part:
                    break
            else:
                if not part:
                    break
                labels[route.members_by_label[seg[1]]] = unquote(part)
        else:
            return route, labels
    raise UnknownOperation(method, raw_path[:200])


def parse_params(op: str, labels: dict[str, str], query: str, body: bytes) -> dict[str, Any]:
    """Build the input dict botocore serialized, from labels, query string and JSON body."""
    params: dict[str, Any] = {}
    members = body_members(op)
    if members and body:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError("Could not parse request body into json", reason="cannotParse") from None
        if not isinstance(doc, dict):
            raise ValidationError("Request body must be a JSON object", reason="cannotParse")
        params = {k: v for k, v in doc.items() if k in members}
    if query:
        locations = input_locations(op)
        pairs = parse_qsl(query, keep_blank_values=True)
        for member, (loc, wire_name, shape) in locations.items():
            if loc != "querystring":
                continue
            values = [v for k, v in pairs if k == wire_name]
            if not values:
                continue
            if shape.type_name == "list":
                params[member] = values
            elif shape.type_name in ("integer", "long"):
                try:
                    params[member] = int(values[0])
                except ValueError:
                    raise ValidationError(
                        f"{member} must be an integer",
                        field_list=[{"name": member, "message": "must be an integer"}],
                    ) from None
            elif shape.type_name == "boolean":
                params[member] = values[0] == "true"
            else:
                params[member] = values[0]
    params.update(labels)
    return params


def error_headers(exc: ApiError, request_id: str) -> dict[str, str]:
    headers = {"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": request_id, "Content-Type": "application/json"}
    if exc.retry_after is not None:
        # botocore maps Retry-After to retryAfterSeconds; newer SDKs read x-amz-retry-after (ms).
        headers["Retry-After"] = str(exc.retry_after)
        headers["x-amz-retry-after"] = str(int(exc.retry_after * 1000))
    return headers


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)


# The outcome recorded for a call whose client hung up before it was answered (a timeout, a
# cancelled task): not an emulator failure, so never logged as a crash nor counted as a 500.
CLIENT_GONE = "ClientDisconnected"


def client_gone(log: Any, operation: str) -> web.Response:
    log.info("client disconnected before %s was answered", operation)
    return web.Response(status=400, body=b"")  # nobody reads it
