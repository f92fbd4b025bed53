"""The emulated EC2 instance: IMDSv2 (token first, then token-gated metadata) and EC2 DescribeTags,
on the emulator's port, through real HTTP and the real aioboto3 EC2 client."""

from __future__ import annotations

import json

import aioboto3
import aiohttp
import pytest
from botocore.exceptions import ClientError

TTL = {"X-aws-ec2-metadata-token-ttl-seconds": "300"}


async def _token(http: aiohttp.ClientSession, url: str, headers: dict | None = None) -> tuple[int, str]:
    async with http.put(url + "/latest/api/token", headers=headers if headers is not None else TTL) as resp:
        return resp.status, await resp.text()


async def _get(http: aiohttp.ClientSession, url: str, path: str, token: str | None) -> tuple[int, str]:
    headers = {"X-aws-ec2-metadata-token": token} if token else {}
    async with http.get(url + "/latest/" + path, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_imdsv2_token_then_metadata(emulator, ctl):
    await ctl.configure(instance={"vpcId": "vpc-0abc0abc0abc0abc0", "mac": "0e:aa:bb:cc:dd:ee"})
    url = emulator.url
    async with aiohttp.ClientSession() as http:
        assert (await _token(http, url, {}))[0] == 400  # the TTL header is required
        assert (await _token(http, url, {"X-aws-ec2-metadata-token-ttl-seconds": "21601"}))[0] == 400
        assert (await _token(http, url, {**TTL, "X-Forwarded-For": "10.0.0.1"}))[0] == 403
        assert (await _get(http, url, "meta-data/mac", None))[0] == 401  # IMDSv2 only: no token, no data
        assert (await _get(http, url, "meta-data/mac", "forged"))[0] == 401
        status, token = await _token(http, url)
        assert status == 200 and token
        assert await _get(http, url, "meta-data/mac", token) == (200, "0e:aa:bb:cc:dd:ee")
        assert await _get(http, url, "meta-data/network/interfaces/macs/0e:aa:bb:cc:dd:ee/vpc-id", token) == (
            200, "vpc-0abc0abc0abc0abc0")
        assert await _get(http, url, "meta-data/placement/region", token) == (200, emulator.config.region)
        status, info = await _get(http, url, "meta-data/identity-credentials/ec2/info", token)
        assert status == 200 and json.loads(info)["AccountId"] == emulator.config.account
        status, doc = await _get(http, url, "dynamic/instance-identity/document", token)
        assert json.loads(doc)["instanceId"] == "i-0123456789abcdef0"
        status, listing = await _get(http, url, "meta-data/", token)
        assert status == 200 and "placement/" in listing.split("\n") and "mac" in listing.split("\n")
        assert (await _get(http, url, "meta-data/no-such-thing", token))[0] == 404
        # tokens age on the emulator's clock
        await ctl.advance_clock(301)
        assert (await _get(http, url, "meta-data/mac", token))[0] == 401


async def test_describe_tags_of_the_instance(emulator, ctl):
    await ctl.configure(instance={"tags": {"aws:eks:cluster-name": "prod-eks", "team": "net"}})
    async with aioboto3.Session().client("ec2", **emulator.client_kwargs()) as ec2:
        out = await ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ["i-0123456789abcdef0"]},
                                               {"Name": "key", "Values": ["aws:eks:cluster-name"]}])
        assert [(t["Key"], t["Value"], t["ResourceType"]) for t in out["Tags"]] == [
            ("aws:eks:cluster-name", "prod-eks", "instance")]
        out = await ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ["i-0fffffffffffffff0"]}])
        assert out["Tags"] == []
        assert len((await ec2.describe_tags())["Tags"]) == 2
        with pytest.raises(ClientError) as err:
            await ec2.describe_instances()
        assert err.value.response["Error"]["Code"] == "InvalidAction"
    assert (await ctl.calls())["calls"]["DescribeTags"] == 3
