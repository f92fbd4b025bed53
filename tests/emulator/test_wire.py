"""Raw wire details botocore relies on, checked below the SDK (spec section 6)."""

from __future__ import annotations

import re

import aiohttp
import orjson

from .test_contract_misc import SIGNED

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_success_and_empty_responses(emulator, ctl):
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator.url + "/servicenetworks", headers=SIGNED, data=b'{"name":"wire-net"}') as resp:
            assert resp.status == 201 and resp.headers["Content-Type"] == "application/json"
            sn = orjson.loads(await resp.read())
            assert None not in sn.values()  # null members are omitted, never sent as null
        async with http.get(f"{emulator.url}/servicenetworks/{sn['id']}", headers=SIGNED) as resp:
            got = orjson.loads(await resp.read())
            assert ISO_MS.fullmatch(got["createdAt"]) and ISO_MS.fullmatch(got["lastUpdatedAt"])
        async with http.delete(f"{emulator.url}/servicenetworks/{sn['id']}", headers=SIGNED) as resp:
            assert resp.status == 204 and await resp.read() == b""
            assert resp.headers["x-amzn-RequestId"]
        # Tag and Untag answer 200 with an empty JSON object.
        async with http.post(emulator.url + "/services", headers=SIGNED, data=b'{"name":"wire-svc"}') as resp:
            svc = orjson.loads(await resp.read())
        arn = svc["arn"].replace(":", "%3A").replace("/", "%2F")
        async with http.post(f"{emulator.url}/tags/{arn}", headers=SIGNED, data=b'{"tags":{"a":"1","b":"2"}}') as resp:
            assert resp.status == 200 and await resp.read() == b"{}"
        async with http.delete(f"{emulator.url}/tags/{arn}?tagKeys=a&tagKeys=b", headers=SIGNED) as resp:
            assert resp.status == 200 and await resp.read() == b"{}"
        async with http.get(f"{emulator.url}/tags/{arn}", headers=SIGNED) as resp:
            assert orjson.loads(await resp.read()) == {"tags": {}}


async def test_error_wire_format(emulator, ctl):
    await ctl.throttle("ListServices", rate=0.001, burst=1)
    async with aiohttp.ClientSession() as http:
        await (await http.get(emulator.url + "/services", headers=SIGNED)).read()
        async with http.get(emulator.url + "/services", headers=SIGNED) as resp:
            assert resp.status == 429
            assert resp.headers["x-amzn-ErrorType"] == "ThrottlingException"
            assert int(resp.headers["Retry-After"]) >= 1
            assert int(resp.headers["x-amz-retry-after"]) == int(resp.headers["Retry-After"]) * 1000
            assert orjson.loads(await resp.read())["message"]
        async with http.post(emulator.url + "/services", headers=SIGNED, data=b'{"name": 5, "tags": []}') as resp:
            body = orjson.loads(await resp.read())
            assert resp.status == 400 and body["reason"] == "fieldValidationFailed"
            assert {f["name"] for f in body["fieldList"]} == {"name", "tags"}
        async with http.get(emulator.url + "/services/svc-0aaaaaaaaaaaaaaaa", headers=SIGNED) as resp:
            body = orjson.loads(await resp.read())
            assert resp.status == 404 and body["resourceType"] == "SERVICE"
            assert body["resourceId"] == "svc-0aaaaaaaaaaaaaaaa"
