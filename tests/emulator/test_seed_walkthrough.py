"""The seed scenario, by hand through aioboto3: build my-hotel, check the dump, tear it down.

Teardown first tries the wrong order at every step and proves Lattice refuses it.
"""

from __future__ import annotations

from .helpers import VPC, forward, path_match, raises


async def test_seed_scenario(lattice, ctl):
    sn = await lattice.create_service_network(name="my-hotel")
    snva = await lattice.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=VPC)

    services, groups, listeners = {}, {}, {}
    for name in ("rates", "inventory"):
        services[name] = await lattice.create_service(name=name)
    for name in ("rates-parking", "rates-review", "inventory-v1", "inventory-v2"):
        groups[name] = await lattice.create_target_group(
            name=name, type="IP", config={"port": 8090, "protocol": "HTTP", "vpcIdentifier": VPC})
    snsas = []
    for svc in services.values():
        snsas.append(await lattice.create_service_network_service_association(
            serviceIdentifier=svc["id"], serviceNetworkIdentifier=sn["id"]))
    for name, ips in (("rates-parking", ["10.0.1.1", "10.0.1.2"]), ("rates-review", ["10.0.2.1"]),
                      ("inventory-v1", ["10.0.3.1"]), ("inventory-v2", ["10.0.4.1"])):
        out = await lattice.register_targets(targetGroupIdentifier=groups[name]["id"],
                                             targets=[{"id": ip, "port": 8090} for ip in ips])
        assert out["unsuccessful"] == []

    rates = services["rates"]
    listeners["rates"] = await lattice.create_listener(
        serviceIdentifier=rates["id"], name="http-80", protocol="HTTP", port=80,
        defaultAction={"fixedResponse": {"statusCode": 404}})
    rules = {}
    for prio, (path, tg) in enumerate((("/parking", "rates-parking"), ("/review", "rates-review")), start=1):
        rules[path] = await lattice.create_rule(
            serviceIdentifier=rates["id"], listenerIdentifier=listeners["rates"]["id"],
            name=f"route{prio}", priority=prio, match=path_match(path), action=forward(groups[tg]["id"]))
    inventory = services["inventory"]
    listeners["inventory"] = await lattice.create_listener(
        serviceIdentifier=inventory["id"], name="http-80", protocol="HTTP",
        defaultAction=forward(groups["inventory-v1"]["id"], groups["inventory-v2"]["id"], weights=[75, 25]))

    # -- the dump shows exactly the scenario ---------------------------------------------
    state = await ctl.partition("123456789012", "us-west-2")
    assert [s["name"] for s in state["serviceNetworks"]] == ["my-hotel"]
    assert [s["name"] for s in state["services"]] == ["rates", "inventory"]
    assert {s["status"] for s in state["services"]} == {"ACTIVE"}
    assert [(a["serviceName"], a["serviceNetworkName"], a["status"])
            for a in state["serviceNetworkServiceAssociations"]] == [
        ("rates", "my-hotel", "ACTIVE"), ("inventory", "my-hotel", "ACTIVE")]
    assert [(v["vpcId"], v["status"]) for v in state["serviceNetworkVpcAssociations"]] == [(VPC, "ACTIVE")]
    assert [(lst["serviceId"], lst["port"]) for lst in state["listeners"]] == [(rates["id"], 80), (inventory["id"], 80)]
    custom = [(r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"], r["priority"])
              for r in state["rules"] if not r["isDefault"]]
    assert custom == [("/parking", 1), ("/review", 2)]
    assert sum(r["isDefault"] for r in state["rules"]) == 2
    weighted = next(lst for lst in state["listeners"] if lst["serviceId"] == inventory["id"])
    assert [(g["targetGroupIdentifier"], g["weight"]) for g in weighted["defaultAction"]["forward"]["targetGroups"]] == [
        (groups["inventory-v1"]["id"], 75), (groups["inventory-v2"]["id"], 25)]
    by_name = {g["name"]: g for g in state["targetGroups"]}
    assert by_name["rates-parking"]["serviceArns"] == [rates["arn"]]
    assert by_name["inventory-v2"]["serviceArns"] == [inventory["arn"]]
    assert [(t["id"], t["status"]) for t in by_name["rates-parking"]["targets"]] == [
        ("10.0.1.1", "HEALTHY"), ("10.0.1.2", "HEALTHY")]

    # -- teardown: every wrong order is refused --------------------------------------------
    async with raises("ConflictException"):
        await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    async with raises("ConflictException"):
        await lattice.delete_service(serviceIdentifier=rates["id"])
    async with raises("ConflictException"):
        await lattice.delete_target_group(targetGroupIdentifier=groups["rates-parking"]["id"])

    for assoc in snsas:
        await lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=assoc["id"])
    await lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=snva["id"])
    async with raises("ConflictException"):  # target groups are still in use by rules/listeners
        await lattice.delete_target_group(targetGroupIdentifier=groups["inventory-v1"]["id"])
    for rule in rules.values():
        await lattice.delete_rule(serviceIdentifier=rates["id"], listenerIdentifier=listeners["rates"]["id"],
                                  ruleIdentifier=rule["id"])
    for name, svc in services.items():
        await lattice.delete_listener(serviceIdentifier=svc["id"], listenerIdentifier=listeners[name]["id"])
        await lattice.delete_service(serviceIdentifier=svc["id"])
    for group in groups.values():
        await lattice.deregister_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.1.1", "port": 8090}])
        await lattice.delete_target_group(targetGroupIdentifier=group["id"])
    await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])

    state = await ctl.partition("123456789012", "us-west-2")
    leftovers = {k: v for k, v in state.items() if isinstance(v, list) and v}
    assert leftovers == {}
