"""Inventory with the Resource Groups Tagging API: our resources in a few pages, others lazily."""

from __future__ import annotations

from collections import Counter

from lattice.config import LatticeConfig
from lattice.inventory import Inventory
from translate.model import Source
from translate.tags import (
    MANAGED_BY,
    ROUTE_NAME,
    ROUTE_NAMESPACE,
    ROUTE_TYPE,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SOURCE_TYPE,
)

OURS = "1/c/vpc-1"


class FakeClient:
    has_tagging = True

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.tags = {
            "arn:svc/1": {MANAGED_BY: OURS, ROUTE_TYPE: "http", ROUTE_NAME: "r", ROUTE_NAMESPACE: "ns"},
            "arn:svc/2": {MANAGED_BY: "someone-else"},
            "arn:tg/1": {MANAGED_BY: OURS, SOURCE_TYPE: "HTTPRoute", ROUTE_NAME: "r", ROUTE_NAMESPACE: "ns"},
            "arn:tg/2": {MANAGED_BY: "other", SOURCE_TYPE: "ServiceExport", SERVICE_NAME: "e", SERVICE_NAMESPACE: "ns"},
        }

    async def paginate(self, op, **_):
        self.calls[op] += 1
        return {
            "ListServiceNetworks": [{"id": "sn-1", "arn": "arn:sn/1", "name": "net"}],
            "ListServices": [{"id": "svc-1", "arn": "arn:svc/1", "name": "mine", "status": "ACTIVE"},
                             {"id": "svc-2", "arn": "arn:svc/2", "name": "theirs", "status": "ACTIVE"}],
            "ListTargetGroups": [{"id": "tg-1", "arn": "arn:tg/1", "name": "tg-mine", "status": "ACTIVE"},
                                 {"id": "tg-2", "arn": "arn:tg/2", "name": "tg-export", "status": "ACTIVE"}],
        }[op]

    async def call(self, op, **params):
        self.calls[op] += 1
        assert op == "ListTagsForResource"
        return {"tags": self.tags[params["resourceArn"]]}

    async def tagged_resources(self, types, filters):
        self.calls["GetResources"] += 1
        prefixes = {"service": "arn:svc/", "targetgroup": "arn:tg/", "servicenetworkserviceassociation": "arn:snsa/",
                    "accesslogsubscription": "arn:als/"}
        return {arn: t for arn, t in self.tags.items()
                if any(arn.startswith(prefixes[ty.split(":")[1]]) for ty in types)
                and all(t.get(k) == v for k, v in filters.items())}


async def test_load_reads_only_our_tags_then_fills_on_demand():
    c = FakeClient()
    inv = Inventory(c, OURS)  # type: ignore[arg-type]
    await inv.load()
    assert c.calls["ListTagsForResource"] == 0 and c.calls["GetResources"] == 1
    assert [r.name for r in inv.services_of(Source("HTTPRoute", "ns", "r"))] == ["mine"]
    assert inv.services["theirs"].tags is None
    await inv.fill_tags([inv.services["theirs"], inv.services["mine"]])
    assert c.calls["ListTagsForResource"] == 1
    assert inv.services["theirs"].managed_by == "someone-else"
    # a ServiceImport lookup finds another cluster's export through the tagging API
    tg_id = await inv.resolve_lookup(None, {SOURCE_TYPE: "ServiceExport", SERVICE_NAME: "e", SERVICE_NAMESPACE: "ns"},
                                     None)
    assert tg_id == "tg-2"


async def test_start_up_page_also_holds_our_associations_tags():
    """The first look at a service needs its associations' tags: GetResources had them already."""
    c = FakeClient()
    c.tags["arn:snsa/1"] = {MANAGED_BY: OURS, ROUTE_NAME: "r"}
    c.tags["arn:snsa/2"] = {MANAGED_BY: "someone-else"}
    inv = Inventory(c, OURS)  # type: ignore[arg-type]
    await inv.load()
    assert await inv._tags("arn:snsa/1") == {MANAGED_BY: OURS, ROUTE_NAME: "r"}
    assert c.calls["ListTagsForResource"] == 0
    assert await inv._tags("arn:snsa/2") == {MANAGED_BY: "someone-else"}  # not ours: read as before
    assert c.calls["ListTagsForResource"] == 1
    await inv._tags("arn:snsa/1")  # used once: a later look (drift check) reads it afresh
    assert c.calls["ListTagsForResource"] == 2


def test_tagging_api_defaults():
    assert LatticeConfig().use_tagging_api is True
    assert LatticeConfig(endpoint_url="http://127.0.0.1:1").use_tagging_api is False
    assert LatticeConfig(tagging_api=False).use_tagging_api is False
    assert LatticeConfig(endpoint_url="http://x", tagging_api=True).use_tagging_api is True
    # (how the environment sets them: tests/unit/controller/test_config.py)
