"""The process's one Lattice client, inventory and sync, opened on first use.

Opened lazily (by the first reconcile, so only the leader pays for it and a
standby never lists the account) and exactly once, however many workers ask at
the same time. `close()` is called when the controller stops.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping

import structlog

from controller.config import Config
from lattice.certificates import CertificateFinder, CertificateImporter
from lattice.client import LatticeClient
from lattice.config import LatticeConfig
from lattice.config import from_env as lattice_config_from_env
from lattice.inventory import Inventory
from lattice.sync import LatticeSync

log = structlog.get_logger("latticegw.lattice")


def lattice_config(config: Config, region: str, environ: Mapping[str, str] | None = None) -> LatticeConfig:
    """The client's settings: region and endpoint from Config, the knobs documented in
    `lattice.config.from_env` (LATTICEGW_AWS_*, DISABLE_TAGGING_SERVICE_API) from the environment."""
    env = os.environ if environ is None else environ
    return lattice_config_from_env(
        env,
        region=region or None,
        endpoint_url=config.lattice_endpoint or None,
        # Connections: one per concurrently running reconcile, plus room for its parallel ops
        # (unless LATTICEGW_AWS_POOL says otherwise).
        max_pool_connections=None if env.get("LATTICEGW_AWS_POOL") else max(32, config.workers * 2),
    )


class LatticeHandle:
    def __init__(self, config: Config, managed_by: str, region: str, vpc_id: str,
                 on_call: Callable[..., None] | None = None,
                 on_open: Callable[[Callable[[], dict]], None] | None = None) -> None:
        self.config = config
        self.managed_by = managed_by
        self.region = region
        self.vpc_id = vpc_id
        self.on_call = on_call
        self.on_open = on_open  # gets the client's rate snapshot (metrics)
        self._lock = asyncio.Lock()
        self._client: LatticeClient | None = None
        self._sync: LatticeSync | None = None

    async def __call__(self) -> LatticeSync:
        if self._sync is not None:
            return self._sync
        async with self._lock:
            if self._sync is None:
                self._sync = await self._open()
        return self._sync

    async def _open(self) -> LatticeSync:
        # Endpoints other than AWS (the emulator) need no IMDS probing for credentials.
        if self.config.lattice_endpoint:
            os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        # ACM (listener certificates imported from Secrets, and discovery) on real AWS, or where
        # LATTICEGW_ACM_ENDPOINT points (the emulator serves it): tests and demos stay on loopback.
        lcfg = lattice_config(self.config, self.region)
        acm = lcfg.use_acm
        client = LatticeClient(lcfg, on_call=self.on_call, with_acm=acm)
        await client.open()
        try:
            inventory = Inventory(client, managed_by=self.managed_by)
            await inventory.load()
        except BaseException:
            await client.close()
            raise
        self._client = client
        if self.on_open is not None:
            self.on_open(client.buckets.snapshot)
        log.info("lattice inventory loaded", endpoint=self.config.lattice_endpoint or "aws",
                 managed_by=self.managed_by)
        return LatticeSync(client, inventory, self.managed_by, vpc_id=self.vpc_id,
                           certificates=CertificateFinder(client) if acm else None,
                           importer=CertificateImporter(client, self.managed_by) if acm else None)

    @property
    def inventory(self):
        """The Lattice inventory once opened (None before the first reconcile needed it)."""
        return self._sync.inventory if self._sync is not None else None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = self._sync = None
