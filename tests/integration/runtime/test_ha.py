"""High availability with real processes: three `latticegw run` replicas, one Lease.

Default timings (lease 15 s, renew deadline 10 s, retry 2 s). Each replica runs
the GatewayWriter test reconciler (`ha_reconcilers.py`), which writes Gateway
status continuously and logs every write with the moment it was issued and the
latest moment it could land. From that log and the replicas' /debug/status:

* exactly one replica leads at any sampled moment;
* kill -9 the leader: a new leader is writing within lease duration + retry
  period (+ process slack) of the kill;
* cut the leader off from the API server (a silent network partition): its
  last possible write lands before the new leader's first write.
"""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from controller.queue.store import decode_record
from controller.queue.store_kube import DATA_KEY, LABEL

from .replicas import PartitionProxy, Replica, kubeconfig_via, read_completions, read_writes
from .util import eventually

pytestmark = pytest.mark.integration

LEASE = 15.0
RETRY = 2.0
SLACK = 4.0  # process scheduling on a 2-core machine under test load


def gateway(ns: str, name: str) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"gatewayClassName": "amazon-vpc-lattice",
                 "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    }


async def lease_holder(kube, ns: str) -> str | None:
    status, lease = await kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/latticegw-leader")
    return (lease.get("spec") or {}).get("holderIdentity") if status == 200 else None


class LeaderSampler:
    """Samples every replica's /debug/status; records any moment with two leaders."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self.violations: list[tuple[float, list[str]]] = []
        self.samples = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            statuses = await asyncio.gather(*(r.status() for r in self.replicas))
            leaders = [s["identity"] for s in statuses if s and s.get("leading")]
            self.samples += 1
            if len(leaders) > 1:
                self.violations.append((time.time(), leaders))
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def start_replicas(kube, namespace, tmp_path, names, kubeconfigs=None):
    log = tmp_path / "writes.jsonl"
    env = {"HA_NAMESPACE": namespace, "HA_WRITE_LOG": str(log),
           "LATTICEGW_RECONCILERS": "tests.integration.runtime.ha_reconcilers"}
    replicas = []
    for i, name in enumerate(names):
        kc = (kubeconfigs or {}).get(name, str(kube.kubeconfig_path))
        r = Replica(name, kc, namespace, tmp_path, extra_env=env)
        await r.start()
        replicas.append(r)
        if i == 0:  # let the first one win, so the test knows which replica leads
            await eventually(lambda: lease_holder(kube, namespace), timeout=60, message="a leader")
    return replicas, log


def first_write_after(writes: list[dict], identity: str, t: float) -> dict | None:
    return next((w for w in writes if w["id"] == identity and w["issued"] >= t), None)


async def test_kill9_leader_failover(kube, namespace, tmp_path):
    for i in range(3):
        await kube.apply(gateway(namespace, f"gw-{i}"))
    await kube.apply(gateway(namespace, "fail-0"))
    fail_key = f"Gateway/{namespace}/fail-0"
    replicas, log = await start_replicas(kube, namespace, tmp_path, ["ha-a", "ha-b", "ha-c"])
    sampler = LeaderSampler(replicas)
    try:
        leader = await eventually(lambda: lease_holder(kube, namespace), timeout=60, message="leader")
        await eventually(lambda: any(w["id"] == leader for w in read_writes(log)), timeout=60,
                         message="leader writing")
        await eventually(lambda: all_ready(replicas), timeout=60, message="all replicas ready")
        sampler.start()
        victim = next(r for r in replicas if r.identity == leader)

        async def failing_enough():
            st = await victim.status()
            return st and st["queue"]["failures"].get(fail_key, 0) >= 8

        await eventually(failing_enough, timeout=60, message="fail-0 backing off")

        async def flushed():
            """The kube store holds (at least) the failures the leader counted before this look."""
            seen = (await victim.status())["queue"]["failures"][fail_key]
            return await persisted_failures(kube, namespace, fail_key) >= seen

        await eventually(flushed, timeout=30, message="the queue store caught up with fail-0's failures")
        before_kill = (await victim.status())["queue"]["failures"][fail_key]
        killed_at = time.time()
        victim.kill9()

        async def new_leader_writing():
            for w in read_writes(log):
                if w["id"] != leader and w["issued"] >= killed_at:
                    return w
            return None

        first = await eventually(new_leader_writing, timeout=60, message="new leader writing")
        failover = first["issued"] - killed_at
        successor = next(r for r in replicas if r.identity == first["id"])
        resumed = (await successor.status())["queue"]["failures"].get(fail_key, 0)
        print(f"\nHA kill -9: fail-0 had {before_kill} failures at the kill; the new leader resumed at {resumed}")
        assert resumed >= before_kill - 1, "the new leader restarted a backoff from zero (retry storm)"
        # keep sampling the replicas a while under the new leader (20 rounds of all three)
        sampled = sampler.samples
        await eventually(lambda: sampler.samples >= sampled + 20, timeout=60, message="20 samples after failover")
        await sampler.stop()
        print(f"\nHA kill -9 failover: new leader {first['id']} writing {failover:.2f}s after the kill")
        assert failover <= LEASE + RETRY + SLACK, failover
        assert not sampler.violations, sampler.violations[:3]
        assert sampler.samples > 20
        writes = read_writes(log)
        old_last = max(w["deadline"] for w in writes if w["id"] == leader)
        assert old_last < first["issued"], "the killed leader's last write could land after the new one's first"
        survivors = [r for r in replicas if r is not victim]
        holder = await lease_holder(kube, namespace)
        assert holder == first["id"] and holder in {r.identity for r in survivors}
    finally:
        await sampler.stop()
        codes = {}
        for r in replicas:
            codes[r.identity] = await r.terminate()
    for r in replicas:
        if r.identity != leader:
            assert codes[r.identity] == 0, r.log_text()


async def lease_renew_time(kube, ns: str) -> str | None:
    status, lease = await kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/latticegw-leader")
    return (lease.get("spec") or {}).get("renewTime") if status == 200 else None


async def _changed(value, before) -> bool:
    return (await value) != before


async def persisted_failures(kube, ns: str, key: str) -> int:
    """`key`'s failure count as the kube queue store persisted it (its ConfigMaps, read directly)."""
    status, body = await kube.request(
        "GET", f"/api/v1/namespaces/{ns}/configmaps?labelSelector={LABEL}%3Dlatticegw-queue")
    assert status == 200, body
    for cm in body.get("items") or ():
        entries = orjson.loads((cm.get("data") or {}).get(DATA_KEY) or "{}")
        if key in entries:
            return decode_record(key, entries[key]).failures
    return 0


async def all_ready(replicas):
    for r in replicas:
        try:
            if (await r.get("/readyz"))[0] != 200:
                return False
        except Exception:  # noqa: BLE001
            return False
    return True


async def test_partitioned_leader_stops_writing_before_lease_can_be_taken(kube, namespace, tmp_path):
    for i in range(2):
        await kube.apply(gateway(namespace, f"gw-{i}"))
    proxy = PartitionProxy(kube.port)
    await proxy.start()
    cut_kc = kubeconfig_via(str(kube.kubeconfig_path), proxy.port, tmp_path / "kubeconfig-proxied")
    replicas, log = await start_replicas(kube, namespace, tmp_path, ["cut", "ok-1", "ok-2"], {"cut": cut_kc})
    try:
        assert await lease_holder(kube, namespace) == "cut"
        await eventually(lambda: any(w["id"] == "cut" for w in read_writes(log)), timeout=60, message="cut writing")
        await eventually(lambda: all_ready(replicas), timeout=60, message="all replicas ready")
        # the leader renews once more with every standby up and watching (it leads, in their eyes)
        renewed = await lease_renew_time(kube, namespace)
        await eventually(lambda: _changed(lease_renew_time(kube, namespace), renewed), timeout=30,
                         message="a lease renewal with all replicas up")
        partitioned_at = time.time()
        proxy.partition()

        async def new_leader_writing():
            return next((w for w in read_writes(log) if w["id"] != "cut" and w["issued"] >= partitioned_at), None)

        first = await eventually(new_leader_writing, timeout=60, message="new leader writing")
        cut_status = await replicas[0].status()
        writes = read_writes(log)
        cut_writes = [w for w in writes if w["id"] == "cut"]
        last_issued = max(w["issued"] for w in cut_writes)
        last_deadline = max(w["deadline"] for w in cut_writes)
        print(f"\nHA partition: cut leader's last write issued {last_issued - partitioned_at:.2f}s after the cut, "
              f"could land until +{last_deadline - partitioned_at:.2f}s; new leader {first['id']} first write "
              f"+{first['issued'] - partitioned_at:.2f}s; margin {first['issued'] - last_deadline:.2f}s")
        assert last_deadline < first["issued"], "the cut-off leader could still write when the new leader started"
        assert last_issued - partitioned_at < 10.0 + 1.0, "the cut-off leader kept issuing writes past its renew deadline"
        assert cut_status is not None and cut_status["leading"] is False, "the cut-off replica knows it lost"
        assert first["issued"] - partitioned_at <= LEASE + RETRY + SLACK
    finally:
        for r in replicas:
            await r.terminate()
        await proxy.close()


async def test_sigterm_hands_over_fast(kube, namespace, tmp_path):
    """A graceful stop releases the Lease: a standby leads at its next retry, not after 15 s."""
    await kube.apply(gateway(namespace, "gw-0"))
    replicas, log = await start_replicas(kube, namespace, tmp_path, ["term-a", "term-b"])
    try:
        assert await lease_holder(kube, namespace) == "term-a"
        await eventually(lambda: any(w["id"] == "term-a" for w in read_writes(log)), timeout=60, message="a writing")
        await eventually(lambda: all_ready(replicas), timeout=60, message="all replicas ready")
        stopped_at = time.time()
        rc = await replicas[0].terminate()
        exited = time.time() - stopped_at
        first = await eventually(
            lambda: next((w for w in read_writes(log) if w["id"] == "term-b" and w["issued"] >= stopped_at), None),
            timeout=60, message="b writing")
        handover = first["issued"] - stopped_at
        print(f"\nHA SIGTERM: leader exited in {exited:.2f}s (rc={rc}); standby writing {handover:.2f}s after SIGTERM")
        assert rc == 0, replicas[0].log_text()
        a_issued = [w for w in read_writes(log) if w["id"] == "term-a"]
        a_done = [w for w in read_completions(log) if w["id"] == "term-a"]
        # Graceful: every write the old leader issued finished before it let go of the Lease.
        assert len(a_done) == len(a_issued), "an in-flight write was abandoned on SIGTERM"
        assert max(w["completed"] for w in a_done) < first["issued"]
        assert handover < LEASE, "the released lease must not be waited out"
    finally:
        for r in replicas:
            await r.terminate()
