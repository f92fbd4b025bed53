"""IMDSv2 on the emulator's port: what an EC2 instance's metadata service answers.

- `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) answers a token;
  a missing or bad TTL is 400, a request carrying `X-Forwarded-For` is 403 (IMDS refuses tokens
  that went through a proxy).
- `GET /latest/meta-data/...` and `/latest/dynamic/instance-identity/document` need a valid,
  unexpired `X-aws-ec2-metadata-token` (else 401: IMDSv2 required); unknown paths are 404.
  Directory paths list their children, one per line, as IMDS does.
Tokens expire on the emulator's clock, so `POST /_emulator/clock` ages them too.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from ..server import Emulator

MAX_TTL = 21600


def _text(body: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain")


def metadata(emu: "Emulator") -> dict[str, Any]:
    """The instance's metadata tree (nested dicts; leaves are strings)."""
    inst = emu.config.instance_view()
    mac = inst["mac"]
    return {
        "meta-data": {
            "instance-id": inst["instanceId"],
            "mac": mac,
            "placement": {"region": inst["region"], "availability-zone": inst["region"] + "a"},
            "network": {"interfaces": {"macs": {mac: {"vpc-id": inst["vpcId"], "mac": mac}}}},
            "identity-credentials": {"ec2": {"info": orjson.dumps({
                "Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z", "AccountId": inst["accountId"]}).decode()}},
        },
        "dynamic": {"instance-identity": {"document": orjson.dumps({
            "accountId": inst["accountId"], "instanceId": inst["instanceId"], "region": inst["region"],
            "availabilityZone": inst["region"] + "a", "instanceType": "m5.large",
            "imageId": "ami-0123456789abcdef0", "architecture": "x86_64"}).decode()}},
    }


async def handle(emu: "Emulator", request: web.Request, path: str) -> web.Response:
    tokens: dict[str, float] = emu.imds_tokens
    if path == "/latest/api/token":
        if request.method != "PUT":
            return _text("", 405)
        if "X-Forwarded-For" in request.headers:
            return _text("Forbidden", 403)
        raw = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TTL:
            return _text("Bad Request", 400)
        token = secrets.token_urlsafe(40)
        tokens[token] = emu.now() + int(raw)
        return web.Response(text=token, content_type="text/plain",
                            headers={"X-aws-ec2-metadata-token-ttl-seconds": raw})
    if request.method != "GET":
        return _text("", 405)
    expires = tokens.get(request.headers.get("X-aws-ec2-metadata-token", ""))
    if expires is None or expires <= emu.now():
        return _text("Unauthorized", 401)
    node: Any = metadata(emu)
    parts = [p for p in path.removeprefix("/latest/").split("/") if p]
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _text("Not Found", 404)
        node = node[part]
    if isinstance(node, dict):  # a directory: its children, sub-directories with a trailing slash
        return _text("\n".join(k + ("/" if isinstance(v, dict) else "") for k, v in node.items()))
    return _text(node)
