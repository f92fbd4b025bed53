"""route_events.decide: which Events one route pass records (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from controller import progress
from controller.reconcilers import route_events
from lattice.apply import OpError
from lattice.sync import ServiceState, SyncResult
from translate.frozen import FrozenDict
from translate.model import Condition, Outcome, RouteParentStatus, Source

SRC = Source("HTTPRoute", "ns", "r")


def route(generation: int = 1, record: str | None = None) -> dict:
    meta = {"namespace": "ns", "name": "r", "generation": generation, "uid": "u1", "annotations": {}}
    if record is not None:
        meta["annotations"][progress.ANNOTATION] = record
    return {"kind": "HTTPRoute", "metadata": meta}


def deployed() -> SyncResult:
    r = SyncResult(SRC)
    r.services["r-ns"] = ServiceState("r-ns", "svc-1", "arn:svc/1", "r-ns-0abc.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
                                      "ACTIVE")
    return r


def reasons(events) -> list[str]:
    return [e.reason for e in events]


def test_first_pass_in_progress_then_success_says_deploy_succeed():
    """The demo's bug: the in-progress pass already wrote the DNS annotation, so the later
    successful pass never counted as the first. The progress record decides now."""
    in_progress = deployed()
    in_progress.in_progress.append("association is CREATE_IN_PROGRESS")
    first = route()
    first["metadata"]["annotations"]["application-networking.k8s.aws/lattice-assigned-domain-name"] = "x.on.aws"
    assert reasons(route_events.decide(first, Outcome(SRC), in_progress, status_changed=True)) == []
    events = route_events.decide(first, Outcome(SRC), deployed(), status_changed=False)
    assert [(e.type, e.reason) for e in events] == [("Normal", "DeploySucceed")]
    assert events[0].message.endswith("deployed for generation 1") and "vpc-lattice-svcs" in events[0].message


def test_deploy_succeed_once_per_generation():
    done = route(1, progress.value(route(1), "cfg", "tg"))
    assert reasons(route_events.decide(done, Outcome(SRC), deployed(), status_changed=False)) == []
    bumped = route(2, progress.value(route(1), "cfg", "tg"))
    assert reasons(route_events.decide(bumped, Outcome(SRC), deployed(), status_changed=True)) == ["DeploySucceed"]
    recreated = route(1, progress.value(route(1), "cfg", "tg"))
    recreated["metadata"]["uid"] = "u2"  # same annotation copied onto a new object
    assert reasons(route_events.decide(recreated, Outcome(SRC), deployed(), status_changed=True)) == ["DeploySucceed"]


def test_rejections_only_when_status_changes_and_name_the_parent():
    parent = RouteParentStatus(FrozenDict({"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "ns",
                                           "name": "gw", "sectionName": "http"}), "ctl", (
        Condition("Accepted", "True", "Accepted"),
        Condition("ResolvedRefs", "False", "BackendNotFound", "backend ns/nope not found"),
    ))
    outcome = Outcome(SRC, 1, parents=(parent,))
    result = SyncResult(SRC)
    events = route_events.decide(route(), outcome, result, status_changed=True)
    assert [(e.type, e.reason) for e in events] == [("Warning", "BackendNotFound")]
    assert events[0].message == "parentRef Gateway ns/gw section http: ResolvedRefs=False: backend ns/nope not found"
    assert route_events.decide(route(), outcome, result, status_changed=False) == []


def test_aws_failures_carry_what_to_do():
    result = deployed()
    result.errors.append(OpError(("svc", "r-ns"), "CreateService", "AccessDeniedException", "not authorized"))
    result.errors.append(OpError(("tg", "t"), "CreateTargetGroup", "ServiceQuotaExceededException", "quota"))
    events = route_events.decide(route(), Outcome(SRC), result, status_changed=False)
    assert reasons(events) == ["FailedDeployModel"]  # and no DeploySucceed
    assert "deploy/iam-policy.json" in events[0].message and "quota increase" in events[0].message
    assert "CreateService svc/r-ns: AccessDeniedException: not authorized" in events[0].message


@given(st.lists(st.sampled_from(["errors", "in_progress", "waiting", "conflicts"]), unique=True),
       st.booleans(), st.integers(1, 5))
def test_deploy_succeed_exactly_when_fully_applied_and_not_yet_recorded(problems, recorded, generation):
    result = deployed()
    for p in problems:
        if p == "errors":
            result.errors.append(OpError(("svc", "r-ns"), "CreateService", "X", "y"))
        elif p == "conflicts":
            from lattice.plan import PlanConflict
            result.conflicts.append(PlanConflict("service", "r-ns", "them", "not ours"))
        else:
            getattr(result, p).append("something")
    obj = route(generation, progress.value(route(generation), "c", "t") if recorded else None)
    events = route_events.decide(obj, Outcome(SRC), result, status_changed=False)
    assert ("DeploySucceed" in reasons(events)) == (not problems and not recorded)
    assert len(events) == len({(e.type, e.reason, e.message) for e in events})
