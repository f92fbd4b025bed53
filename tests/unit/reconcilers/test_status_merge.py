"""Status is written only when it changed, and other controllers' route parents survive."""

from __future__ import annotations

from controller.reconcilers.status_merge import (
    conditions_status,
    gateway_status,
    merge_conditions,
    route_status,
)
from translate.frozen import freeze
from translate.model import Condition, ListenerStatus, RouteParentStatus

OURS = "application-networking.k8s.aws/gateway-api-controller"
T0, T1 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"


def cond(status="True", reason="Accepted", message="", type_="Accepted"):
    return Condition(type_, status, reason, message)


def test_transition_time_kept_when_status_does_not_flip():
    first = merge_conditions([], [cond()], T0, 3)
    assert first[0]["lastTransitionTime"] == T0
    assert first[0]["observedGeneration"] == 3
    again = merge_conditions(first, [cond(message="new words")], T1, 4)
    assert again[0]["lastTransitionTime"] == T0
    flipped = merge_conditions(first, [cond("False", "Invalid")], T1, 4)
    assert flipped[0]["lastTransitionTime"] == T1


def test_foreign_condition_types_are_kept():
    current = [{"type": "Vendor", "status": "True", "reason": "X", "message": "", "lastTransitionTime": T0}]
    merged = merge_conditions(current, [cond()], T1, 1)
    assert [c["type"] for c in merged] == ["Accepted", "Vendor"]


def test_conditions_status_is_none_when_unchanged():
    written = conditions_status(None, [cond()], T0, 1)
    assert written is not None
    assert conditions_status(written, [cond()], T1, 1) is None
    assert conditions_status(written, [cond()], T1, 2) is not None  # observedGeneration moved


def parent(name="gw", status="True", reason="Accepted"):
    ref = freeze({"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "ns", "name": name})
    return RouteParentStatus(ref, OURS, (cond(status, reason), cond(type_="ResolvedRefs", reason="ResolvedRefs")))


def test_route_status_keeps_other_controllers_entries():
    other = {
        "parentRef": {"name": "theirs", "namespace": "ns"},
        "controllerName": "example.com/other",
        "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                        "lastTransitionTime": T0}],
    }
    new = route_status({"parents": [other]}, [parent()], OURS, "ns", T0, 1)
    assert new["parents"][0] == other
    assert new["parents"][1]["controllerName"] == OURS
    # Written once, a second identical pass writes nothing.
    assert route_status(new, [parent()], OURS, "ns", T1, 1) is None
    # Dropping our parents keeps theirs.
    assert route_status(new, [], OURS, "ns", T1, 1) == {"parents": [other]}


def test_route_status_changes_when_a_condition_flips():
    first = route_status(None, [parent()], OURS, "ns", T0, 1)
    second = route_status(first, [parent(status="False", reason="NotAllowedByListeners")], OURS, "ns", T1, 1)
    accepted = second["parents"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"], accepted["lastTransitionTime"]) == ("False", "NotAllowedByListeners", T1)


def test_gateway_status_listeners_and_attached_routes():
    kinds = (freeze({"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}),)
    lst = ListenerStatus("http", kinds, 2, (cond(),))
    first = gateway_status(None, [cond()], [lst], T0, 1)
    assert first["listeners"][0]["attachedRoutes"] == 2
    assert gateway_status(first, [cond()], [lst], T1, 1) is None
    more = ListenerStatus("http", kinds, 3, (cond(),))
    assert gateway_status(first, [cond()], [more], T1, 1)["listeners"][0]["attachedRoutes"] == 3


def test_gateway_status_addresses():
    kinds = (freeze({"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}),)
    lst = ListenerStatus("http", kinds, 1, (cond(),))
    first = gateway_status(None, [cond()], [lst], T0, 1, ("a.lattice.aws",))
    assert first["addresses"] == [{"type": "Hostname", "value": "a.lattice.aws"}]
    assert gateway_status(first, [cond()], [lst], T1, 1, ("a.lattice.aws",)) is None
    moved = gateway_status(first, [cond()], [lst], T1, 1, ("b.lattice.aws",))
    assert moved["addresses"] == [{"type": "Hostname", "value": "b.lattice.aws"}]
    gone = gateway_status(first, [cond()], [lst], T1, 1, ())
    assert gone is not None and gone["addresses"] is None  # null removes the field in a merge patch
    assert gateway_status({**first, "addresses": None}, [cond()], [lst], T1, 1, ()) is None


def test_gateway_class_status_publishes_supported_features():
    first = conditions_status(None, [cond()], T0, 1, ("Gateway", "HTTPRoute"))
    assert first["supportedFeatures"] == [{"name": "Gateway"}, {"name": "HTTPRoute"}]
    assert conditions_status(first, [cond()], T1, 1, ("Gateway", "HTTPRoute")) is None
    assert conditions_status(first, [cond()], T1, 1, ("Gateway",))["supportedFeatures"] == [{"name": "Gateway"}]
    # Kinds without supportedFeatures leave the field alone.
    assert "supportedFeatures" not in conditions_status(None, [cond()], T0, 1)
