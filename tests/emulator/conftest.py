"""Fixtures: one emulator per session (strict output checks on), reset before every test,
and real aioboto3 clients talking to it over loopback HTTP."""

from __future__ import annotations

from contextlib import AsyncExitStack

import aioboto3
import pytest
from aiobotocore.config import AioConfig

from lattice.emulator import EmulatorControl, run_emulator

# Client-side settings for the fixtures only; never exported to the whole test run.
TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-west-2",
}


@pytest.fixture(scope="session")
async def emulator():
    async with run_emulator("127.0.0.1", 0, strict_output=True, seed=7) as emu:
        yield emu


@pytest.fixture(scope="session")
async def session_clients(emulator):
    """(no-retry client, retrying client): the first makes call counts exact."""
    once = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})
    retrying = AioConfig(retries={"mode": "standard", "total_max_attempts": 3})
    async with AsyncExitStack() as stack:
        # The test credentials live in the environment only while the clients resolve them,
        # so nothing leaks into other test packages sharing the session.
        with pytest.MonkeyPatch.context() as mp:
            for key, value in TEST_ENV.items():
                mp.setenv(key, value)
            session = aioboto3.Session()
            c1 = await stack.enter_async_context(session.client("vpc-lattice", endpoint_url=emulator.url, config=once))
            c2 = await stack.enter_async_context(
                session.client("vpc-lattice", endpoint_url=emulator.url, config=retrying))
            await c1.list_service_networks()  # resolve credentials now, inside the context
            await c2.list_service_networks()
        yield c1, c2


@pytest.fixture(scope="session")
async def control_session(emulator):
    async with EmulatorControl(emulator.url) as ctl:
        yield ctl


@pytest.fixture
async def ctl(control_session, emulator):
    await control_session.reset()
    emulator.config.update({"delays": {"create": 0, "delete": 0, "update": 0, "target_health": 0,
                                      "health_checks": 0, "draining": 0}})
    emulator.config.quotas.clear()
    emulator.config.throttle.clear()
    yield control_session
    await control_session.clear_faults()


@pytest.fixture
async def lattice(session_clients, ctl):
    return session_clients[0]


@pytest.fixture
async def retrying_lattice(session_clients, ctl):
    return session_clients[1]
