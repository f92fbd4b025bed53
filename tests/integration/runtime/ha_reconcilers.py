"""A test reconciler module for `latticegw run --reconcilers ...` (HA tests).

For Gateways in $HA_NAMESPACE it writes a status condition on every reconcile
and requeues itself every 250 ms, so the leader writes continuously. Before each
write it appends one JSON line to $HA_WRITE_LOG: who, when the write was issued
(wall clock), and the latest moment the write could still land (issued + the
request timeout, which the fence bounds). The HA tests read that log to prove
that an old leader's last possible write precedes the new leader's first one.
Gateways named `fail-*` always fail, so their backoff grows; the tests check a
new leader resumes that backoff instead of restarting it from zero.
"""

from __future__ import annotations

import os
import time

import orjson

from controller.kube import keys
from controller.leader.fence import current_fence
from controller.reconcile import Registry, Result, Runtime, TemporaryError


class GatewayWriter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.namespace = os.environ["HA_NAMESPACE"]
        self.log_path = os.environ["HA_WRITE_LOG"]
        self.identity = rt.config.identity

    async def reconcile(self, key: str) -> Result:
        k = keys.parse(key)
        if k.namespace != self.namespace:
            return Result()
        gw = self.rt.snapshot.get("Gateway", k.namespace, k.name)
        if gw is None:
            return Result()
        if k.name.startswith("fail-"):
            raise TemporaryError("this Gateway always fails (backoff durability test)")
        fence = current_fence()
        timeout = fence.bounded(2.0)
        issued = time.time()
        with open(self.log_path, "ab") as f:
            f.write(orjson.dumps({"id": self.identity, "key": key, "issued": issued,
                                  "deadline": issued + timeout, "term": fence.term}) + b"\n")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        cond = {"type": "Programmed", "status": "True", "reason": "Programmed",
                "message": f"written by {self.identity} at {issued:.3f}", "lastTransitionTime": now}
        await self.rt.status.patch_status(gw, {"conditions": [cond]}, precondition=False, timeout=timeout)
        with open(self.log_path, "ab") as f:
            f.write(orjson.dumps({"id": self.identity, "key": key, "completed": time.time()}) + b"\n")
        return Result(requeue_after=0.25)


def register(registry: Registry, rt: Runtime) -> None:
    registry.register("Gateway", GatewayWriter(rt))
