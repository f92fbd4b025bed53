"""The process's one Lattice client, inventory and sync, opened on first use.

Opened lazily (by the first reconcile, so only the leader pays for it and a
standby never lists the account) and exactly once, however many workers ask at
the same time. `close()` is called when the controller stops. Its settings
(`LatticeConfig`) were built at start-up (`controller.config.lattice_config`);
opening reads nothing from the environment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from lattice.certificates import CertificateFinder, CertificateImporter
from lattice.client import CallObserver, LatticeClient
from lattice.config import LatticeConfig
from lattice.inventory import Inventory
from lattice.sync import LatticeSync

log = structlog.get_logger("latticegw.lattice")


class LatticeHandle:
    def __init__(self, config: LatticeConfig, managed_by: str, vpc_id: str,
                 observer: CallObserver | None = None,
                 on_open: Callable[[Callable[[], dict]], None] | None = None) -> None:
        self.config = config
        self.managed_by = managed_by
        self.vpc_id = vpc_id
        self.observer = observer  # the AWS-call metrics
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
        # ACM (listener certificates imported from Secrets, and discovery) on real AWS, or where
        # LATTICEGW_ACM_ENDPOINT points (the emulator serves it): tests and demos stay on loopback.
        acm = self.config.use_acm
        client = LatticeClient(self.config, observer=self.observer, with_acm=acm)
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
        log.info("lattice inventory loaded", endpoint=self.config.endpoint_url or "aws",
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
