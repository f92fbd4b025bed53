"""API-server writes per reconcile: what the real kube-apiserver receives from the controller.

A fresh kube-apiserver + etcd (`controller.localkube`) with an audit log (level Metadata, every
create/update/patch/delete), a fresh Lattice emulator, and the real controller, as in the e2e tests
(`tests.harness.controller`). Every audit record whose user agent is the controller's and whose
object is one of ours (gateway.networking.k8s.io, application-networking.k8s.aws) is a write the
controller made to a Gateway API / latticegw object; Events, Leases and the queue's store are not
counted. Per phase it prints those writes (metadata patches vs status patches, per object kind),
the reconciles that ran (the controller's own `controller_runtime_reconcile_total`), and the ratio:

1. converge: the my-hotel walkthrough is applied and runs until converged and idle;
2. forced: every route and the Gateway is reconciled again (nothing changed: expect no write);
3. detach: one route's parentRef moves to a Gateway that does not exist (its Lattice service is
   deleted; status, output annotations and finalizer go);
4. delete: everything is deleted and the controller lets go (finalizers).

    .venv/bin/python bench/bench_kube_writes.py
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controller.localkube import LocalKube  # noqa: E402
from controller.observe import logging as logging_mod  # noqa: E402
from tests.harness.audit import AuditLog, apiserver_args, per_object  # noqa: E402
from tests.harness.controller import controller_env  # noqa: E402
from tests.harness.fixtures import DEPLOY_CRDS  # noqa: E402
from tests.integration.e2e.helpers import find, idle  # noqa: E402


def reconciles(env) -> Counter:
    """Reconciles run so far per controller (the controller's own controller_runtime_reconcile_total)."""
    counts: Counter = Counter()
    for metric in env.manager.metrics.registry.collect():
        if metric.name == "controller_runtime_reconcile":
            for s in metric.samples:
                if s.name.endswith("_total"):
                    counts[s.labels["controller"]] += int(s.value)
    return counts


def summarize(name: str, writes: list, ran: Counter, seconds: float) -> None:
    kinds: Counter = Counter()
    for w in writes:
        kinds[(w.resource, f"{w.verb} {w.part}" + (" (409)" if w.code == 409 else ""))] += 1
    total, n = len(writes), sum(ran.values())
    print(f"\n== {name}: {total} writes / {n} reconciles = {total / n if n else 0:.2f} writes per reconcile"
          f" ({seconds:.1f} s)")
    print(f"   reconciles: {dict(sorted(ran.items()))}")
    for (resource, what), count in sorted(kinds.items()):
        print(f"   {resource:18} {what:22} {count}")
    objects = per_object(writes)
    if objects:
        worst = max(objects.items(), key=lambda kv: sum(kv[1][p] for p in ("metadata", "status")))
        print(f"   most writes to one object: {worst[0][0]}/{worst[0][2]} {dict(worst[1])}")


class Phases:
    def __init__(self, env, audit: AuditLog) -> None:
        self.env, self.audit = env, audit
        self.mark, self.ran, self.started = audit.size(), reconciles(env), time.monotonic()

    async def end(self, name: str) -> None:
        await idle(self.env)
        ran = reconciles(self.env)
        summarize(name, self.audit.writes(self.mark), ran - self.ran, time.monotonic() - self.started)
        self.mark, self.ran, self.started = self.audit.size(), ran, time.monotonic()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-kube-writes-") as tmp:
        args, log = apiserver_args(Path(tmp))
        workdir = Path(tmp) / "kube"
        workdir.mkdir()
        async with LocalKube.started(workdir, extra_crds=DEPLOY_CRDS, extra_apiserver_args=args) as kube:
            with pytest.MonkeyPatch.context() as mp:
                async with controller_env(kube, mp) as env:
                    phases = Phases(env, AuditLog(log))
                    objs = await env.apply_example("my-hotel")
                    await env.wait_until(env.converged, "my-hotel converges")
                    print(f"\nmy-hotel converged (Accepted, DNS name) after {time.monotonic() - phases.started:.1f} s")
                    await phases.end("converge (my-hotel, applied at once)")

                    keys = [f"{o['kind']}/{o['metadata']['namespace']}/{o['metadata']['name']}"
                            for o in objs if o["kind"] in ("HTTPRoute", "Gateway")]
                    for key in keys:
                        env.manager.queue.add(key)
                    await phases.end(f"forced re-reconcile ({len(keys)} keys)")

                    rates = copy.deepcopy(find(objs, "HTTPRoute", "rates"))
                    rates["spec"]["parentRefs"] = [{"name": "no-such-gateway"}]
                    await env.apply([rates])
                    await phases.end("detach (rates -> a Gateway that does not exist)")

                    await env.delete_all()
                    await phases.end("delete everything")


if __name__ == "__main__":
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    logging_mod.configure(os.environ.get("BENCH_LOG_LEVEL", "error"))
    asyncio.run(main())
