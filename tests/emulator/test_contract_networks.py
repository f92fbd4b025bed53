"""Contract tests: service networks, services and their associations, through aioboto3."""

from __future__ import annotations

import re

import pytest

from .helpers import VPC, raises

ID = re.compile(r"(sn|svc|snsa|snva)-0[0-9a-f]{16}")


async def test_service_network_crud(lattice):
    sn = await lattice.create_service_network(name="my-hotel", tags={"team": "a"})
    assert sn["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert ID.fullmatch(sn["id"]) and len(sn["id"]) == 20
    assert sn["arn"] == f"arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/{sn['id']}"
    assert sn["authType"] == "NONE" and "status" not in sn
    got = await lattice.get_service_network(serviceNetworkIdentifier=sn["arn"])  # ARN works as identifier
    assert got["name"] == "my-hotel" and got["numberOfAssociatedVPCs"] == 0
    assert got["createdAt"].tzinfo is not None
    upd = await lattice.update_service_network(serviceNetworkIdentifier=sn["id"], authType="AWS_IAM")
    assert upd["authType"] == "AWS_IAM"
    async with raises("ConflictException", 409) as err:
        await lattice.create_service_network(name="my-hotel")
    assert err["resourceType"] == "SERVICE_NETWORK" and err["resourceId"] == sn["id"]
    deleted = await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    async with raises("ResourceNotFoundException", 404) as err:
        await lattice.get_service_network(serviceNetworkIdentifier=sn["id"])
    assert err["resourceType"] == "SERVICE_NETWORK" and err["resourceId"] == sn["id"]


async def test_service_lifecycle_and_formats(lattice, ctl):
    svc = await lattice.create_service(name="rates", customDomainName="rates.example.com")
    assert svc["status"] == "CREATE_IN_PROGRESS"
    assert len(svc["id"]) == 21
    dns = svc["dnsEntry"]["domainName"]
    assert re.fullmatch(r"rates-0[0-9a-f]{16}\.[0-9a-f]{7}\.vpc-lattice-svcs\.us-west-2\.on\.aws", dns)
    assert dns.startswith("rates-" + svc["id"][4:])
    assert svc["dnsEntry"]["hostedZoneId"].startswith("Z")
    got = await lattice.get_service(serviceIdentifier=svc["id"])
    assert got["status"] == "ACTIVE" and got["customDomainName"] == "rates.example.com"
    upd = await lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    assert upd["authType"] == "AWS_IAM"
    gone = await lattice.delete_service(serviceIdentifier=svc["arn"])
    assert gone["status"] == "DELETE_IN_PROGRESS" and gone["ResponseMetadata"]["HTTPStatusCode"] == 200
    async with raises("ResourceNotFoundException") as err:
        await lattice.get_service(serviceIdentifier=svc["id"])
    assert err["resourceType"] == "SERVICE"


async def test_lifecycle_delays_are_observable(lattice, ctl):
    await ctl.configure(delays={"create": 30, "delete": 30})
    svc = await lattice.create_service(name="slow")
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "CREATE_IN_PROGRESS"
    async with raises("ConflictException") as err:
        await lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    assert "CREATE_IN_PROGRESS" in err["Error"]["Message"]
    await ctl.advance_clock(31)
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "ACTIVE"
    await lattice.delete_service(serviceIdentifier=svc["id"])
    listed = (await lattice.list_services())["items"]
    assert [s["status"] for s in listed] == ["DELETE_IN_PROGRESS"]
    await ctl.advance_clock(31)
    assert (await lattice.list_services())["items"] == []


@pytest.mark.parametrize("bad", ["svc-rates", "-rates", "rates-", "ra--tes", "Rates", "x" * 41])
async def test_service_name_rules(lattice, bad):
    async with raises("ValidationException", 400) as err:
        await lattice.create_service(name=bad)
    assert err["reason"] == "fieldValidationFailed"
    assert err["fieldList"][0]["name"] == "name"


async def test_enum_and_pattern_enforced_server_side(lattice):
    async with raises("ValidationException") as err:
        await lattice.create_service(name="enum-check", authType="NOPE")
    assert err["fieldList"] == [{"name": "authType", "message": err["fieldList"][0]["message"]}]
    async with raises("ValidationException"):
        await lattice.get_service(serviceIdentifier="svc-NOT-VALID-AT-ALL")


async def test_snsa_rules(lattice, ctl):
    sn = await lattice.create_service_network(name="net-a")
    await ctl.configure(delays={"create": 30})
    svc = await lattice.create_service(name="inventory")
    async with raises("ConflictException") as err:  # service still CREATE_IN_PROGRESS
        await lattice.create_service_network_service_association(
            serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    assert "CREATE_IN_PROGRESS" in err["Error"]["Message"]
    await ctl.configure(delays={"create": 0})
    await ctl.advance_clock(31)
    assoc = await lattice.create_service_network_service_association(
        serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["arn"])
    assert assoc["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert assoc["status"] == "CREATE_IN_PROGRESS" and assoc["createdBy"] == "123456789012"
    assert assoc["dnsEntry"] == svc["dnsEntry"]
    async with raises("ConflictException") as err:  # pair already associated, state named
        await lattice.create_service_network_service_association(
            serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    assert "ACTIVE" in err["Error"]["Message"] or "CREATE_IN_PROGRESS" in err["Error"]["Message"]
    got = await lattice.get_service_network_service_association(serviceNetworkServiceAssociationIdentifier=assoc["id"])
    assert got["serviceName"] == "inventory" and got["serviceNetworkName"] == "net-a" and got["status"] == "ACTIVE"
    async with raises("ValidationException"):
        await lattice.list_service_network_service_associations()
    by_sn = await lattice.list_service_network_service_associations(serviceNetworkIdentifier=sn["id"])
    by_svc = await lattice.list_service_network_service_associations(serviceIdentifier=svc["arn"])
    assert [i["id"] for i in by_sn["items"]] == [i["id"] for i in by_svc["items"]] == [assoc["id"]]
    assert (await lattice.get_service_network(serviceNetworkIdentifier=sn["id"]))["numberOfAssociatedServices"] == 1
    async with raises("ConflictException") as err:
        await lattice.delete_service(serviceIdentifier=svc["id"])
    assert err["resourceType"] == "SERVICE"
    async with raises("ConflictException") as err:
        await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    assert err["resourceType"] == "SERVICE_NETWORK"
    out = await lattice.delete_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=assoc["id"])
    assert out["status"] == "DELETE_IN_PROGRESS"
    await lattice.delete_service(serviceIdentifier=svc["id"])
    await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])


async def test_snsa_not_found(lattice):
    sn = await lattice.create_service_network(name="net-b")
    async with raises("ResourceNotFoundException") as err:
        await lattice.create_service_network_service_association(
            serviceIdentifier="svc-0aaaaaaaaaaaaaaaa", serviceNetworkIdentifier=sn["id"])
    assert err["resourceType"] == "SERVICE"


async def test_snva_one_network_per_vpc_and_update(lattice, ctl):
    sn1 = await lattice.create_service_network(name="net-one")
    sn2 = await lattice.create_service_network(name="net-two")
    a = await lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=sn1["id"], vpcIdentifier=VPC, securityGroupIds=["sg-12345678"])
    assert a["status"] == "CREATE_IN_PROGRESS" and a["securityGroupIds"] == ["sg-12345678"]
    async with raises("ConflictException") as err:
        await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn2["id"], vpcIdentifier=VPC)
    assert err["resourceType"] == "SERVICE_NETWORK_VPC_ASSOCIATION"
    async with raises("ValidationException"):
        await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn2["id"], vpcIdentifier="vpc-x")
    async with raises("ValidationException"):  # more than 5 security groups
        await lattice.create_service_network_vpc_association(
            serviceNetworkIdentifier=sn2["id"], vpcIdentifier="vpc-0123456789abcdef1",
            securityGroupIds=[f"sg-1234567{i}" for i in range(6)])
    got = await lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=a["id"])
    assert got["vpcId"] == VPC and got["status"] == "ACTIVE"
    upd = await lattice.update_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=a["id"], securityGroupIds=["sg-87654321"])
    assert upd["status"] == "UPDATE_IN_PROGRESS"
    listed = await lattice.list_service_network_vpc_associations(vpcIdentifier=VPC)
    assert [i["status"] for i in listed["items"]] == ["ACTIVE"]
    assert (await lattice.get_service_network(serviceNetworkIdentifier=sn1["id"]))["numberOfAssociatedVPCs"] == 1
    async with raises("ConflictException") as err:
        await lattice.delete_service_network(serviceNetworkIdentifier=sn1["id"])
    assert "VPC" in err["Error"]["Message"]
    await ctl.configure(delays={"delete": 30})
    await lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=a["id"])
    again = await lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=a["id"])
    assert again["status"] == "DELETE_IN_PROGRESS"  # retried delete answers the same
    await ctl.advance_clock(31)
    await lattice.delete_service_network(serviceNetworkIdentifier=sn1["id"])


async def test_pagination(lattice):
    names = [f"page-{i:02d}" for i in range(23)]
    for name in names:
        await lattice.create_service(name=name)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"maxResults": 10} | ({"nextToken": token} if token else {})
        page = await lattice.list_services(**kwargs)
        seen += [s["name"] for s in page["items"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names and pages == 3
    paginator = lattice.get_paginator("list_services")
    collected = [s["name"] async for p in paginator.paginate(PaginationConfig={"PageSize": 7}) for s in p["items"]]
    assert collected == names
    async with raises("ValidationException"):
        await lattice.list_services(maxResults=101)
    async with raises("ValidationException"):
        await lattice.list_services(nextToken="garbage!!")
    empty = await lattice.list_service_networks()
    assert empty["items"] == [] and "nextToken" not in empty


async def test_client_token_idempotency(lattice):
    first = await lattice.create_service(name="idem", clientToken="tok-1")
    again = await lattice.create_service(name="idem", clientToken="tok-1")
    assert again["id"] == first["id"]
    assert len((await lattice.list_services())["items"]) == 1
    async with raises("ConflictException"):
        await lattice.create_service(name="idem", clientToken="tok-1", authType="AWS_IAM")
    # The same token on another operation is a different key.
    sn = await lattice.create_service_network(name="idem-net", clientToken="tok-1")
    assert sn["name"] == "idem-net"


async def test_quota_is_402(lattice, ctl):
    await ctl.configure(quotas={"service_networks": 1})
    await lattice.create_service_network(name="only-one")
    async with raises("ServiceQuotaExceededException", 402) as err:
        await lattice.create_service_network(name="one-too-many")
    assert err["serviceCode"] == "vpc-lattice" and err["resourceType"] == "SERVICE_NETWORK" and err["quotaCode"]


async def test_arn_identifiers_cross_account_and_region(lattice):
    svc = await lattice.create_service(name="arn-svc")
    other_account = svc["arn"].replace("123456789012", "999999999999")
    async with raises("AccessDeniedException", 403):
        await lattice.get_service(serviceIdentifier=other_account)
    group = await lattice.create_target_group(name="arn-tg", type="LAMBDA")
    async with raises("ResourceNotFoundException"):  # DeleteTargetGroup cannot answer AccessDenied
        await lattice.delete_target_group(targetGroupIdentifier=group["arn"].replace("123456789012", "999999999999"))
    other_region = svc["arn"].replace("us-west-2", "eu-west-1")
    async with raises("ResourceNotFoundException"):
        await lattice.get_service(serviceIdentifier=other_region)


async def test_delay_ranges(lattice, ctl):
    cfg = await ctl.configure(delays={"create": [10, 20]})
    assert cfg["delays"]["create"] == [10, 20]
    svc = await lattice.create_service(name="ranged")
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "CREATE_IN_PROGRESS"
    await ctl.advance_clock(9)  # never before the low end of the range
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "CREATE_IN_PROGRESS"
    await ctl.advance_clock(12)
    assert (await lattice.get_service(serviceIdentifier=svc["id"]))["status"] == "ACTIVE"
    for bad in ({"create": [2, 1]}, {"target_health": [1, 2]}, {"delete": -1}):
        try:
            await ctl.configure(delays=bad)
        except Exception:  # noqa: BLE001 - EmulatorControlError
            continue
        raise AssertionError(f"accepted {bad}")
