"""Pod readiness gates: a pod is Ready only once its Lattice target is healthy.

Drop-in with the AWS controller (`targets_synthesizer.go`, reference §9). The mutating webhook
(`controller/webhook/`) adds the readiness gate `application-networking.k8s.aws/pod-readiness-gate`
to pods that back a route or a ServiceExport in opted-in namespaces. Kubernetes then keeps such a
pod not Ready, and its endpoint not ready, until the condition of that type is True, so a rolling
update waits for Lattice, not only for the container, before it removes an old pod.

Targets are every non-terminating endpoint (ready or not), so a gated pod is registered while it
waits. After each pass of a route (or export) this module looks at its target groups' not-ready
endpoints whose pod carries the gate without a True condition, asks Lattice once per such target
group (`ListTargets`), and writes the condition:

| target status     | condition | reason                 |
|-------------------|-----------|------------------------|
| HEALTHY           | True      | Healthy                |
| UNAVAILABLE       | True      | HealthCheckUnavailable |
| UNUSED            | False     | Unused                 |
| INITIAL           | False     | Initial                |
| other (UNHEALTHY) | False     | Unhealthy              |
| not registered    | False     | TargetNotFound         |

A pod with several targets (ports, target groups) takes the worst of them. True is never taken
back (the pod is Ready and serving; Lattice's own health checks steer traffic from then on).
While any gated pod is not yet True the route looks again after `RECHECK_SECONDS`; a pod that
stays Unhealthy gets a Warning Event saying so (deduplicated by the event recorder). Pods without
the gate are never read or written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from controller.kube.client import KubeClient, KubeError
from controller.leader.fence import current_fence

GATE = "application-networking.k8s.aws/pod-readiness-gate"
RECHECK_SECONDS = 10.0
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"

log = structlog.get_logger("latticegw.readiness")

# status -> (condition status, reason); the rank orders them worst first.
_BY_STATUS = {
    "HEALTHY": ("True", "Healthy"),
    "UNAVAILABLE": ("True", "HealthCheckUnavailable"),
    "UNUSED": ("False", "Unused"),
    "INITIAL": ("False", "Initial"),
}
_RANK = {"TargetNotFound": 0, "Unhealthy": 1, "Initial": 2, "Unused": 3, "HealthCheckUnavailable": 4, "Healthy": 5}


@dataclass(frozen=True)
class PodTarget:
    """One Lattice target of a not-ready pod: in target group `tg`, at ip:port."""

    namespace: str
    pod: str
    tg: str
    ip: str
    port: int


@dataclass(frozen=True)
class Decision:
    status: str  # "True" | "False"
    reason: str
    message: str

    @property
    def settled(self) -> bool:
        return self.status == "True"


def waiting_targets(target_groups: Iterable[Any], slices_of) -> list[PodTarget]:
    """The targets of not-ready pods in these target groups (pure). `slices_of(namespace, service)`
    gives a Service's EndpointSlices; only endpoints that name their pod (not ready) count."""
    out: list[PodTarget] = []
    for tg in target_groups:
        registered = {(t.id, t.port) for t in tg.targets}
        ns = tg.backend.namespace
        for eps in slices_of(ns, tg.backend.name):
            for ep in eps.get("endpoints") or ():
                ref = ep.get("targetRef") or {}
                if ref.get("kind") != "Pod" or (ep.get("conditions") or {}).get("ready") is not False:
                    continue
                for ip in ep.get("addresses") or ():
                    out.extend(PodTarget(ns, ref["name"], tg.name, ip, port)
                               for (tid, port) in sorted(registered) if tid == ip)
    return out


def has_gate(pod: Mapping[str, Any]) -> bool:
    return any(g.get("conditionType") == GATE for g in (pod.get("spec") or {}).get("readinessGates") or ())


def gate_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((c for c in (pod.get("status") or {}).get("conditions") or () if c.get("type") == GATE), None)


def decide(statuses: Iterable[str | None]) -> Decision:
    """The condition for a pod from the Lattice status of each of its targets (None: not registered)."""
    decisions = []
    for status in statuses:
        if status is None:
            decisions.append(Decision("False", "TargetNotFound", "The pod's target is not registered in Lattice yet"))
        elif status in _BY_STATUS:
            cond, reason = _BY_STATUS[status]
            decisions.append(Decision(cond, reason, f"Target health check status: {status}"))
        else:
            decisions.append(Decision("False", "Unhealthy", f"Target health check status: {status}"))
    if not decisions:
        return Decision("False", "TargetNotFound", "The pod has no Lattice target")
    return min(decisions, key=lambda d: _RANK[d.reason])


def condition_patch(decision: Decision, now: str) -> dict[str, Any]:
    return {"status": {"conditions": [{"type": GATE, "status": decision.status, "reason": decision.reason,
                                        "message": decision.message, "lastTransitionTime": now,
                                        "lastProbeTime": None}]}}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReadinessGates:
    """The I/O around `decide`: read gated pods, one ListTargets per target group, patch conditions."""

    def __init__(self, kube: KubeClient, event) -> None:
        self.kube = kube
        self.event = event  # (obj, type, reason, message) -> None

    async def sync(self, target_groups: Iterable[Any], slices_of, open_lattice) -> float | None:
        """Returns the seconds after which to look again (a gated pod is still waiting), or None.
        `open_lattice()` gives the Lattice sync; it is awaited only when a gated pod waits."""
        waiting = waiting_targets(target_groups, slices_of)
        if not waiting:
            return None
        pods: dict[tuple[str, str], Mapping[str, Any]] = {}
        for ns, name in sorted({(t.namespace, t.pod) for t in waiting}):
            try:
                pod = await self.kube.get(f"/api/v1/namespaces/{ns}/pods/{name}")
            except KubeError as exc:
                if exc.not_found:
                    continue
                raise
            cond = gate_condition(pod)
            if has_gate(pod) and not (cond and cond.get("status") == "True"):
                pods[(ns, name)] = pod
        if not pods:
            return None
        lattice = await open_lattice()
        health: dict[str, Mapping[tuple[str, int | None], str] | None] = {}
        for tg in sorted({t.tg for t in waiting if (t.namespace, t.pod) in pods}):
            health[tg] = await lattice.target_health(tg)
        again = False
        for (ns, name), gated in pods.items():
            statuses = [(health.get(t.tg) or {}).get((t.ip, t.port)) for t in waiting
                        if (t.namespace, t.pod) == (ns, name)]
            decision = decide(statuses)
            again = again or not decision.settled
            current = gate_condition(gated) or {}
            if (current.get("status"), current.get("reason"), current.get("message")) != (
                    decision.status, decision.reason, decision.message):
                since = current.get("lastTransitionTime") if current.get("status") == decision.status else None
                current_fence().check()
                await self.kube.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status",
                                        body=condition_patch(decision, since or _now()),
                                        content_type=STRATEGIC_MERGE_PATCH)
                log.info("pod readiness gate", pod=f"{ns}/{name}", status=decision.status, reason=decision.reason)
            if decision.reason == "Unhealthy":
                self.event(gated, "Warning", "TargetUnhealthy",
                           f"{decision.message}; the pod stays not Ready until Lattice reports it HEALTHY")
        return RECHECK_SECONDS if again else None
