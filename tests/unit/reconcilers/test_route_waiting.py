"""A route whose service network does not exist yet waits (one Warning, a requeue), never fails."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from controller.reconcile import TemporaryError
from controller.reconcilers.route import RouteReconciler, _result_of
from lattice.apply import OpError
from lattice.sync import WAITING_REQUEUE, ServiceState, SyncResult
from translate.model import Outcome, Source

SRC = Source("HTTPRoute", "ns", "r")
ROUTE = {"kind": "HTTPRoute", "metadata": {"namespace": "ns", "name": "r"}}


def events_of(result: SyncResult) -> list[tuple[str, str, str]]:
    seen: list[tuple[str, str, str]] = []
    ctx = SimpleNamespace(event=lambda obj, type_, reason, message: seen.append((type_, reason, message)))
    RouteReconciler(ctx)._events(ROUTE, Outcome(SRC), result, status_changed=True)
    return seen


def waiting_result() -> SyncResult:
    r = SyncResult(SRC, waiting=["service network my-hotel not found"])
    r.services["r-ns"] = ServiceState("r-ns", "svc-1", "arn:svc/1", "r-ns.on.aws", "ACTIVE")
    return r


def test_only_waiting_requeues_without_raising_and_warns_once():
    result = waiting_result()
    assert _result_of(result).requeue_after == WAITING_REQUEUE
    assert events_of(result) == [("Warning", "ServiceNetworkNotFound",
                                   "service network my-hotel not found; the route is programmed once it exists")]


def test_in_progress_wins_over_waiting_and_errors_still_back_off():
    result = waiting_result()
    result.in_progress.append("service r-ns is CREATE_IN_PROGRESS")
    assert _result_of(result).requeue_after == 2.0
    result.errors.append(OpError(("svc", "r-ns"), "CreateService", "AccessDenied", "no"))
    with pytest.raises(TemporaryError):
        _result_of(result)
    assert [e[1] for e in events_of(result)] == ["FailedDeployModel"]


def test_no_deploy_succeeded_event_while_waiting():
    result = waiting_result()
    assert "DeploySucceed" not in [e[1] for e in events_of(result)]
    result.waiting.clear()
    assert [e[1] for e in events_of(result)] == ["DeploySucceed"]
