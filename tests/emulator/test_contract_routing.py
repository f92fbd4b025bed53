"""Contract tests: listeners, rules (incl. BatchUpdateRule), target groups and targets."""

from __future__ import annotations

import pytest

from .helpers import VPC, forward, path_match, raises, service_with_listener, tg


async def test_listener_defaults_and_default_rule(lattice):
    svc, group, listener = await service_with_listener(lattice)
    assert listener["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert listener["port"] == 80 and len(listener["id"]) == 26
    assert listener["arn"] == f"{svc['arn']}/listener/{listener['id']}"
    assert listener["defaultAction"] == forward(group["id"], weights=[100])
    rules = (await lattice.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]))["items"]
    assert len(rules) == 1 and rules[0]["isDefault"] is True and "priority" not in rules[0]
    default = await lattice.get_rule(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"],
                                     ruleIdentifier=rules[0]["id"])
    assert "match" not in default and "priority" not in default and default["action"] == listener["defaultAction"]
    got = await lattice.get_target_group(targetGroupIdentifier=group["id"])
    assert got["serviceArns"] == [svc["arn"]]
    listed = await lattice.list_listeners(serviceIdentifier=svc["arn"])
    assert [i["id"] for i in listed["items"]] == [listener["id"]]


async def test_listener_conflicts_and_quota(lattice):
    svc, group, listener = await service_with_listener(lattice)
    async with raises("ConflictException"):  # same name
        await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP", port=8080,
                                      defaultAction={"fixedResponse": {"statusCode": 404}})
    async with raises("ConflictException"):  # same port
        await lattice.create_listener(serviceIdentifier=svc["id"], name="other", protocol="HTTP",
                                      defaultAction={"fixedResponse": {"statusCode": 404}})
    async with raises("ValidationException"):
        await lattice.create_listener(serviceIdentifier=svc["id"], name="teapot", protocol="HTTP", port=82,
                                      defaultAction={"fixedResponse": {"statusCode": 418}})
    await lattice.create_listener(serviceIdentifier=svc["id"], name="https", protocol="HTTPS",
                                  defaultAction={"fixedResponse": {"statusCode": 404}})
    async with raises("ServiceQuotaExceededException", 402) as err:
        await lattice.create_listener(serviceIdentifier=svc["id"], name="third", protocol="HTTP", port=81,
                                      defaultAction={"fixedResponse": {"statusCode": 404}})
    assert err["quotaCode"] == "L-D64E952E"


async def test_target_group_used_by_one_service_only(lattice):
    svc, group, _ = await service_with_listener(lattice)
    other = await lattice.create_service(name="other-svc")
    async with raises("ConflictException") as err:
        await lattice.create_listener(serviceIdentifier=other["id"], name="http", protocol="HTTP",
                                      defaultAction=forward(group["id"]))
    assert "associated with other services" in err["Error"]["Message"]
    assert err["resourceType"] == "TARGET_GROUP"


async def test_listener_not_found_under_other_service(lattice):
    svc, _, listener = await service_with_listener(lattice)
    other = await lattice.create_service(name="second-svc")
    async with raises("ResourceNotFoundException") as err:
        await lattice.get_listener(serviceIdentifier=other["id"], listenerIdentifier=listener["id"])
    assert err["resourceType"] == "LISTENER"
    async with raises("ResourceNotFoundException") as err:
        await lattice.create_listener(serviceIdentifier=svc["id"], name="missing-tg", protocol="HTTP", port=81,
                                      defaultAction=forward("tg-0aaaaaaaaaaaaaaaa"))
    assert err["resourceType"] == "TARGET_GROUP"


async def test_update_listener_rewrites_default_rule(lattice):
    svc, group, listener = await service_with_listener(lattice)
    upd = await lattice.update_listener(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"],
                                        defaultAction={"fixedResponse": {"statusCode": 404}})
    assert upd["defaultAction"] == {"fixedResponse": {"statusCode": 404}}
    rules = (await lattice.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]))["items"]
    default = await lattice.get_rule(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"],
                                     ruleIdentifier=rules[0]["id"])
    assert default["action"] == {"fixedResponse": {"statusCode": 404}}
    # No longer referenced: the target group can go.
    assert (await lattice.get_target_group(targetGroupIdentifier=group["id"])).get("serviceArns", []) == []
    await lattice.delete_target_group(targetGroupIdentifier=group["id"])


async def test_rules_crud_priority_and_defaults(lattice):
    svc, group, listener = await service_with_listener(lattice)
    ids = {"serviceIdentifier": svc["id"], "listenerIdentifier": listener["id"]}
    rule = await lattice.create_rule(**ids, name="parking", priority=10, match=path_match("/parking"),
                                     action=forward(group["id"]))
    assert rule["ResponseMetadata"]["HTTPStatusCode"] == 201 and len(rule["id"]) == 22
    assert rule["match"]["httpMatch"]["pathMatch"]["caseSensitive"] is True
    async with raises("ConflictException"):
        await lattice.create_rule(**ids, name="review", priority=10, match=path_match("/review"),
                                  action=forward(group["id"]))
    async with raises("ConflictException"):
        await lattice.create_rule(**ids, name="parking", priority=11, match=path_match("/p2"),
                                  action=forward(group["id"]))
    async with raises("ValidationException"):  # priority above the model maximum
        await lattice.create_rule(**ids, name="too-high", priority=5000, match=path_match("/x"),
                                  action=forward(group["id"]))
    async with raises("ValidationException"):  # empty match
        await lattice.create_rule(**ids, name="no-cond", priority=12, match={"httpMatch": {}},
                                  action=forward(group["id"]))
    second = await lattice.create_rule(
        **ids, name="review", priority=20,
        match={"httpMatch": {"method": "PATCH", "headerMatches": [{"name": "x-v", "match": {"exact": "2"}}]}},
        action=forward(group["id"]))
    assert second["match"]["httpMatch"]["headerMatches"][0]["caseSensitive"] is False
    upd = await lattice.update_rule(**ids, ruleIdentifier=second["arn"], priority=30)
    assert upd["priority"] == 30 and upd["isDefault"] is False
    async with raises("ConflictException"):
        await lattice.update_rule(**ids, ruleIdentifier=second["id"], priority=10)
    listed = (await lattice.list_rules(**ids))["items"]
    assert [r.get("priority") for r in listed] == [None, 10, 30]
    default_id = listed[0]["id"]
    async with raises("ValidationException"):
        await lattice.update_rule(**ids, ruleIdentifier=default_id, priority=5)
    async with raises("ValidationException"):
        await lattice.delete_rule(**ids, ruleIdentifier=default_id)
    out = await lattice.delete_rule(**ids, ruleIdentifier=rule["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    async with raises("ResourceNotFoundException") as err:
        await lattice.get_rule(**ids, ruleIdentifier=rule["id"])
    assert err["resourceType"] == "RULE"


async def test_rule_quota_excludes_default_rule(lattice, ctl):
    await ctl.configure(quotas={"rules_per_listener": 2})
    svc, group, listener = await service_with_listener(lattice)
    ids = {"serviceIdentifier": svc["id"], "listenerIdentifier": listener["id"]}
    for i in (1, 2):
        await lattice.create_rule(**ids, name=f"r{i}x", priority=i, match=path_match(f"/{i}"),
                                  action=forward(group["id"]))
    async with raises("ServiceQuotaExceededException", 402):
        await lattice.create_rule(**ids, name="r3x", priority=3, match=path_match("/3"), action=forward(group["id"]))


async def test_batch_update_rule_swaps_priorities(lattice):
    svc, group, listener = await service_with_listener(lattice)
    ids = {"serviceIdentifier": svc["id"], "listenerIdentifier": listener["id"]}
    a = await lattice.create_rule(**ids, name="alpha", priority=1, match=path_match("/a"), action=forward(group["id"]))
    b = await lattice.create_rule(**ids, name="beta", priority=2, match=path_match("/b"), action=forward(group["id"]))
    out = await lattice.batch_update_rule(**ids, rules=[
        {"ruleIdentifier": a["id"], "priority": 2},
        {"ruleIdentifier": b["id"], "priority": 1},
        {"ruleIdentifier": "rule-0aaaaaaaaaaaaaaaa", "priority": 3},
    ])
    assert sorted((r["id"], r["priority"]) for r in out["successful"]) == sorted([(a["id"], 2), (b["id"], 1)])
    assert all(r["isDefault"] is False for r in out["successful"])
    assert out["unsuccessful"] == [{"ruleIdentifier": "rule-0aaaaaaaaaaaaaaaa", "failureCode": "RuleNotFound",
                                    "failureMessage": out["unsuccessful"][0]["failureMessage"]}]
    # A batch that would leave two rules on one priority fails for the clashing entry only.
    out = await lattice.batch_update_rule(**ids, rules=[{"ruleIdentifier": a["id"], "priority": 1},
                                                        {"ruleIdentifier": b["id"], "match": path_match("/bb")}])
    assert [u["ruleIdentifier"] for u in out["unsuccessful"]] == [a["id"]]
    assert [s["id"] for s in out["successful"]] == [b["id"]]
    got = await lattice.get_rule(**ids, ruleIdentifier=a["id"])
    assert got["priority"] == 2
    async with raises("ResourceNotFoundException"):
        await lattice.batch_update_rule(serviceIdentifier=svc["id"], listenerIdentifier="listener-0aaaaaaaaaaaaaaaa",
                                        rules=[{"ruleIdentifier": a["id"], "priority": 5}])


async def test_tls_passthrough_constraints(lattice):
    plain = await lattice.create_service(name="no-domain")
    tcp = await tg(lattice, "tcp-tg", protocol="TCP", port=443)
    http = await tg(lattice, "http-tg")
    async with raises("ValidationException"):
        await lattice.create_listener(serviceIdentifier=plain["id"], name="tls", protocol="TLS_PASSTHROUGH",
                                      defaultAction=forward(tcp["id"]))
    svc = await lattice.create_service(name="with-domain", customDomainName="api.example.com")
    async with raises("ValidationException"):
        await lattice.create_listener(serviceIdentifier=svc["id"], name="tls", protocol="TLS_PASSTHROUGH",
                                      defaultAction=forward(http["id"]))
    listener = await lattice.create_listener(serviceIdentifier=svc["id"], name="tls", protocol="TLS_PASSTHROUGH",
                                             defaultAction=forward(tcp["id"]))
    assert listener["port"] == 443
    async with raises("ValidationException"):
        await lattice.create_rule(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"], name="nope",
                                  priority=1, match=path_match("/"), action=forward(tcp["id"]))
    async with raises("ValidationException"):  # HTTP listeners cannot use TCP target groups
        await lattice.create_listener(serviceIdentifier=plain["id"], name="http", protocol="HTTP",
                                      defaultAction=forward(tcp["id"]))


async def test_target_group_config_defaults_and_rules(lattice):
    group = await lattice.create_target_group(name="defaults", type="IP",
                                              config={"protocol": "HTTPS", "vpcIdentifier": VPC})
    assert group["status"] == "CREATE_IN_PROGRESS" and len(group["id"]) == 20
    cfg = group["config"]
    assert cfg["port"] == 443 and cfg["protocolVersion"] == "HTTP1" and cfg["ipAddressType"] == "IPV4"
    assert cfg["healthCheck"]["enabled"] is True and cfg["healthCheck"]["matcher"] == {"httpCode": "200"}
    tcp = await lattice.create_target_group(name="tcp-defaults", type="INSTANCE",
                                            config={"protocol": "TCP", "port": 443, "vpcIdentifier": VPC})
    assert tcp["config"]["healthCheck"]["enabled"] is False
    lam = await lattice.create_target_group(name="fn-lambda", type="LAMBDA")
    assert lam["config"] == {"lambdaEventStructureVersion": "V1"}
    async with raises("ValidationException"):
        await lattice.create_target_group(name="fn-bad", type="LAMBDA", config={"port": 80})
    async with raises("ValidationException"):  # documented range stricter than the model
        await lattice.create_target_group(name="hc-bad", type="IP", config={
            "protocol": "HTTP", "vpcIdentifier": VPC, "healthCheck": {"healthCheckIntervalSeconds": 1}})
    async with raises("ValidationException"):
        await lattice.create_target_group(name="alb-tcp", type="ALB",
                                          config={"protocol": "TCP", "port": 80, "vpcIdentifier": VPC})
    async with raises("ValidationException"):
        await lattice.create_target_group(name="bad-type", type="NOPE")
    async with raises("ConflictException"):
        await lattice.create_target_group(name="defaults", type="IP", config={"protocol": "HTTP", "vpcIdentifier": VPC})
    upd = await lattice.update_target_group(targetGroupIdentifier=group["id"], healthCheck={"path": "/healthz"})
    assert upd["config"]["healthCheck"]["path"] == "/healthz" and upd["config"]["healthCheck"]["enabled"] is True
    async with raises("ValidationException"):
        await lattice.update_target_group(targetGroupIdentifier=lam["id"], healthCheck={"enabled": True})
    by_vpc = await lattice.list_target_groups(vpcIdentifier=VPC, targetGroupType="IP")
    assert [i["name"] for i in by_vpc["items"]] == ["defaults"]
    assert by_vpc["items"][0]["port"] == 443 and by_vpc["items"][0]["protocol"] == "HTTPS"


async def test_target_group_delete_rules(lattice, ctl):
    await ctl.configure(delays={"create": 30, "delete": 30})
    group = await lattice.create_target_group(name="del-me", type="IP",
                                              config={"protocol": "HTTP", "vpcIdentifier": VPC})
    async with raises("ConflictException") as err:
        await lattice.delete_target_group(targetGroupIdentifier=group["id"])
    assert "CREATE_IN_PROGRESS" in err["Error"]["Message"]
    async with raises("ConflictException"):  # not ACTIVE yet
        await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}])
    await ctl.advance_clock(31)
    await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}])
    first = await lattice.delete_target_group(targetGroupIdentifier=group["id"])  # targets do not block
    again = await lattice.delete_target_group(targetGroupIdentifier=group["id"])
    assert first["status"] == again["status"] == "DELETE_IN_PROGRESS"
    await ctl.advance_clock(31)
    async with raises("ResourceNotFoundException") as err:
        await lattice.get_target_group(targetGroupIdentifier=group["id"])
    assert err["resourceType"] == "TARGET_GROUP"


async def test_targets_register_list_and_status(lattice, ctl):
    group = await tg(lattice, "targets-tg")
    out = await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[
        {"id": "10.0.0.1"}, {"id": "10.0.0.2", "port": 9090}, {"id": "fe80::1"}, {"id": "i-12345678"}])
    assert out["successful"] == [{"id": "10.0.0.1", "port": 8080}, {"id": "10.0.0.2", "port": 9090}]
    assert [u["id"] for u in out["unsuccessful"]] == ["fe80::1", "i-12345678"]
    again = await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}])
    assert again["successful"] == [{"id": "10.0.0.1", "port": 8080}]
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert [(t["id"], t["status"]) for t in items] == [("10.0.0.1", "UNUSED"), ("10.0.0.2", "UNUSED")]
    page = await lattice.list_targets(targetGroupIdentifier=group["id"], maxResults=1)
    assert len(page["items"]) == 1 and page["nextToken"]
    rest = await lattice.list_targets(targetGroupIdentifier=group["id"], nextToken=page["nextToken"])
    assert [t["id"] for t in rest["items"]] == ["10.0.0.2"] and "nextToken" not in rest
    only = await lattice.list_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.2"}])
    assert [t["port"] for t in only["items"]] == [9090]
    # Put the group in use: statuses go INITIAL then HEALTHY (health checks on).
    await ctl.configure(delays={"target_health": 30, "draining": 30})
    svc = await lattice.create_service(name="targets-svc")
    await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                  defaultAction=forward(group["id"]))
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert {t["status"] for t in items} == {"INITIAL"}
    await ctl.advance_clock(31)
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert {t["status"] for t in items} == {"HEALTHY"}
    await ctl.set_target_health(group["id"], "10.0.0.2", "UNHEALTHY")
    statuses = {t["id"]: t["status"] for t in (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]}
    assert statuses == {"10.0.0.1": "HEALTHY", "10.0.0.2": "UNHEALTHY"}
    dereg = await lattice.deregister_targets(targetGroupIdentifier=group["id"],
                                             targets=[{"id": "10.0.0.1"}, {"id": "10.9.9.9"}])
    assert len(dereg["successful"]) == 2
    statuses = {t["id"]: t["status"] for t in (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]}
    assert statuses["10.0.0.1"] == "DRAINING"
    await ctl.advance_clock(31)
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert [t["id"] for t in items] == ["10.0.0.2"]
    await lattice.update_target_group(targetGroupIdentifier=group["id"], healthCheck={"enabled": False})
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert items[0]["status"] == "UNAVAILABLE"


async def test_initial_lasts_as_long_as_the_health_checks_take(lattice, ctl):
    """With the health-check model on, a target stays INITIAL for healthyThresholdCount x
    healthCheckIntervalSeconds (scaled), so each target group's own settings decide."""
    await ctl.configure(delays={"health_checks": 0.1})
    fast = await tg(lattice, "fast-tg", healthCheck={"enabled": True, "healthCheckIntervalSeconds": 10,
                                                     "healthyThresholdCount": 2})
    slow = await tg(lattice, "slow-tg")  # Lattice's defaults: every 30 s, healthy after 5
    for name, group in (("fast", fast), ("slow", slow)):
        svc = await lattice.create_service(name=f"{name}-svc")
        await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                      defaultAction=forward(group["id"]))
        await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}])

    async def status(group):
        return (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"][0]["status"]

    assert (await status(fast), await status(slow)) == ("INITIAL", "INITIAL")
    await ctl.advance_clock(2.1)  # 0.1 x 10 s x 2
    assert (await status(fast), await status(slow)) == ("HEALTHY", "INITIAL")
    await ctl.advance_clock(13)  # 0.1 x 30 s x 5 = 15 s in all
    assert await status(slow) == "HEALTHY"
    await ctl.set_target_health(slow["id"], "10.0.0.1", "UNHEALTHY")  # on demand
    assert await status(slow) == "UNHEALTHY"


async def test_target_quota(lattice, ctl):
    await ctl.configure(quotas={"targets_per_target_group": 2})
    group = await tg(lattice, "quota-tg")
    await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}, {"id": "10.0.0.2"}])
    async with raises("ServiceQuotaExceededException", 402):
        await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.3"}])
    async with raises("ResourceNotFoundException"):
        await lattice.register_targets(targetGroupIdentifier="tg-0aaaaaaaaaaaaaaaa", targets=[{"id": "10.0.0.3"}])


async def test_delete_service_cascades_listeners_and_frees_target_groups(lattice):
    svc, group, listener = await service_with_listener(lattice)
    await lattice.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.1"}])
    await lattice.delete_service(serviceIdentifier=svc["id"])
    got = await lattice.get_target_group(targetGroupIdentifier=group["id"])
    assert got.get("serviceArns", []) == []
    items = (await lattice.list_targets(targetGroupIdentifier=group["id"]))["items"]
    assert items[0]["status"] == "UNUSED"
    await lattice.delete_target_group(targetGroupIdentifier=group["id"])


@pytest.mark.parametrize("weights", [[75, 25], [1, 0]])
async def test_weighted_forward_echoes_weights(lattice, weights):
    svc = await lattice.create_service(name="weighted")
    a = await tg(lattice, "weight-a")
    b = await tg(lattice, "weight-b")
    listener = await lattice.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                             defaultAction=forward(a["id"], b["id"], weights=weights))
    assert [g["weight"] for g in listener["defaultAction"]["forward"]["targetGroups"]] == weights
    async with raises("ValidationException"):  # several groups need explicit weights
        await lattice.update_listener(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"],
                                      defaultAction=forward(a["id"], b["id"]))
