"""EC2 DescribeTags (query protocol: form-encoded `POST /`, XML answer) over the emulated instance.

Only what instance discovery asks: the tags of the instance `EmulatorConfig.instance` describes,
filtered by `resource-id`, `resource-type`, `key` and `value` (values are exact; several values of
one filter are ORed, filters ANDed). Any other Action answers InvalidAction, as EC2 does.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from aiohttp import web

from ..errors import ApiError
from ..wire import credentials

if TYPE_CHECKING:
    from ..server import Emulator

XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def wants(request: web.Request, raw_path: str) -> bool:
    return (raw_path == "/" and request.method == "POST" and "X-Amz-Target" not in request.headers
            and request.content_type == "application/x-www-form-urlencoded")


def _error(status: int, code: str, message: str) -> web.Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>")
    return web.Response(status=status, body=body.encode(), content_type="text/xml")


def _filters(params: list[tuple[str, str]]) -> dict[str, set[str]]:
    names: dict[str, str] = {}
    values: dict[str, set[str]] = {}
    for key, value in params:
        if key.startswith("Filter.") and key.endswith(".Name"):
            names[key.split(".")[1]] = value
        elif key.startswith("Filter.") and ".Value." in key:
            values.setdefault(key.split(".")[1], set()).add(value)
    return {name: values.get(i, set()) for i, name in names.items()}


async def handle(emu: "Emulator", request: web.Request) -> web.Response:
    try:
        credentials(request.headers.get("Authorization"))
    except ApiError as exc:
        return _error(exc.status, "AuthFailure", exc.message)
    params = parse_qsl((await request.read()).decode(), keep_blank_values=True)
    action = dict(params).get("Action")
    emu.calls.record(action or "Unknown", "OK" if action == "DescribeTags" else "InvalidAction", None)
    if action != "DescribeTags":
        return _error(400, "InvalidAction", f"The action {action} is not valid for this web service.")
    inst = emu.config.instance_view()
    filters = _filters(params)
    unknown = set(filters) - {"resource-id", "resource-type", "key", "value"}
    if unknown:
        return _error(400, "InvalidParameterValue", f"The filter '{sorted(unknown)[0]}' is invalid")
    rows = []
    for key, value in inst["tags"].items():
        row = {"resource-id": inst["instanceId"], "resource-type": "instance", "key": key, "value": value}
        if all(not wanted or row[name] in wanted for name, wanted in filters.items()):
            rows.append(row)
    items = "".join(
        f"<item><resourceId>{escape(r['resource-id'])}</resourceId><resourceType>instance</resourceType>"
        f"<key>{escape(r['key'])}</key><value>{escape(r['value'])}</value></item>" for r in rows)
    body = (f'<?xml version="1.0" encoding="UTF-8"?><DescribeTagsResponse xmlns="{XMLNS}">'
            f"<requestId>{uuid.uuid4()}</requestId><tagSet>{items}</tagSet></DescribeTagsResponse>")
    return web.Response(body=body.encode(), content_type="text/xml")
