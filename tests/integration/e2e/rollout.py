"""A Deployment's rolling update, played by the test: the local control plane has no
kube-controller-manager and no kubelet, so this does their part for one Service's pods.

- Deployment/ReplicaSet controller: creates the new pods (through the real API server, so the
  real admission chain, including latticegw's webhook, runs), one at a time (maxSurge 1,
  maxUnavailable 0), and deletes an old pod only once its replacement is Ready.
- kubelet: gives each pod an IP, starts its containers at once (ContainersReady) and computes
  Ready as Kubernetes does: containers ready AND every readiness gate's condition True.
- EndpointSlice controller: one slice for the Service, an endpoint per pod with its targetRef and
  ready = the pod's Ready; a deleted pod's endpoint goes away.

A sampler reads the emulator's state all along and counts unsafe moments: samples in which the
target group had fewer HEALTHY targets than the Deployment's replicas (a serving target was
removed before its replacement was healthy), and samples with none at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from controller.reconcilers.readiness_gates import GATE
from tests.integration.e2e.helpers import by_name

GATE_LABEL = "application-networking.k8s.aws/pod-readiness-gate-inject"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Samples:
    taken: int = 0
    fewer_than_replicas: int = 0
    none_healthy: int = 0
    worst: int | None = None
    timeline: list[tuple[float, dict[str, int]]] = field(default_factory=list)


class Rollout:
    def __init__(self, env, namespace: str, service: str, labels: dict[str, str], port: int, replicas: int) -> None:
        self.env, self.kube = env, env.kube
        self.ns, self.service, self.labels, self.port, self.replicas = namespace, service, labels, port, replicas
        self.pods: dict[str, str] = {}  # name -> IP, in creation order
        self.slice = f"{service}-rollout"

    # -- the API server -----------------------------------------------------------------------------
    async def create_pod(self, name: str, ip: str, version: str) -> dict:
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": self.ns, "labels": {**self.labels, "version": version}},
                "spec": {"containers": [{"name": "app", "image": "registry.invalid/app:" + version}]}}
        status, pod = await self.kube.request("POST", f"/api/v1/namespaces/{self.ns}/pods", body)
        assert status == 201, pod
        self.pods[name] = ip
        await self._kubelet(pod)
        return pod

    async def pod(self, name: str) -> dict | None:
        status, pod = await self.kube.request("GET", f"/api/v1/namespaces/{self.ns}/pods/{name}")
        return pod if status == 200 else None

    async def _kubelet(self, pod: dict) -> bool:
        """Report the pod as a kubelet would: IP, containers ready, Ready per its gates. Returns Ready."""
        conditions = {c["type"]: c for c in (pod.get("status") or {}).get("conditions") or ()}
        gates = [g["conditionType"] for g in pod["spec"].get("readinessGates") or ()]
        ready = all(conditions.get(g, {}).get("status") == "True" for g in gates)
        want = {"ContainersReady": "True", "Ready": "True" if ready else "False"}
        if pod.get("status", {}).get("podIP") != self.pods[pod["metadata"]["name"]] or any(
                conditions.get(t, {}).get("status") != s for t, s in want.items()):
            patch = {"status": {"phase": "Running", "podIP": self.pods[pod["metadata"]["name"]],
                                "podIPs": [{"ip": self.pods[pod["metadata"]["name"]]}],
                                "conditions": [{"type": t, "status": s, "lastTransitionTime": _now()}
                                               for t, s in want.items()]}}
            status, body = await self.kube.request(
                "PATCH", f"/api/v1/namespaces/{self.ns}/pods/{pod['metadata']['name']}/status", patch,
                content_type="application/strategic-merge-patch+json")
            assert status == 200, body
        return ready

    async def sync_endpoints(self) -> dict[str, bool]:
        """Kubelet pass over every pod, then the slice (the EndpointSlice controller). Returns ready per pod."""
        ready: dict[str, bool] = {}
        endpoints = []
        for name, ip in self.pods.items():
            pod = await self.pod(name)
            if pod is None:
                continue
            ready[name] = await self._kubelet(pod)
            endpoints.append({"addresses": [ip], "targetRef": {"kind": "Pod", "name": name, "namespace": self.ns},
                              "conditions": {"ready": ready[name], "serving": ready[name], "terminating": False}})
        await self.kube.apply({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": self.slice, "namespace": self.ns,
                         "labels": {"kubernetes.io/service-name": self.service}},
            "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": self.port}],
            "endpoints": endpoints}, field_manager="endpointslice-controller")
        return ready

    async def wait_ready(self, name: str, timeout: float = 90.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if (await self.sync_endpoints()).get(name):
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise AssertionError(f"pod {name} not Ready after {timeout:.0f}s: {await self.pod(name)}")

    async def delete_pod(self, name: str) -> None:
        status, body = await self.kube.request("DELETE", f"/api/v1/namespaces/{self.ns}/pods/{name}",
                                               {"gracePeriodSeconds": 0})
        assert status in (200, 202), body
        self.pods.pop(name, None)
        await self.sync_endpoints()

    async def start(self, version: str, subnet: int) -> None:
        for i in range(self.replicas):
            await self.create_pod(f"{self.service}-{version}-{i}", f"10.9.{subnet}.{10 + i}", version)
        for i in range(self.replicas):
            await self.wait_ready(f"{self.service}-{version}-{i}")

    async def roll(self, old: str, new: str, subnet: int) -> list[float]:
        """maxSurge 1, maxUnavailable 0: a new pod, wait until Ready, then delete an old one."""
        waits = []
        for i in range(self.replicas):
            name = f"{self.service}-{new}-{i}"
            await self.create_pod(name, f"10.9.{subnet}.{10 + i}", new)
            waits.append(await self.wait_ready(name))
            await self.delete_pod(f"{self.service}-{old}-{i}")
        return waits

    # -- the emulator ----------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def sampling(self, tg_name: str, period: float = 0.1):
        samples = Samples()
        started = time.monotonic()

        async def sample() -> None:
            while True:
                state = await self.env.state()
                tg = by_name(state["targetGroups"]).get(tg_name)
                counts: dict[str, int] = {}
                for t in (tg or {}).get("targets") or ():
                    counts[t["status"]] = counts.get(t["status"], 0) + 1
                healthy = counts.get("HEALTHY", 0)
                samples.taken += 1
                samples.fewer_than_replicas += healthy < self.replicas
                samples.none_healthy += healthy == 0
                samples.worst = healthy if samples.worst is None else min(samples.worst, healthy)
                if not samples.timeline or samples.timeline[-1][1] != counts:
                    samples.timeline.append((round(time.monotonic() - started, 2), counts))
                await asyncio.sleep(period)

        task = asyncio.create_task(sample())
        try:
            yield samples
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def gate_of(pod: dict) -> dict | None:
    return next((c for c in (pod.get("status") or {}).get("conditions") or () if c["type"] == GATE), None)
