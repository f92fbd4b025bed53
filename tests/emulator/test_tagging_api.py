"""The Resource Groups Tagging API's GetResources on the emulator's port, through the real
aioboto3 client (json 1.1, `X-Amz-Target`), plus the raw wire answers the SDK hides."""

from __future__ import annotations

import asyncio
import time

import aioboto3
import aiohttp
import orjson
import pytest
from aiobotocore.config import AioConfig

from .helpers import forward, raises, tg
from .test_contract_misc import SIGNED

TARGET = "ResourceGroupsTaggingAPI_20170126."
JSON11 = "application/x-amz-json-1.1"
OURS = {"ManagedBy": "latticegw"}


@pytest.fixture(scope="session")
async def tagging_client(emulator):
    # One attempt only, so call counts are exact and injected throttling surfaces.
    once = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})
    async with aioboto3.Session().client("resourcegroupstaggingapi", config=once,
                                         **emulator.client_kwargs()) as client:
        yield client


@pytest.fixture
async def tagging(tagging_client, ctl):
    return tagging_client


def arns(page: dict) -> set[str]:
    return {m["ResourceARN"] for m in page["ResourceTagMappingList"]}


def tags(page: dict) -> dict[str, dict[str, str]]:
    return {m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]} for m in page["ResourceTagMappingList"]}


async def test_filters_by_type_and_tags(lattice, tagging):
    sn = await lattice.create_service_network(name="tagged-net", tags={**OURS, "team": "a"})
    svc = await lattice.create_service(name="tagged-svc", tags={**OURS, "team": "b"})
    await lattice.create_service(name="bare-svc")  # never tagged: never listed
    group = await tg(lattice, "other-tg")
    await lattice.tag_resource(resourceArn=group["arn"], tags={"ManagedBy": "someone-else"})
    listener = await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                             defaultAction=forward(group["id"]), tags=OURS)
    every = {sn["arn"], svc["arn"], group["arn"], listener["arn"]}

    async def get(**params):
        return await tagging.get_resources(**params)

    assert arns(await get()) == every
    assert arns(await get(ResourceTypeFilters=["vpc-lattice"])) == every
    assert arns(await get(ResourceTypeFilters=["vpc-lattice:service"])) == {svc["arn"]}
    assert arns(await get(ResourceTypeFilters=["vpc-lattice:service/listener"])) == {listener["arn"]}
    assert arns(await get(ResourceTypeFilters=["vpc-lattice:servicenetwork", "vpc-lattice:targetgroup"])) \
        == {sn["arn"], group["arn"]}
    assert arns(await get(ResourceTypeFilters=["ec2:instance"])) == set()
    assert arns(await get(TagFilters=[{"Key": "ManagedBy", "Values": ["latticegw"]}])) \
        == {sn["arn"], svc["arn"], listener["arn"]}
    # Filters AND together; a filter without Values needs only the key.
    assert arns(await get(TagFilters=[{"Key": "ManagedBy", "Values": ["latticegw"]}, {"Key": "team"}])) \
        == {sn["arn"], svc["arn"]}
    # Values within one filter OR together.
    assert arns(await get(TagFilters=[{"Key": "team", "Values": ["b", "c"]}])) == {svc["arn"]}
    assert arns(await get(TagFilters=[{"Key": "ManagedBy", "Values": ["latticegw", "someone-else"]}])) == every
    # The controller's start-up query: its services and target groups.
    page = await get(ResourceTypeFilters=["vpc-lattice:service", "vpc-lattice:targetgroup"],
                     TagFilters=[{"Key": "ManagedBy", "Values": ["latticegw"]}], ResourcesPerPage=100)
    assert tags(page) == {svc["arn"]: {"ManagedBy": "latticegw", "team": "b"}}
    assert page["PaginationToken"] == ""


async def test_tag_changes_and_deletions_are_reflected(lattice, tagging, ctl):
    svc = await lattice.create_service(name="changing", tags=OURS)
    gone = await lattice.create_service(name="doomed", tags=OURS)
    await lattice.tag_resource(resourceArn=svc["arn"], tags={"stage": "blue"})
    assert tags(await tagging.get_resources())[svc["arn"]] == {"ManagedBy": "latticegw", "stage": "blue"}

    await lattice.untag_resource(resourceArn=svc["arn"], tagKeys=["ManagedBy"])
    mine = await tagging.get_resources(TagFilters=[{"Key": "ManagedBy"}])
    assert arns(mine) == {gone["arn"]}

    # Untagged entirely, it is still listed (it had tags), with an empty tag set...
    await lattice.untag_resource(resourceArn=svc["arn"], tagKeys=["stage"])
    assert tags(await tagging.get_resources())[svc["arn"]] == {}
    # ...but no tag filter can match it.
    assert svc["arn"] not in arns(await tagging.get_resources(TagFilters=[{"Key": "stage"}]))

    await lattice.delete_service(serviceIdentifier=gone["id"])
    assert arns(await tagging.get_resources()) == {svc["arn"]}
    assert [s["name"] for s in (await ctl.partition())["services"]] == ["changing"]


async def test_pagination_over_more_than_a_hundred(lattice, tagging, ctl):
    made = await asyncio.gather(*(lattice.create_service(name=f"paged-{i:03d}", tags=OURS) for i in range(130)))
    await asyncio.gather(*(lattice.create_service(name=f"bare-{i:03d}") for i in range(5)))
    want = {s["arn"] for s in made}

    sizes, seen, token = [], [], ""
    while True:
        page = await tagging.get_resources(ResourcesPerPage=100, **({"PaginationToken": token} if token else {}))
        sizes.append(len(page["ResourceTagMappingList"]))
        seen.extend(m["ResourceARN"] for m in page["ResourceTagMappingList"])
        token = page["PaginationToken"]
        if not token:
            break
    assert sizes == [100, 30]
    assert len(seen) == len(set(seen)) and set(seen) == want
    created = [s["arn"] for s in (await ctl.partition())["services"] if s["name"].startswith("paged-")]
    assert seen == created  # pages run in creation order

    assert len((await tagging.get_resources())["ResourceTagMappingList"]) == 50  # the documented default

    paginator = tagging.get_paginator("get_resources")
    pages = [p async for p in paginator.paginate(PaginationConfig={"PageSize": 40})]
    assert [len(p["ResourceTagMappingList"]) for p in pages] == [40, 40, 40, 10]
    assert set().union(*(arns(p) for p in pages)) == want

    # A resource deleted between pages is simply absent from the later ones.
    first = await tagging.get_resources(ResourcesPerPage=100)
    last_arn = seen[-1]
    await lattice.delete_service(serviceIdentifier=last_arn.rsplit("/", 1)[1])
    rest = await tagging.get_resources(ResourcesPerPage=100, PaginationToken=first["PaginationToken"])
    assert len(rest["ResourceTagMappingList"]) == 29 and last_arn not in arns(rest)


@pytest.mark.parametrize("params", [
    {"ResourcesPerPage": 0},
    {"ResourcesPerPage": 101},
    {"TagsPerPage": 50},
    {"TagFilters": [{"Key": f"k{i}"} for i in range(51)]},  # the model's maximum is 50
    {"TagFilters": [{"Key": "k", "Values": ["v"] * 21}]},
    {"TagFilters": [{"Key": "k" * 129}]},
    {"TagFilters": [{"Values": ["v"]}]},
    {"ResourceTypeFilters": [""]},
    {"ResourceTypeFilters": ["vpc-lattice:"]},
    {"PaginationToken": "not-a-token!"},
    {"ResourceARNList": ["arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0aaaaaaaaaaaaaaaa"],
     "ResourcesPerPage": 10},
    {"ExcludeCompliantResources": True},
])
async def test_invalid_parameters(tagging, params):
    async with raises("InvalidParameterException", 400) as err:
        await tagging.get_resources(**params)
    assert err["Error"]["Message"]


async def test_arn_list_and_expired_tokens(lattice, tagging, ctl):
    a = await lattice.create_service(name="listed-a", tags=OURS)
    b = await lattice.create_service(name="listed-b", tags=OURS)
    page = await tagging.get_resources(ResourceARNList=[
        a["arn"], "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0aaaaaaaaaaaaaaaa"])
    assert arns(page) == {a["arn"]} and page["PaginationToken"] == ""

    first = await tagging.get_resources(ResourcesPerPage=1)
    assert arns(first) == {a["arn"]} and first["PaginationToken"]
    assert arns(await tagging.get_resources(ResourcesPerPage=1, PaginationToken=first["PaginationToken"])) \
        == {b["arn"]}
    await ctl.advance_clock(15 * 60 + 1)  # tokens are valid for 15 minutes
    async with raises("PaginationTokenExpiredException", 400):
        await tagging.get_resources(ResourcesPerPage=1, PaginationToken=first["PaginationToken"])

    # No tag policies exist, so every resource is compliant.
    page = await tagging.get_resources(IncludeComplianceDetails=True)
    assert {m["ComplianceDetails"]["ComplianceStatus"] for m in page["ResourceTagMappingList"]} == {True}
    page = await tagging.get_resources(IncludeComplianceDetails=True, ExcludeCompliantResources=True)
    assert page["ResourceTagMappingList"] == []


async def _post(emulator, target: str | None, body: bytes = b"{}", signed: bool = True) -> tuple[int, str, dict]:
    headers = {"Content-Type": JSON11, **(SIGNED if signed else {})}
    if target is not None:
        headers["X-Amz-Target"] = target
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator.url + "/", headers=headers, data=body) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), orjson.loads(await resp.read())


async def test_wire_answers(emulator, ctl):
    status, ctype, body = await _post(emulator, TARGET + "GetResources")
    assert (status, ctype, body) == (200, JSON11, {"PaginationToken": "", "ResourceTagMappingList": []})

    status, ctype, body = await _post(emulator, TARGET + "GetResources", signed=False)
    assert status == 400 and ctype == JSON11
    assert body["__type"] == "MissingAuthenticationTokenException" and body["Message"]

    for target in (TARGET + "NoSuchOperation", TARGET + "GetTagKeys", "DynamoDB_20120810.GetItem", TARGET):
        status, _, body = await _post(emulator, target)
        assert (status, body["__type"]) == (400, "UnknownOperationException"), target

    status, _, body = await _post(emulator, TARGET + "GetResources", body=b"{nope")
    assert (status, body["__type"]) == (400, "SerializationException")

    # Without the target header, POST / is still the Lattice REST side (which has no such route).
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator.url + "/", headers=SIGNED, data=b"{}") as resp:
            assert resp.status == 404 and resp.headers["x-amzn-ErrorType"] == "ValidationException"


async def test_calls_are_counted(tagging, ctl, emulator):
    for _ in range(3):
        await tagging.get_resources()
    async with raises("InvalidParameterException"):
        await tagging.get_resources(ResourcesPerPage=500)
    await _post(emulator, TARGET + "GetResources", signed=False)
    data = await ctl.calls()
    assert data["calls"] == {"GetResources": 4, "Unknown": 1}
    assert data["outcomes"]["GetResources"] == {"OK": 3, "InvalidParameterException": 1}
    assert data["outcomes"]["Unknown"] == {"MissingAuthenticationTokenException": 1}
    assert data["timing"]["GetResources"]["samples"] == 4
    assert await ctl.call_count("GetResources") == 4


async def test_faults_apply(tagging, lattice, ctl):
    # Injected errors use the Tagging API's own names for Lattice's codes.
    await ctl.inject_error("GetResources", "ThrottlingException")
    async with raises("ThrottledException", 400):
        await tagging.get_resources()
    await ctl.inject_error("*", "InternalServerException")
    async with raises("InternalServiceException", 500):
        await tagging.get_resources()
    await tagging.get_resources()  # count-limited rules are used up

    await ctl.throttle("*", rate=0.001, burst=1)  # the account-wide bucket covers both services
    await lattice.list_services()
    async with raises("ThrottledException", 400):
        await tagging.get_resources()
    await ctl.throttle("*")

    await ctl.set_latency("GetResources", fixed=0.2)
    start = time.perf_counter()
    await tagging.get_resources()
    assert time.perf_counter() - start >= 0.2
    outcomes = (await ctl.calls())["outcomes"]["GetResources"]
    assert outcomes == {"ThrottledException": 2, "InternalServiceException": 1, "OK": 2}


async def test_eventual_consistency_applies(lattice, tagging, ctl):
    await ctl.set_consistency(5, ["CreateService"])
    svc = await lattice.create_service(name="settling", tags=OURS)
    assert arns(await tagging.get_resources()) == set()  # a read, so it sees what Get/List see
    await ctl.advance_clock(6)
    assert arns(await tagging.get_resources()) == {svc["arn"]}


async def test_tag_resources_and_untag_resources_per_arn(lattice, tagging):
    """The AWS controller's additional-tags annotation tags through TagResources / UntagResources:
    each ARN on its own, failures in FailedResourcesMap, the others still done."""
    svc = await lattice.create_service(name="batch-svc", tags=OURS)
    group = await tg(lattice, "batch-tg")
    missing = svc["arn"].replace(svc["id"], "svc-0123456789abcdef0")
    got = await tagging.tag_resources(ResourceARNList=[svc["arn"], group["arn"], missing],
                                      Tags={"team": "payments", "env": "prod"})
    failed = got["FailedResourcesMap"]
    assert set(failed) == {missing}
    assert failed[missing]["StatusCode"] == 404 and failed[missing]["ErrorCode"] == "InvalidParameterException"
    assert (await lattice.list_tags_for_resource(resourceArn=svc["arn"]))["tags"] == {
        **OURS, "team": "payments", "env": "prod"}
    assert (await lattice.list_tags_for_resource(resourceArn=group["arn"]))["tags"] == {"team": "payments", "env": "prod"}
    assert tags(await tagging.get_resources(ResourceARNList=[group["arn"]]))[group["arn"]]["team"] == "payments"

    # Lattice's own rules apply per resource: a reserved key fails that call's resources, not the call.
    got = await tagging.tag_resources(ResourceARNList=[svc["arn"]], Tags={"aws:owner": "x"})
    assert got["FailedResourcesMap"][svc["arn"]]["ErrorCode"] == "InvalidParameterException"
    assert got["FailedResourcesMap"][svc["arn"]]["StatusCode"] == 400

    got = await tagging.untag_resources(ResourceARNList=[svc["arn"], group["arn"]], TagKeys=["env", "absent"])
    assert got["FailedResourcesMap"] == {}
    assert (await lattice.list_tags_for_resource(resourceArn=svc["arn"]))["tags"] == {**OURS, "team": "payments"}
    assert (await lattice.list_tags_for_resource(resourceArn=group["arn"]))["tags"] == {"team": "payments"}


async def test_tag_resources_input_is_validated_from_the_model(tagging):
    from botocore.exceptions import ClientError, ParamValidationError

    # the SDK refuses what the model forbids before sending; the emulator does too, on the wire
    with pytest.raises(ParamValidationError):
        await tagging.tag_resources(ResourceARNList=[], Tags={"a": "b"})
    with pytest.raises(ClientError) as err:
        await tagging.tag_resources(ResourceARNList=["arn:aws:vpc-lattice:us-west-2:123456789012:service/x"] * 21,
                                    Tags={"a": "b"})
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


async def test_tag_resources_wire_answer(emulator, ctl):
    status, _, body = await _post(emulator, TARGET + "TagResources", body=b'{"ResourceARNList": [], "Tags": {"a": "b"}}')
    assert (status, body["__type"]) == (400, "InvalidParameterException")
    status, _, body = await _post(emulator, TARGET + "UntagResources",
                                  body=b'{"ResourceARNList": ["arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0"], '
                                       b'"TagKeys": ["a"]}')
    assert status == 200 and list(body["FailedResourcesMap"].values())[0]["ErrorCode"] == "InvalidParameterException"
