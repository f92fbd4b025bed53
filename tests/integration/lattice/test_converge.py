from __future__ import annotations

from lattice.plan import PlanConflict  # noqa: F401
from tests.integration.lattice.conftest import converge, example_objects, translate_objects


async def _sn(sync, name):
    await sync.client.call("CreateServiceNetwork", name=name)
    await sync.inventory.refresh_service_networks()


async def test_my_hotel_converges(make_sync, ctl):
    sync = await make_sync()
    await _sn(sync, "my-hotel")
    t = translate_objects(example_objects("my-hotel"))
    await ctl.reset_calls()
    results = await converge(sync, t)
    calls = await ctl.calls()
    print("my-hotel create calls", calls["total"], calls["calls"])
    state = await ctl.partition()
    print({k: len(v) for k, v in state.items() if isinstance(v, list)})
    assert {s["name"] for s in state["services"]} == {"inventory-default", "rates-default"}
