"""ServiceExport target groups (sources without a service) and ServiceImport lookups (never owned)."""

from __future__ import annotations

from lattice.sync import TG_RELIST_INTERVAL
from tests.integration.lattice.conftest import ManualClock, converge, example_objects, translate_objects
from tests.integration.lattice.helpers import State, edited, find
from tests.integration.lattice.test_converge import make_sn
from translate.model import Source


def _export_and_import(objs):
    objs = edited(objs)
    objs.append({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceExport",
                 "metadata": {"name": "parking", "namespace": "default",
                              "annotations": {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"}}})
    objs.append({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport",
                 "metadata": {"name": "parking", "namespace": "default"},
                 "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]}})
    inv = find(objs, "HTTPRoute", "inventory")
    inv["spec"]["rules"][0]["backendRefs"] = [{"group": "application-networking.k8s.aws", "kind": "ServiceImport",
                                               "name": "parking", "port": 80}]
    return objs


async def test_export_then_import_resolves_to_the_exported_target_group(make_sync, ctl):
    clock = ManualClock()
    sync = await make_sync(sync={"clock": clock})
    await make_sn(sync, "my-hotel")
    t = translate_objects(_export_and_import(example_objects("my-hotel")))
    export = Source("ServiceExport", "default", "parking")
    assert t.target_groups_of(export), "translate made no export TG"
    assert t.target_group_lookups
    await converge(sync, t)
    st = State(await ctl.partition())
    (export_tg,) = [tg.name for tg in t.target_groups_of(export)]
    assert st.forward(st.catch_all("inventory-default", "inventory-default-80-http")) == {export_tg: 1}
    # deleting the importing route never deletes the exported (looked-up) TG
    res = await sync.apply_source(Source("HTTPRoute", "default", "inventory"), (), ())
    for _ in range(5):
        if res.converged:
            break
        res = await sync.apply_source(Source("HTTPRoute", "default", "inventory"), (), ())
    assert export_tg in State(await ctl.partition()).tgs
    # deleting the export does
    res = await sync.apply_source(export, (), ())
    assert res.converged and export_tg not in State(await ctl.partition()).tgs


async def test_import_of_an_export_made_after_start_is_found(make_sync, ctl):
    """Another cluster exports later: the unresolved lookup lists target groups again (rarely)."""
    clock = ManualClock()
    sync = await make_sync(sync={"clock": clock})
    await make_sn(sync, "my-hotel")
    t = translate_objects(_export_and_import(example_objects("my-hotel")))
    export = Source("ServiceExport", "default", "parking")
    other = await make_sync()  # "another cluster" (same account; tags say ServiceExport)
    route = Source("HTTPRoute", "default", "inventory")
    res = await sync.apply_source(route, t.services_of(route), t.target_groups_of(route), t.target_group_lookups)
    assert res.errors  # nothing exported yet
    res = await other.apply_source(export, (), t.target_groups_of(export))
    assert res.converged
    clock.advance(TG_RELIST_INTERVAL + 0.1)  # an unresolved lookup lists target groups at most this often
    res = await sync.apply_source(route, t.services_of(route), t.target_groups_of(route), t.target_group_lookups)
    assert res.converged, res
