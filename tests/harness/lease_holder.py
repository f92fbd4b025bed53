"""A stand-in for another controller that holds a Lease the way client-go's `leaderelection`
(LeaseLock) writes it: the AWS Gateway API Controller during a migration.

client-go's tryAcquireOrRenew, reduced to a holder that already leads: GET the Lease; create it
when missing (holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions);
otherwise replace it (PUT, with the resourceVersion it read) with a new renewTime, everything else
kept. It renews every `retry_period` until told to stop renewing, and then simply goes silent, as
a controller whose pod was scaled to zero without a graceful release (its Lease is left to expire).

Times are the running loop's (`loop.time()`), so the holder runs on virtual time in unit tests
and on real time against the API server.

    holder = ClientGoLeaseHolder(kube, "aws-application-networking-system", "amazon-vpc-lattice.io",
                                 identity="gateway-api-controller-7d9f_0e8c...", duration=15)
    holder.start()
    ...
    await holder.stop_renewing()      # holder.last_sent: when its last successful write was sent
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from controller.kube.client import KubeError


def micro_time() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ClientGoLeaseHolder:
    """`kube`: anything with `get(path, timeout=)` and `request(method, path, body=, timeout=)`
    raising KubeError (the controller's KubeClient against a real API server, or FakeKube)."""

    def __init__(self, kube: Any, namespace: str, name: str, identity: str, *, duration: int = 15,
                 retry_period: float = 2.0) -> None:
        self.kube = kube
        self.namespace, self.name, self.identity = namespace, name, identity
        self.duration, self.retry_period = duration, retry_period
        self.collection = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        self.path = f"{self.collection}/{name}"
        self.renewals = 0
        self.last_renewed: float | None = None  # loop time of the last write that succeeded...
        self.last_sent: float | None = None  # ... and when that write was sent: no reader can have
        #                                      seen its record before this moment
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()

    async def renew(self) -> None:
        now = micro_time()
        sent = asyncio.get_running_loop().time()
        try:
            lease = await self.kube.get(self.path, timeout=5)
        except KubeError as exc:
            if not exc.not_found:
                raise
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": self.duration,
                             "acquireTime": now, "renewTime": now, "leaseTransitions": 0}}
            await self.kube.request("POST", self.collection, body=body, timeout=5)
        else:
            spec = lease["spec"]
            assert spec.get("holderIdentity") == self.identity, f"the stand-in lost its Lease to {spec}"
            spec["renewTime"] = now
            spec["leaseDurationSeconds"] = self.duration
            await self.kube.request("PUT", self.path, body=lease, timeout=5)
        self.renewals += 1
        self.last_renewed, self.last_sent = asyncio.get_running_loop().time(), sent

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.retry_period):
                    await self._stop.wait()
                return
            except TimeoutError:
                pass
            await self.renew()  # never cut short: `last_renewed` is the last write that happened

    async def start(self) -> None:
        """Hold the Lease (the first write is done when this returns), then renew in the background."""
        self._stop = asyncio.Event()
        await self.renew()
        self._task = asyncio.create_task(self._run(), name=f"lease-holder-{self.identity}")

    async def stop_renewing(self) -> None:
        """Go silent (no release): the Lease stays as last written until it expires. Returns once
        no write of the holder's is in flight."""
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            await task  # re-raises what made it fail

    def healthy(self) -> bool:
        """Still renewing (its task did not fail, e.g. on losing the Lease)."""
        return self._task is not None and not self._task.done()
