"""The real aioboto3 stack (LatticeClient, Inventory, LatticeSync) against the emulator over HTTP."""

from __future__ import annotations

import os
from typing import Any

import pytest

from controller.cli.manifests import load
from lattice.client import LatticeClient
from lattice.config import LatticeConfig
from lattice.emulator import EmulatorControl, run_emulator
from lattice.inventory import Inventory
from lattice.sync import LatticeSync
from translate import Snapshot, TranslateConfig, Translation, translate

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples")
TEST_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-west-2"}
CONFIG = TranslateConfig(cluster_name="cluster", vpc_id="vpc-00000000000000000", account_id="123456789012",
                         region="us-west-2")
MANAGED_BY = CONFIG.managed_by


def example_objects(name: str) -> list[dict[str, Any]]:
    return load([os.path.join(EXAMPLES, name)])


def translate_objects(objects: list[dict[str, Any]]) -> Translation:
    return translate(Snapshot.of(objects), CONFIG)


_SESSION: list[Any] = []


def _session() -> Any:
    import aioboto3

    if not _SESSION:
        _SESSION.append(aioboto3.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                         region_name="us-west-2"))
    return _SESSION[0]


@pytest.fixture(scope="session")
async def lattice_emulator():
    with pytest.MonkeyPatch.context() as mp:
        for k, v in TEST_ENV.items():
            mp.setenv(k, v)
        async with run_emulator("127.0.0.1", 0, strict_output=True, seed=11) as emu:
            yield emu


@pytest.fixture(scope="session")
async def lattice_control(lattice_emulator):
    async with EmulatorControl(lattice_emulator.url) as ctl:
        yield ctl


@pytest.fixture
async def ctl(lattice_control, lattice_emulator):
    await lattice_control.reset()
    lattice_emulator.config.update({"delays": {"create": 0, "delete": 0, "update": 0, "target_health": 0,
                                               "draining": 0}})
    yield lattice_control
    await lattice_control.clear_faults()


def make_config(url: str, **kw: Any) -> LatticeConfig:
    return LatticeConfig(region="us-west-2", endpoint_url=url, aws_access_key_id="test",
                         aws_secret_access_key="test", **kw)


@pytest.fixture
async def make_sync(lattice_emulator, ctl):
    """Factory: a fresh client + loaded inventory + LatticeSync (a 'process start')."""
    clients: list[LatticeClient] = []

    async def factory(*, sync: dict[str, Any] | None = None, **kw: Any) -> LatticeSync:
        """`kw` configures the client (LatticeConfig), `sync` the LatticeSync (clock, intervals)."""
        client = LatticeClient(make_config(lattice_emulator.url, **kw), session=_session())
        await client.open()
        clients.append(client)
        inv = Inventory(client, MANAGED_BY)
        await inv.load()
        return LatticeSync(client, inv, vpc_id=CONFIG.vpc_id, **(sync or {}))

    yield factory
    for c in clients:
        await c.close()


class ManualClock:
    """A monotonic clock a test moves by hand (for the rare-relisting guards)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


async def converge(sync: LatticeSync, translation: Translation, *, max_passes: int = 20, pause: float = 0.02,
                   refresh: bool = False) -> list[Any]:
    """Apply every SN and source of a translation until all converged (like requeues would)."""
    import asyncio

    results = []
    for sn in translation.service_networks:
        r = await sync.ensure_service_network(sn)
        assert not r.errors and not r.conflicts, (r.errors, r.conflicts)
    todo = sorted({s.source for s in translation.services} | {t.source for t in translation.target_groups})
    for _ in range(max_passes):
        waits = []
        for source in list(todo):
            res = await sync.apply_source(source, translation.services_of(source),
                                          translation.target_groups_of(source),
                                          translation.target_group_lookups, refresh=refresh)
            results.append(res)
            assert not res.conflicts, res.conflicts
            if res.converged:
                todo.remove(source)
            else:
                waits.append(res.requeue_after or 0.02)
        if not todo:
            return results
        await asyncio.sleep(min(min(waits), pause))
    raise AssertionError(f"did not converge: {[r for r in results[-len(todo):]]}")
