"""Resources we do not own are never modified or deleted; takeover adopts them by retagging."""

from __future__ import annotations

from tests.integration.lattice.conftest import MANAGED_BY, converge, example_objects, translate_objects
from tests.integration.lattice.helpers import State, edited, find, route
from tests.integration.lattice.test_converge import make_sn
from translate.gateway import TAKEOVER_ALLOWED

RATES = route("default", "rates")
OTHER = "999999999999/other-cluster/vpc-11111111111111111"


async def _foreign_service(sync, name="rates-default", tags=None):
    """A service with our name, made by someone else (with a listener on port 80)."""
    c = sync.client
    svc = await c.call("CreateService", name=name, tags=tags if tags is not None else {
        "application-networking.k8s.aws/ManagedBy": OTHER})
    await c.call("CreateListener", serviceIdentifier=svc["id"], name="theirs-80", protocol="HTTP", port=80,
                 defaultAction={"fixedResponse": {"statusCode": 404}})
    return svc


async def test_same_named_service_of_another_owner_is_a_conflict_and_untouched(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    await _foreign_service(sync)
    fresh = await make_sync()  # sees it in its inventory
    before = await ctl.partition()
    t = translate_objects(example_objects("my-hotel"))
    res = await fresh.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert [c.name for c in res.conflicts] == ["rates-default"]
    assert OTHER in res.conflicts[0].message
    assert res.writes == 0 and res.services == {}
    after = await ctl.partition()
    for kind in ("services", "listeners", "rules", "targetGroups", "serviceNetworkServiceAssociations"):
        assert after[kind] == before[kind], kind
    # deleting the route never deletes the foreign service
    res = await fresh.apply_source(RATES, (), ())
    assert res.writes == 0
    assert (await ctl.partition())["services"] == before["services"]


async def test_untagged_same_named_service_is_a_conflict_too(make_sync, ctl):
    sync = await make_sync()
    await _foreign_service(sync, tags={})
    fresh = await make_sync()
    t = translate_objects(example_objects("my-hotel"))
    res = await fresh.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert [c.name for c in res.conflicts] == ["rates-default"] and res.writes == 0


async def test_conflict_discovered_at_create_time(make_sync, ctl):
    """The foreign service appears after our inventory was loaded: the create fails, we learn it."""
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    other = await make_sync()
    await _foreign_service(other)
    t = translate_objects(example_objects("my-hotel"))
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert not res.converged
    res = await sync.apply_source(RATES, t.services_of(RATES), t.target_groups_of(RATES))
    assert [c.name for c in res.conflicts] == ["rates-default"]
    st = State(await ctl.partition())
    assert set(st.listeners_of("rates-default")) == {"theirs-80"}


async def test_takeover_adopts_by_retagging(make_sync, ctl):
    sync = await make_sync()
    await make_sn(sync, "my-hotel")
    svc = await _foreign_service(sync)
    fresh = await make_sync()
    objs = edited(example_objects("my-hotel"))
    find(objs, "HTTPRoute", "rates")["metadata"].setdefault("annotations", {})[
        "application-networking.k8s.aws/allow-takeover-from"] = OTHER
    # the route author's annotation alone takes nothing over ...
    assert translate_objects(objs).services_of(RATES)[0].allow_takeover_from is None
    # ... the cluster operator must also allow that previous owner on the route's Gateway
    find(objs, "Gateway", "my-hotel")["metadata"].setdefault("annotations", {})[TAKEOVER_ALLOWED] = OTHER
    t = translate_objects(objs)
    assert t.services_of(RATES)[0].allow_takeover_from == OTHER
    await converge(fresh, t)
    st = State(await ctl.partition())
    assert st.services["rates-default"]["id"] == svc["id"]  # adopted, not recreated
    assert st.services["rates-default"]["tags"]["application-networking.k8s.aws/ManagedBy"] == MANAGED_BY
    assert set(st.listeners_of("rates-default")) == {"rates-default-80-http"}  # theirs replaced by ours
    assert len(st.rules_of("rates-default", "rates-default-80-http")) == 2
