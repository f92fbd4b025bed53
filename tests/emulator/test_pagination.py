"""Every paginated operation, walked with botocore's own paginators in small pages."""

from __future__ import annotations

from .helpers import VPC, forward, path_match, raises, tg


async def collect(lattice, op: str, page_size: int, **kwargs) -> tuple[list[dict], int]:
    items, pages = [], 0
    async for page in lattice.get_paginator(op).paginate(PaginationConfig={"PageSize": page_size}, **kwargs):
        items += page["items"]
        pages += 1
    return items, pages


async def test_every_paginated_list(lattice, ctl):
    await ctl.configure(quotas={"listeners_per_service": 5, "rules_per_listener": 20})
    sns = [await lattice.create_service_network(name=f"pnet-{i}") for i in range(5)]
    svcs = [await lattice.create_service(name=f"psvc-{i}") for i in range(5)]
    groups = [await tg(lattice, f"ptg-{i}") for i in range(5)]
    svc = svcs[0]
    listeners = [await lattice.create_listener(serviceIdentifier=svc["id"], name=f"l-{i}", protocol="HTTP",
                                               port=8000 + i, defaultAction={"fixedResponse": {"statusCode": 404}})
                 for i in range(5)]
    lid = listeners[0]["id"]
    rules = [await lattice.create_rule(serviceIdentifier=svc["id"], listenerIdentifier=lid, name=f"rule{i}",
                                       priority=i + 1, match=path_match(f"/{i}"), action=forward(groups[0]["id"]))
             for i in range(6)]
    snsas = [await lattice.create_service_network_service_association(
        serviceIdentifier=s["id"], serviceNetworkIdentifier=sns[0]["id"]) for s in svcs]
    snvas = [await lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=sns[0]["id"], vpcIdentifier=f"vpc-{i:08d}") for i in range(5)]
    als = [await lattice.create_access_log_subscription(resourceIdentifier=sns[1]["id"], destinationArn=arn)
           for arn in ("arn:aws:logs:us-west-2:123456789012:log-group:x", "arn:aws:s3:::lattice-bucket",
                       "arn:aws:firehose:us-west-2:123456789012:deliverystream/x")]

    cases = [
        ("list_service_networks", {}, [s["id"] for s in sns]),
        ("list_services", {}, [s["id"] for s in svcs]),
        ("list_target_groups", {}, [g["id"] for g in groups]),
        ("list_target_groups", {"vpcIdentifier": VPC}, [g["id"] for g in groups]),
        ("list_listeners", {"serviceIdentifier": svc["id"]}, [x["id"] for x in listeners]),
        ("list_rules", {"serviceIdentifier": svc["id"], "listenerIdentifier": lid}, None),
        ("list_service_network_service_associations", {"serviceNetworkIdentifier": sns[0]["id"]},
         [a["id"] for a in snsas]),
        ("list_service_network_vpc_associations", {"serviceNetworkIdentifier": sns[0]["arn"]},
         [a["id"] for a in snvas]),
        ("list_access_log_subscriptions", {"resourceIdentifier": sns[1]["id"]}, [a["id"] for a in als]),
    ]
    for op, kwargs, expected in cases:
        items, pages = await collect(lattice, op, 2, **kwargs)
        ids = [i["id"] for i in items]
        if expected is None:  # rules: the default rule first, then creation order
            assert ids[1:] == [r["id"] for r in rules] and items[0]["isDefault"], op
            expected = ids
        assert ids == expected, op
        assert pages == (len(expected) + 1) // 2, (op, pages)

    await lattice.register_targets(targetGroupIdentifier=groups[1]["id"],
                                   targets=[{"id": f"10.0.0.{i}"} for i in range(1, 6)])
    targets, pages = await collect(lattice, "list_targets", 2, targetGroupIdentifier=groups[1]["id"])
    assert [t["id"] for t in targets] == [f"10.0.0.{i}" for i in range(1, 6)] and pages == 3


async def test_filters_and_edge_cases(lattice):
    await tg(lattice, "filter-ip")
    await lattice.create_target_group(name="filter-lambda", type="LAMBDA")
    only_lambda = await lattice.list_target_groups(targetGroupType="LAMBDA")
    assert [g["name"] for g in only_lambda["items"]] == ["filter-lambda"]
    assert (await lattice.list_target_groups(vpcIdentifier="vpc-99999999"))["items"] == []
    exact = await lattice.list_target_groups(maxResults=2)
    assert len(exact["items"]) == 2 and "nextToken" not in exact  # no token when nothing follows
    async with raises("ValidationException"):
        await lattice.list_service_network_vpc_associations()
    async with raises("ValidationException"):  # maxResults above the model maximum (botocore checks only min)
        await lattice.list_target_groups(maxResults=1000)
