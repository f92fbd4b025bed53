"""Run the controller (Manager + the real reconcilers) inside an existing event loop.

`latticegw run` owns its process; `latticegw demo` and the integration tests
need the very same controller next to other things in one loop. This is that
one mechanism:

    async with running_manager(cfg) as manager:
        ...                      # the controller reconciles in the background
    # leaving the block stops it gracefully (drain, persist, release the lease)
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator

from controller.config import Config
from controller.kube.client import KubeClient, load_configuration
from controller.manager import Manager


@contextlib.asynccontextmanager
async def running_manager(cfg: Config, reconcilers: str = "controller.reconcilers") -> AsyncIterator[Manager]:
    kube = KubeClient(await load_configuration(cfg.kubeconfig, cfg.kube_context))
    try:
        manager = Manager(cfg, kube)
        closer = importlib.import_module(reconcilers).register(manager.registry, manager.runtime)
        task = asyncio.create_task(manager.run(), name="manager")
        try:
            await _started(manager, task)
            yield manager
        finally:
            manager.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if closer is not None:
                await closer()
    finally:
        await kube.close()


async def _started(manager: Manager, task: asyncio.Task) -> None:
    """Wait for the sidecar to listen (so callers can print its ports) or the manager to fail."""
    while not manager.sidecar.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        task.result()  # re-raise the start-up failure
