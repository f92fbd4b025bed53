import functools

import pytest_asyncio

from tests.harness.controller import controller_env as _controller_env


@pytest_asyncio.fixture(loop_scope="session")
async def controller_env(kube, monkeypatch):
    async with _controller_env(kube, monkeypatch) as env:
        yield env


@pytest_asyncio.fixture(loop_scope="session")
async def make_controller_env(kube, monkeypatch):
    """A factory for a ControllerEnv with options, used as `async with make_controller_env(...) as env`.

    `emulator_options` are run_emulator/EmulatorConfig fields (e.g. {"seed": 7, "delays": {"create": 1}});
    `config` overrides controller flags (e.g. {"workers": "1"}).
    """
    return functools.partial(_controller_env, kube, monkeypatch)
