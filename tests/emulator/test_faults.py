"""Every /_emulator/ control: counters, latency, throttling, errors, consistency, lifecycle, reset."""

from __future__ import annotations

import json
import time

import aioboto3
import pytest

from lattice.emulator import EmulatorControlError
from lattice.emulator.faults import parse_throttle

from .helpers import raises, tg


async def test_call_counters_and_reset(lattice, ctl):
    await lattice.create_service(name="counted")
    for _ in range(3):
        await lattice.list_services()
    async with raises("ResourceNotFoundException"):
        await lattice.get_service(serviceIdentifier="svc-0aaaaaaaaaaaaaaaa")
    data = await ctl.calls()
    assert data["calls"] == {"CreateService": 1, "ListServices": 3, "GetService": 1}
    assert data["outcomes"]["GetService"] == {"ResourceNotFoundException": 1}
    assert data["timing"]["ListServices"]["samples"] == 3 and data["timing"]["ListServices"]["p50_ms"] > 0
    await ctl.reset_calls()
    assert await ctl.call_count() == 0
    assert len((await lattice.list_services())["items"]) == 1  # counters reset, state kept


async def test_reset_drops_state_and_faults(lattice, ctl):
    await lattice.create_service(name="doomed")
    await ctl.set_latency("GetService", fixed=0.5)
    await ctl.reset()
    assert (await lattice.list_services())["items"] == []
    assert (await ctl.faults())["latency"] == {}


async def test_fixed_and_distribution_latency(lattice, ctl):
    await ctl.set_latency("ListServices", fixed=0.15)
    start = time.perf_counter()
    await lattice.list_services()
    assert time.perf_counter() - start >= 0.15
    start = time.perf_counter()
    await lattice.list_service_networks()  # other operations are not delayed
    assert time.perf_counter() - start < 0.15
    await ctl.set_latency("*", uniform=(0.05, 0.06))
    start = time.perf_counter()
    await lattice.list_service_networks()
    assert time.perf_counter() - start >= 0.05
    timing = (await ctl.calls())["timing"]
    assert timing["ListServices"]["p50_ms"] < 50  # server time excludes injected latency
    await ctl.set_latency("*")
    await ctl.set_latency("ListServices")
    assert (await ctl.faults())["latency"] == {}


async def test_operation_token_bucket(lattice, ctl):
    await ctl.throttle("ListServices", rate=0.5, burst=2)
    await lattice.list_services()
    await lattice.list_services()
    async with raises("ThrottlingException", 429) as err:
        await lattice.list_services()
    assert err["retryAfterSeconds"] >= 1 and err["ResponseMetadata"]["HTTPHeaders"]["x-amz-retry-after"]
    await lattice.list_service_networks()  # other operations have their own bucket
    await ctl.throttle("ListServices", rate=None)
    await lattice.list_services()


async def test_account_wide_bucket(lattice, ctl):
    await ctl.throttle("*", rate=0.001, burst=2)
    await lattice.list_services()
    await lattice.list_service_networks()  # a different operation draws from the same bucket
    async with raises("ThrottlingException", 429) as err:
        await lattice.list_target_groups()
    assert err["retryAfterSeconds"] >= 1
    assert (await ctl.calls())["outcomes"]["ListTargetGroups"] == {"ThrottlingException": 1}


async def test_retrying_client_rides_through_throttling(retrying_lattice, ctl):
    # botocore retries 429 ThrottlingException (standard mode): one injected throttle costs one extra call.
    await ctl.inject_error("ListServices", "ThrottlingException", count=1)
    await retrying_lattice.list_services()
    assert (await ctl.calls())["outcomes"]["ListServices"] == {"ThrottlingException": 1, "OK": 1}


async def test_error_injection_next_n(lattice, retrying_lattice, ctl):
    await ctl.inject_error("CreateService", "InternalServerException", count=2)
    async with raises("InternalServerException", 500):
        await lattice.create_service(name="flaky")
    # The retrying client absorbs the second failure and its retry succeeds, creating once.
    svc = await retrying_lattice.create_service(name="flaky")
    assert (await ctl.calls())["calls"]["CreateService"] == 3
    assert [s["id"] for s in (await lattice.list_services())["items"]] == [svc["id"]]
    await ctl.inject_error("DeleteService", "ConflictException", resourceType="SERVICE", resourceId=svc["id"])
    async with raises("ConflictException", 409) as err:
        await lattice.delete_service(serviceIdentifier=svc["id"])
    assert err["resourceId"] == svc["id"]
    await lattice.delete_service(serviceIdentifier=svc["id"])


async def test_error_injection_probability(lattice, ctl):
    await ctl.inject_error("ListServices", "AccessDeniedException", probability=1.0)
    for _ in range(3):
        async with raises("AccessDeniedException", 403):
            await lattice.list_services()
    await ctl.clear_faults()
    await ctl.inject_error("ListServices", "ThrottlingException", probability=0.0)
    await lattice.list_services()


async def test_injected_error_leaves_state_untouched(lattice, ctl):
    await ctl.inject_error("CreateServiceNetwork", "ServiceQuotaExceededException")
    async with raises("ServiceQuotaExceededException", 402):
        await lattice.create_service_network(name="never")
    assert (await lattice.list_service_networks())["items"] == []


async def test_eventual_consistency(lattice, ctl):
    await ctl.set_consistency(30, operations=["CreateService"])
    svc = await lattice.create_service(name="shy")
    async with raises("ResourceNotFoundException"):
        await lattice.get_service(serviceIdentifier=svc["id"])
    assert (await lattice.list_services())["items"] == []
    async with raises("ConflictException"):  # writes see the truth: the name is taken
        await lattice.create_service(name="shy")
    await ctl.advance_clock(31)
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["name"] == "shy"
    sn = await lattice.create_service_network(name="not-affected")
    await lattice.get_service_network(serviceNetworkIdentifier=sn["id"])


async def test_lifecycle_failures(lattice, ctl):
    await ctl.fail_lifecycle("CreateService", failure_code="NoCapacity", failure_message="boom")
    svc = await lattice.create_service(name="broken")
    got = await lattice.get_service(serviceIdentifier=svc["id"])
    assert (got["status"], got["failureCode"], got["failureMessage"]) == ("CREATE_FAILED", "NoCapacity", "boom")
    async with raises("ConflictException"):  # a failed create can only be deleted
        await lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    await ctl.fail_lifecycle("DeleteService")
    await lattice.delete_service(serviceIdentifier=svc["id"])
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "DELETE_FAILED"
    await lattice.delete_service(serviceIdentifier=svc["id"])
    async with raises("ResourceNotFoundException"):
        await lattice.get_service(serviceIdentifier=svc["id"])


async def test_lifecycle_failure_waits_for_a_call_that_succeeds(lattice, ctl):
    await lattice.create_service(name="taken")
    await ctl.fail_lifecycle("CreateService")
    async with raises("ConflictException"):  # refused: starts nothing, so the failure is kept
        await lattice.create_service(name="taken")
    svc = await lattice.create_service(name="second")
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "CREATE_FAILED"
    assert (await ctl.faults())["lifecycle"] == {}


async def test_update_failure_on_vpc_association(lattice, ctl):
    sn = await lattice.create_service_network(name="upd-fail")
    a = await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"],
                                                             vpcIdentifier="vpc-12345678", securityGroupIds=["sg-12345678"])
    await ctl.fail_lifecycle("UpdateServiceNetworkVpcAssociation")
    await lattice.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=a["id"],
                                                         securityGroupIds=["sg-87654321"])
    got = await lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=a["id"])
    assert got["status"] == "UPDATE_FAILED"


async def test_target_health_control(lattice, ctl):
    group = await tg(lattice, "health-tg")
    with pytest.raises(EmulatorControlError):
        await ctl.set_target_health(group["id"], "10.1.1.1", "UNHEALTHY")
    with pytest.raises(EmulatorControlError):
        await ctl.set_target_health("tg-0aaaaaaaaaaaaaaaa", "10.1.1.1", "UNHEALTHY")


async def test_config_control(ctl):
    cfg = await ctl.configure(quotas={"services": 5}, delays={"create": 1.5})
    assert cfg["quotas"]["services"] == 5 and cfg["delays"]["create"] == 1.5
    with pytest.raises(EmulatorControlError):
        await ctl.configure(quotas={"no_such_quota": 1})
    with pytest.raises(EmulatorControlError):
        await ctl.set_latency("ListServices", fixed=1, uniform=(1, 2))
    with pytest.raises(EmulatorControlError):
        await ctl._request("GET", "no/such/control")
    with pytest.raises(EmulatorControlError):
        await ctl.advance_clock(-1)


async def test_blanket_rules_respect_the_model(lattice, ctl):
    svc = await lattice.create_service(name="blanket")
    await ctl.throttle("*", rate=0.01, burst=1)
    await lattice.get_service(serviceIdentifier=svc["id"])
    async with raises("ThrottlingException"):
        await lattice.get_service(serviceIdentifier=svc["id"])
    # The model gives ListTagsForResource no ThrottlingException, so the blanket bucket skips it.
    for _ in range(3):
        await lattice.list_tags_for_resource(resourceArn=svc["arn"])
    await ctl.clear_faults()
    await ctl.inject_error("*", "ConflictException", count=1)
    await lattice.list_services()  # ListServices cannot answer Conflict; the rule waits
    async with raises("ConflictException"):
        await lattice.delete_service(serviceIdentifier=svc["id"])


async def test_operation_class_buckets_per_account(lattice, ctl, emulator):
    """As AWS throttles: a token bucket per account and operation class; 429 ThrottlingException
    with Retry-After (whole seconds) as the model's retryAfterSeconds; counted per operation."""
    await ctl.throttle("writes", rate=0.001, burst=2)
    await lattice.create_service(name="one")
    await lattice.create_target_group(name="two", type="IP", config={"port": 80, "protocol": "HTTP",
                                                                      "vpcIdentifier": "vpc-0123456789abcdef0"})
    async with raises("ThrottlingException", 429) as err:
        await lattice.create_service(name="three")  # another write operation: the same class bucket
    assert err["retryAfterSeconds"] >= 1 and err["serviceCode"] == "vpc-lattice"
    # reads have their own class (no rule here), and the throttled call did nothing
    assert [s["name"] for s in (await lattice.list_services())["items"]] == ["one"]
    assert [t["name"] for t in (await lattice.list_target_groups())["items"]] == ["two"]
    data = await ctl.calls()
    assert data["throttled"] == {"CreateService": 1} and data["throttled_total"] == 1
    # another account has its own buckets
    await ctl.configure(accounts={"other-key": "210987654321"})
    session = aioboto3.Session(aws_access_key_id="other-key", aws_secret_access_key="x", region_name="us-west-2")
    async with session.client("vpc-lattice", endpoint_url=emulator.url) as other:
        await other.create_service(name="elsewhere")
    with pytest.raises(EmulatorControlError):
        await ctl.throttle("write", rate=1)  # a typo names no operation or class: refused


async def test_throttle_profile_in_config_outlives_resets_and_a_storm_overrides_it(lattice, ctl):
    await ctl.configure(throttle={"reads": {"rate": 0.001, "burst": 1}})
    await ctl.clear_faults()
    await lattice.list_services()
    async with raises("ThrottlingException", 429):
        await lattice.list_service_networks()
    await lattice.create_service(name="writes-are-free")
    # a storm: every write refused, with the Retry-After chosen
    await ctl.throttle("writes", rate=0, retry_after=3)
    async with raises("ThrottlingException", 429) as err:
        await lattice.create_service(name="stormy")
    assert err["retryAfterSeconds"] == 3
    await ctl.throttle("writes", rate=None)  # the storm ends
    await lattice.create_service(name="after")
    await ctl.configure(throttle={})
    await lattice.list_service_networks()


def test_throttle_spec_parsing():
    assert parse_throttle("writes=10/s, reads=20/s:40,CreateRule=2") == {
        "writes": {"rate": 10.0, "burst": 10.0}, "reads": {"rate": 20.0, "burst": 40.0},
        "CreateRule": {"rate": 2.0, "burst": 2.0}}
    assert parse_throttle("*=0.5") == {"*": {"rate": 0.5, "burst": 1.0}}
    for bad in ("writes", "writes=fast", "=3", "reads=-1"):
        with pytest.raises(ValueError):
            parse_throttle(bad)


@pytest.mark.parametrize("path,body", [
    ("faults/errors", {"operation": "*", "code": "InternalServerException", "count": "2"}),
    ("faults/errors", {"operation": "ListServices", "code": "ThrottlingException", "probability": "0.5"}),
    ("faults/errors", {"operation": "ListServices", "code": "ThrottlingException", "count": True}),
    ("faults/errors", {"operation": "ListServices", "code": 500}),
    ("faults/errors", {"operation": "ListServices", "code": "ThrottlingException", "probabilty": 0.5}),
    ("faults/errors", {"operation": "ListServices", "code": "ThrottlingException", "retryAfter": "soon"}),
    ("faults/latency", {"operation": "ListServices", "uniform": 5}),
    ("faults/latency", {"operation": "ListServices", "fixed": "1"}),
    ("faults/latency", {"operation": "ListServices", "normal": [0.1, "x"]}),
    ("faults/throttle", {"operation": "ListServices", "rate": "fast"}),
    ("faults/throttle", {"operation": "ListServices", "rate": 1, "burst": float("inf")}),
    ("faults/consistency", {"seconds": "2"}),
    ("faults/consistency", {"seconds": 1, "operations": "CreateService"}),
    ("faults/lifecycle", {"operation": "CreateService", "count": "3"}),
])
async def test_a_fault_rule_of_the_wrong_type_is_refused_and_later_calls_still_work(lattice, ctl, path, body):
    """A wrong type used to be stored and blow up in every later call (500); now the rule is a 400."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        raw = {k: v for k, v in body.items()}
        data = json.dumps(raw, allow_nan=True)
        async with http.post(ctl.base + path, data=data, headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 400, await resp.text()
    faults = await ctl.faults()
    assert faults["errors"] == [] and faults["latency"] == {} and faults["throttle"] == {}
    assert faults["consistency"] == {} and faults["lifecycle"] == {}
    await lattice.list_services()
    await lattice.create_service(name="still-fine")
    assert (await ctl.calls())["outcomes"].get("ListServices") == {"OK": 1}


@pytest.mark.parametrize("advance", ["nan", "inf", float("nan"), -1, "5", True])
async def test_a_clock_advance_that_is_not_a_finite_forward_number_is_refused(lattice, ctl, advance):
    import aiohttp

    before = (await ctl.faults(), time.time())
    async with aiohttp.ClientSession() as http:
        async with http.post(ctl.base + "clock", data=json.dumps({"advance": advance}, allow_nan=True),
                             headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 400, await resp.text()
    assert before
    created = await lattice.create_service(name="after-clock")
    assert (await lattice.get_service(serviceIdentifier=created["id"]))["status"] == "ACTIVE"
    assert await ctl.advance_clock(1) > 0


async def test_a_client_that_hangs_up_is_not_a_server_crash(emulator, ctl, caplog):
    """A client timing out mid-request (its body never arrives) is logged as a disconnect and
    counted as such, not as an emulator crash answering 500."""
    import asyncio
    import logging

    from .test_contract_misc import SIGNED

    host, port = emulator.url.split("//")[1].rsplit(":", 1)
    with caplog.at_level(logging.INFO, logger="latticegw.emulator"):
        for path, target in (("/services", None), ("/", "ResourceGroupsTaggingAPI_20170126.TagResources")):
            reader, writer = await asyncio.open_connection(host, int(port))
            extra = f"X-Amz-Target: {target}\r\n" if target else ""
            writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {SIGNED['Authorization']}\r\n{extra}"
                         "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":".encode())
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
        for _ in range(50):
            outcomes = (await ctl.calls())["outcomes"]
            if outcomes.get("CreateService") and outcomes.get("TagResources"):
                break
            await asyncio.sleep(0.05)
    assert outcomes["CreateService"] == {"ClientDisconnected": 1}
    assert outcomes["TagResources"] == {"ClientDisconnected": 1}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
