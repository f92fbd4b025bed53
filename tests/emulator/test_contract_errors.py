"""Remaining documented error cases: quotas per parent, conflicts while in progress, target kinds."""

from __future__ import annotations

from .helpers import VPC, forward, path_match, raises, tg

LAMBDA_ARN = "arn:aws:lambda:us-west-2:123456789012:function:handler"


async def test_conflicts_while_creating(lattice, ctl):
    await ctl.configure(delays={"create": 30})
    svc = await lattice.create_service(name="busy")
    async with raises("ConflictException") as err:
        await lattice.delete_service(serviceIdentifier=svc["id"])
    assert "CREATE_IN_PROGRESS" in err["Error"]["Message"] and err["resourceId"] == svc["id"]
    group = await lattice.create_target_group(name="busy-tg", type="IP",
                                              config={"protocol": "HTTP", "vpcIdentifier": VPC})
    async with raises("ConflictException"):
        await lattice.update_target_group(targetGroupIdentifier=group["id"], healthCheck={"path": "/x"})
    sn = await lattice.create_service_network(name="busy-net")
    await ctl.advance_clock(31)
    assoc = await lattice.create_service_network_service_association(
        serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    async with raises("ConflictException") as err:
        await lattice.delete_service_network_service_association(
            serviceNetworkServiceAssociationIdentifier=assoc["id"])
    assert "CREATE_IN_PROGRESS" in err["Error"]["Message"]
    snva = await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=VPC)
    async with raises("ConflictException"):
        await lattice.update_service_network_vpc_association(
            serviceNetworkVpcAssociationIdentifier=snva["id"], securityGroupIds=["sg-12345678"])


async def test_disassociation_in_progress_blocks_reassociation(lattice, ctl):
    sn = await lattice.create_service_network(name="re-net")
    svc = await lattice.create_service(name="re-svc")
    await lattice.get_service(serviceIdentifier=svc["id"])
    assoc = await lattice.create_service_network_service_association(
        serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    await lattice.get_service_network(serviceNetworkIdentifier=sn["id"])
    await ctl.configure(delays={"delete": 30})
    await lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=assoc["id"])
    async with raises("ConflictException") as err:
        await lattice.create_service_network_service_association(
            serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    assert "DELETE_IN_PROGRESS" in err["Error"]["Message"]
    await ctl.advance_clock(31)
    again = await lattice.create_service_network_service_association(
        serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"])
    assert again["id"] != assoc["id"]


async def test_association_quotas(lattice, ctl):
    await ctl.configure(quotas={"service_associations_per_service_network": 1,
                                "vpc_associations_per_service_network": 1})
    sn = await lattice.create_service_network(name="small-net")
    a, b = (await lattice.create_service(name="qa-one"), await lattice.create_service(name="qa-two"))
    await lattice.list_services()
    await lattice.create_service_network_service_association(serviceIdentifier=a["id"], serviceNetworkIdentifier=sn["id"])
    async with raises("ServiceQuotaExceededException", 402) as err:
        await lattice.create_service_network_service_association(
            serviceIdentifier=b["id"], serviceNetworkIdentifier=sn["id"])
    assert err["resourceType"] == "SERVICE_NETWORK_SERVICE_ASSOCIATION"
    await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier="vpc-00000001")
    async with raises("ServiceQuotaExceededException", 402):
        await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"],
                                                             vpcIdentifier="vpc-00000002")


async def test_service_and_target_group_quotas(lattice, ctl):
    await ctl.configure(quotas={"services": 1, "target_groups": 1, "target_groups_per_service": 1})
    svc = await lattice.create_service(name="q-svc")
    async with raises("ServiceQuotaExceededException", 402) as err:
        await lattice.create_service(name="q-svc-two")
    assert err["resourceType"] == "SERVICE"
    one = await tg(lattice, "q-tg")
    async with raises("ServiceQuotaExceededException", 402):
        await lattice.create_target_group(name="q-tg-two", type="IP", config={"protocol": "HTTP", "vpcIdentifier": VPC})
    await ctl.configure(quotas={"target_groups": 5})
    two = await tg(lattice, "q-tg-three")
    listener = await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                             defaultAction=forward(one["id"]))
    async with raises("ServiceQuotaExceededException", 402):  # a second target group for the service
        await lattice.create_rule(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"], name="more",
                                  priority=1, match=path_match("/x"), action=forward(two["id"]))


async def test_target_kinds(lattice):
    fn = await lattice.create_target_group(name="kinds-lambda", type="LAMBDA")
    await lattice.get_target_group(targetGroupIdentifier=fn["id"])
    out = await lattice.register_targets(targetGroupIdentifier=fn["id"], targets=[{"id": LAMBDA_ARN}])
    assert out["successful"] == [{"id": LAMBDA_ARN}]  # no port for Lambda targets
    out = await lattice.register_targets(targetGroupIdentifier=fn["id"], targets=[{"id": LAMBDA_ARN + "2"}])
    assert out["unsuccessful"][0]["failureCode"] == "InvalidParameter"  # Lambda groups take one target
    v6 = await tg(lattice, "kinds-v6", ipAddressType="IPV6")
    out = await lattice.register_targets(targetGroupIdentifier=v6["id"], targets=[{"id": "2001:db8::1"}, {"id": "10.0.0.1"}])
    assert [t["id"] for t in out["successful"]] == ["2001:db8::1"]
    inst = await lattice.create_target_group(name="kinds-inst", type="INSTANCE",
                                             config={"protocol": "HTTP", "port": 80, "vpcIdentifier": VPC})
    await lattice.get_target_group(targetGroupIdentifier=inst["id"])
    out = await lattice.register_targets(targetGroupIdentifier=inst["id"],
                                         targets=[{"id": "i-0123456789abcdef0"}, {"id": "10.0.0.1"}])
    assert [t["id"] for t in out["successful"]] == ["i-0123456789abcdef0"]
    async with raises("ValidationException"):  # more than 100 targets in one call
        await lattice.register_targets(targetGroupIdentifier=inst["id"], targets=[{"id": f"i-{i:08x}"} for i in range(101)])


async def test_rule_and_listener_not_found(lattice):
    svc = await lattice.create_service(name="nf-svc")
    async with raises("ResourceNotFoundException") as err:
        await lattice.list_rules(serviceIdentifier=svc["id"], listenerIdentifier="listener-0aaaaaaaaaaaaaaaa")
    assert err["resourceType"] == "LISTENER"
    async with raises("ResourceNotFoundException") as err:
        await lattice.list_listeners(serviceIdentifier="svc-0aaaaaaaaaaaaaaaa")
    assert err["resourceType"] == "SERVICE"
    async with raises("ValidationException"):  # malformed identifier is a validation error, not 404
        await lattice.get_listener(serviceIdentifier=svc["id"], listenerIdentifier="listener-XYZXYZXYZXYZXYZXY")
