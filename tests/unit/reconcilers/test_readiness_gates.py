"""The readiness gate's pure decisions: which targets wait, and what a pod's condition says."""

from __future__ import annotations

import pytest

from controller.reconcilers.readiness_gates import (
    GATE,
    PodTarget,
    condition_patch,
    decide,
    gate_condition,
    has_gate,
    waiting_targets,
)
from translate.model import Source, Target, TargetGroup


def tg(name: str, *targets: tuple[str, int], service: str = "parking") -> TargetGroup:
    return TargetGroup(name=name, source=Source("HTTPRoute", "app", "rates"), backend=Source("Service", "app", service),
                       type="IP", config={}, targets=tuple(Target(id=i, port=p) for i, p in targets))


def endpoint(ip: str, ready: bool, pod: str | None = None) -> dict:
    ep = {"addresses": [ip], "conditions": {"ready": ready}}
    if pod:
        ep["targetRef"] = {"kind": "Pod", "name": pod}
    return ep


def slices(*endpoints: dict):
    return lambda ns, svc: ({"endpoints": list(endpoints)},) if (ns, svc) == ("app", "parking") else ()


def test_only_not_ready_pods_wait_on_each_of_their_registered_ports():
    groups = [tg("tg-a", ("10.0.0.1", 80), ("10.0.0.2", 80), ("10.0.0.2", 81)), tg("tg-b", ("10.0.0.9", 80), service="x")]
    got = waiting_targets(groups, slices(endpoint("10.0.0.1", True, "old"), endpoint("10.0.0.2", False, "new"),
                                         endpoint("10.0.0.3", False)))
    assert got == [PodTarget("app", "new", "tg-a", "10.0.0.2", 80), PodTarget("app", "new", "tg-a", "10.0.0.2", 81)]


@pytest.mark.parametrize("statuses, expected", [
    (["HEALTHY"], ("True", "Healthy")),
    (["UNAVAILABLE"], ("True", "HealthCheckUnavailable")),
    (["UNUSED"], ("False", "Unused")),
    (["INITIAL"], ("False", "Initial")),
    (["UNHEALTHY"], ("False", "Unhealthy")),
    (["DRAINING"], ("False", "Unhealthy")),
    ([None], ("False", "TargetNotFound")),
    ([], ("False", "TargetNotFound")),
    # the worst target decides
    (["HEALTHY", "INITIAL"], ("False", "Initial")),
    (["HEALTHY", "UNAVAILABLE"], ("True", "HealthCheckUnavailable")),
    (["INITIAL", "UNHEALTHY", "HEALTHY"], ("False", "Unhealthy")),
    (["HEALTHY", None], ("False", "TargetNotFound")),
])
def test_decide_follows_the_aws_controllers_table(statuses, expected):
    d = decide(statuses)
    assert (d.status, d.reason) == expected
    assert d.settled == (expected[0] == "True")


def test_unhealthy_says_the_status_it_saw():
    assert decide(["UNHEALTHY"]).message == "Target health check status: UNHEALTHY"


def test_gate_and_condition_are_read_by_type():
    pod = {"spec": {"readinessGates": [{"conditionType": "other"}, {"conditionType": GATE}]},
           "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": GATE, "status": "False"}]}}
    assert has_gate(pod) and gate_condition(pod)["status"] == "False"
    assert not has_gate({"spec": {}}) and gate_condition({}) is None


def test_the_patch_is_a_strategic_merge_of_one_condition():
    patch = condition_patch(decide(["HEALTHY"]), "2026-12-02T00:00:00Z")
    assert patch == {"status": {"conditions": [{"type": GATE, "status": "True", "reason": "Healthy",
                                                "message": "Target health check status: HEALTHY",
                                                "lastTransitionTime": "2026-12-02T00:00:00Z",
                                                "lastProbeTime": None}]}}
