"""The leader elector's loop against an in-memory API, on virtual time.

Each scenario runs on `virtual_time.VirtualTimeLoop`: the elector's clock is the loop's, the
loop jumps to the next timer whenever every task waits, so the bounds below are the elector's
own arithmetic (lease duration, renew deadline, retry period), not allowances for a busy machine.
"""

from __future__ import annotations

import asyncio

from controller.leader.lease import ElectionConfig, LeaderElector

from .fakekube import FakeKube
from .virtual_time import run

FAST = dict(lease_duration=1.5, renew_deadline=1.0, retry_period=0.2)
LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l"


class Candidate:
    def __init__(self, kube, name):
        self.elector = LeaderElector(kube, ElectionConfig("ns", "l", name, **FAST), clock=now)
        self.name = name
        self.stop = asyncio.Event()
        self.terms: list[dict] = []
        self.task: asyncio.Task | None = None

    async def lead(self, fence):
        term = {"start": now(), "end": None, "cancelled": False, "fence": fence}
        self.terms.append(term)
        try:
            await self.stop.wait()
        except asyncio.CancelledError:
            term["cancelled"] = True
            raise
        finally:
            term["end"] = now()

    def start(self):
        self.task = asyncio.create_task(self.elector.run(self.lead, self.stop))

    async def close(self):
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


def now() -> float:
    return asyncio.get_running_loop().time()


async def until(pred, timeout=10.0):
    deadline = now() + timeout
    while not pred():
        assert now() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def holder(kube):
    obj = kube.objects.get(LEASE_PATH)
    return obj and obj["spec"].get("holderIdentity")


def test_one_leader_then_graceful_release_hands_over():
    run(_test_one_leader_then_graceful_release_hands_over())


async def _test_one_leader_then_graceful_release_hands_over():
    kube = FakeKube()
    a, b = Candidate(kube, "a"), Candidate(kube, "b")
    a.start()
    await until(lambda: a.elector.is_leader)
    b.start()
    await asyncio.sleep(0.6)  # several retry periods: b must keep waiting
    assert not b.elector.is_leader and holder(kube) == "a"
    t = now()
    await a.close()
    assert holder(kube) in (None, "b")  # released (or already taken by b)
    await until(lambda: b.elector.is_leader, timeout=5)
    assert now() - t < FAST["lease_duration"], "a released lease is taken at the next retry"
    assert not a.terms[0]["cancelled"], "a graceful term ends by returning, not by cancellation"
    assert kube.objects[LEASE_PATH]["spec"]["leaseTransitions"] == 1
    await b.close()


def test_partitioned_leader_stops_before_the_lease_can_be_taken():
    run(_test_partitioned_leader_stops_before_the_lease_can_be_taken())


async def _test_partitioned_leader_stops_before_the_lease_can_be_taken():
    kube = FakeKube()
    a = Candidate(kube, "a")
    a.start()
    await until(lambda: a.elector.is_leader)
    b_kube = kube  # b shares the "API server"; only a gets cut off
    await asyncio.sleep(0.5)
    # Cut a off: make its elector talk to a partitioned view of the same objects.
    cut = FakeKube()
    cut.objects = kube.objects
    cut.partitioned = True
    a.elector.kube = cut
    cut_at = now()
    b = Candidate(b_kube, "b")
    b.start()
    await until(lambda: a.terms and a.terms[0]["end"] is not None, timeout=5)
    a_stopped = a.terms[0]["end"]
    assert a.terms[0]["cancelled"] and not a.terms[0]["fence"].valid()
    assert a_stopped - cut_at <= FAST["renew_deadline"]  # its last renew was at or before the cut
    await until(lambda: b.elector.is_leader, timeout=10)
    b_started = b.terms[0]["start"]
    assert a_stopped < b_started, "the old leader's term must end before the new one begins"
    a.stop.set()
    b.stop.set()
    a.task.cancel()
    await asyncio.gather(a.task, b.task, return_exceptions=True)


def test_lost_leader_rejoins_as_candidate():
    run(_test_lost_leader_rejoins_as_candidate())


async def _test_lost_leader_rejoins_as_candidate():
    kube = FakeKube()
    a = Candidate(kube, "a")
    a.start()
    await until(lambda: a.elector.is_leader)
    # Someone else grabs the lease behind a's back (as after a long GC pause).
    lease = kube.objects[LEASE_PATH]
    lease["spec"]["holderIdentity"] = "intruder"
    kube.rv += 1
    lease["metadata"]["resourceVersion"] = str(kube.rv)
    await until(lambda: not a.elector.is_leader, timeout=5)
    assert a.terms[0]["cancelled"]
    # The intruder never renews: a takes the lease back after a full lease duration.
    await until(lambda: a.elector.is_leader, timeout=10)
    assert len(a.terms) == 2
    await a.close()


def test_a_lease_held_by_a_client_go_controller_is_waited_for_then_taken_when_it_goes_silent():
    run(_test_a_lease_held_by_a_client_go_controller())


async def _test_a_lease_held_by_a_client_go_controller():
    # The AWS controller's Lease (its name, in its namespace), held by client-go's defaults: a 15 s
    # lease renewed every 2 s. Ours is configured with much shorter timings (FAST): the holder's
    # own leaseDurationSeconds is what counts, so we must wait for 15 s of silence, not 1.5 s.
    from tests.harness.lease_holder import ClientGoLeaseHolder

    kube = FakeKube()
    ns, name = "aws-application-networking-system", "amazon-vpc-lattice.io"
    aws = ClientGoLeaseHolder(kube, ns, name, "gateway-api-controller-7d9f8_0e8c", duration=15, retry_period=2.0)
    await aws.start()
    ours = LeaderElector(kube, ElectionConfig(ns, name, "latticegw-0", **FAST), clock=now)
    stop = asyncio.Event()
    terms: list[float] = []

    async def lead(fence):
        terms.append(now())
        await stop.wait()

    task = asyncio.create_task(ours.run(lead, stop))
    await asyncio.sleep(60)  # four of the holder's lease durations: it renews, we stand by
    assert not terms and not ours.is_leader and ours.holder == aws.identity and aws.healthy()
    assert aws.renewals >= 25
    await aws.stop_renewing()  # scaled to zero without a release
    await until(lambda: ours.is_leader, timeout=30)
    waited = terms[0] - aws.last_sent
    # Not before the holder's lease ran out; and at most two of our retry periods (with jitter) after:
    # one until we first read the holder's last record (its age counts from then), one until the
    # read that finds it 15 s old; + `until`'s poll.
    assert 15 <= waited <= 15 + 2 * FAST["retry_period"] * 1.2 + 0.05, waited
    lease = kube.objects[f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}"]["spec"]
    assert lease["holderIdentity"] == "latticegw-0" and lease["leaseTransitions"] == 1
    stop.set()
    await asyncio.wait_for(task, 10)
