import pytest_asyncio

from tests.harness.controller import controller_env as _controller_env


@pytest_asyncio.fixture(loop_scope="session")
async def controller_env(kube, monkeypatch):
    async with _controller_env(kube, monkeypatch) as env:
        yield env
