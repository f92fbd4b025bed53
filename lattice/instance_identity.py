"""The AWS identity of the EC2 instance we run on, as the AWS controller discovers it.

When REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID or CLUSTER_NAME is unset, the AWS controller reads them
from instance metadata (its pkg/config/ec2_metadata.go), and so do we, in the same order and from
the same places:

1. an IMDSv2 token: `PUT /latest/api/token` (TTL 5 minutes); IMDSv1 is never used;
2. VPC: `meta-data/mac`, then `meta-data/network/interfaces/macs/<mac>/vpc-id`;
3. region: `meta-data/placement/region`;
4. account: the `AccountId` of the JSON at `meta-data/identity-credentials/ec2/info`;
5. cluster: `dynamic/instance-identity/document` gives the instance id (and region), then EC2
   `DescribeTags` (resource-id = the instance) gives the tag `aws:eks:cluster-name`.

Only what is missing is asked for. Any failure raises `DiscoveryError` naming the step, which the
controller turns into a configuration error at start (as the AWS controller exits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aioboto3
import aiohttp

DEFAULT_IMDS = "http://169.254.169.254"
TOKEN_TTL = 300
CLUSTER_TAG = "aws:eks:cluster-name"
# The one AWS API call (deploy/tools/gen_iam_policy.py derives ec2:DescribeTags from this name).
DESCRIBE_TAGS = "DescribeTags"


class DiscoveryError(Exception):
    """Instance metadata could not provide a value; the message names the variable and the step."""


@dataclass(frozen=True, slots=True)
class Identity:
    region: str = ""
    account_id: str = ""
    vpc_id: str = ""
    cluster_name: str = ""


class _Imds:
    def __init__(self, http: aiohttp.ClientSession, endpoint: str) -> None:
        self.http = http
        self.base = endpoint.rstrip("/") + "/latest/"
        self.token: str | None = None

    async def _token(self) -> str:
        if self.token is None:
            async with self.http.put(self.base + "api/token",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL)}) as resp:
                if resp.status != 200:
                    raise DiscoveryError(f"IMDSv2 token: HTTP {resp.status}")
                self.token = (await resp.text()).strip()
        return self.token

    async def get(self, path: str, what: str) -> str:
        headers = {"X-aws-ec2-metadata-token": await self._token()}
        async with self.http.get(self.base + path, headers=headers) as resp:
            if resp.status != 200:
                raise DiscoveryError(f"{what}: instance metadata {path}: HTTP {resp.status}")
            return (await resp.text()).strip()


async def discover(missing: set[str], *, imds_endpoint: str | None = None, ec2_endpoint: str | None = None,
                   credentials: dict[str, str] | None = None, timeout: float = 5.0) -> Identity:
    """The values named in `missing` (a subset of region, account_id, vpc_id, cluster_name)."""
    found: dict[str, str] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            imds = _Imds(http, imds_endpoint or DEFAULT_IMDS)
            if "vpc_id" in missing:
                mac = await imds.get("meta-data/mac", "CLUSTER_VPC_ID")
                found["vpc_id"] = await imds.get(f"meta-data/network/interfaces/macs/{mac}/vpc-id", "CLUSTER_VPC_ID")
            if "region" in missing:
                found["region"] = await imds.get("meta-data/placement/region", "REGION")
            if "account_id" in missing:
                info = await imds.get("meta-data/identity-credentials/ec2/info", "AWS_ACCOUNT_ID")
                found["account_id"] = _field(info, "AccountId", "AWS_ACCOUNT_ID")
            if "cluster_name" in missing:
                document = await imds.get("dynamic/instance-identity/document", "CLUSTER_NAME")
                instance_id = _field(document, "instanceId", "CLUSTER_NAME")
                region = found.get("region") or _field(document, "region", "CLUSTER_NAME")
                found["cluster_name"] = await _cluster_tag(instance_id, region, ec2_endpoint, credentials or {})
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DiscoveryError(f"instance metadata at {imds_endpoint or DEFAULT_IMDS} is unreachable "
                             f"({type(exc).__name__}: {exc})") from None
    return Identity(**found)


def _field(text: str, key: str, what: str) -> str:
    try:
        value = json.loads(text).get(key)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise DiscoveryError(f"{what}: no {key} in the instance metadata document")
    return value


async def _cluster_tag(instance_id: str, region: str, endpoint: str | None, credentials: dict[str, str]) -> str:
    kwargs = {"region_name": region, **credentials}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    async with aioboto3.Session().client("ec2", **kwargs) as ec2:
        try:
            out = await ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance_id]},
                                                   {"Name": "key", "Values": [CLUSTER_TAG]}])
        except Exception as exc:  # noqa: BLE001 - any SDK failure is a start-up failure, named
            raise DiscoveryError(f"CLUSTER_NAME: EC2 {DESCRIBE_TAGS} on {instance_id}: {exc}") from None
    for tag in out.get("Tags") or ():
        if tag.get("Key") == CLUSTER_TAG and tag.get("Value"):
            return tag["Value"]
    raise DiscoveryError(f"CLUSTER_NAME: instance {instance_id} has no {CLUSTER_TAG} tag")
