"""Bad routes do not look healthy (issue 12, item 2): contested hostnames, ExternalName backends and
EndpointSlices whose port names do not match the Service each give a reason, a Warning Event
(the controller's route_events turns the outcome into Events as `kubectl describe` shows them),
and no Lattice resource that would silently serve nothing or steal another route's hostname."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.reconcilers import route_events
from lattice.sync import SyncResult
from tests.unit.translate.builders import (
    backend,
    base,
    endpoints,
    gateway,
    gatewayclass,
    listener,
    namespace,
    parent_conditions,
    route,
    rule,
    run,
    service,
)
from translate import claims
from translate.frozen import thaw
from translate.model import Source

OLD, NEW = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"


def warnings(result, name: str, ns: str = "default") -> list[tuple[str, str]]:
    """The Warning Events the route reconciler records for this route's outcome (status changed)."""
    outcome = result.outcome("HTTPRoute", ns, name)
    route_obj = {"kind": "HTTPRoute", "metadata": {"namespace": ns, "name": name, "generation": 1}}
    events = route_events.decide(route_obj, outcome, SyncResult(Source("HTTPRoute", ns, name)), status_changed=True)
    return [(e.reason, e.message) for e in events if e.type == "Warning"]


# --------------------------------------------------------------------------- hostname conflicts


def test_two_routes_with_one_hostname_the_later_is_conflicted_and_gets_no_service():
    res = run(base(route("first", hostnames=["api.example.com"], created=OLD),
                   route("second", hostnames=["api.example.com"], created=NEW)))
    assert [(s.name, s.custom_domain_name) for s in res.services] == [("first-default", "api.example.com")]
    won, lost = parent_conditions(res, "first"), parent_conditions(res, "second")
    assert (won["Accepted"].status, won["Accepted"].reason) == ("True", "Accepted")
    assert (lost["Accepted"].status, lost["Accepted"].reason) == ("False", "Conflicted")
    assert "api.example.com" in lost["Accepted"].message and "HTTPRoute/default/first" in lost["Accepted"].message
    assert lost["ResolvedRefs"].status == "True"  # its references are fine; it lost the hostname
    assert not [t for t in res.target_groups if t.source.name == "second"]
    (gw_listener,) = res.outcome("Gateway", "default", "lgw").listeners
    assert gw_listener.attached_routes == 1
    # the Warning says who holds the hostname; the winner hears nothing
    assert [r for r, _ in warnings(res, "second")] == ["Conflicted"]
    assert "HTTPRoute/default/first" in warnings(res, "second")[0][1]
    assert warnings(res, "first") == []


def test_on_equal_timestamps_namespace_slash_name_decides_as_the_spec_says():
    """'{namespace}/{name}' text order, not (namespace, name): 'a-b/x' < 'a/x' because '-' < '/'."""
    gw = [{"name": "lgw", "namespace": "default"}]
    objs = base(namespace("a"), namespace("a-b"),
                route("x", ns="a", hostnames=["h.example.com"], created=OLD, parents=gw),
                route("x", ns="a-b", hostnames=["h.example.com"], created=OLD, parents=gw))
    objs[1] = gateway(listeners=[listener(allowedRoutes={"namespaces": {"from": "All"}})])
    objs[2:4] = [service(ns="a"), service(ns="a-b"), endpoints(ns="a"), endpoints(ns="a-b")]
    res = run(objs)
    assert [s.source.namespace for s in res.services] == ["a-b"]
    assert parent_conditions(res, "x", ns="a")["Accepted"].reason == "Conflicted"


def test_routes_with_different_hostnames_and_wildcards_do_not_conflict():
    res = run(base(route("a", hostnames=["a.example.com"]), route("b", hostnames=["b.example.com"]),
                   route("w1", hostnames=["*.example.com"]), route("w2", hostnames=["*.example.com"])))
    assert len(res.services) == 4
    assert all(parent_conditions(res, n)["Accepted"].status == "True" for n in ("a", "b", "w1", "w2"))


def test_a_hostname_inherited_from_the_listener_loses_to_an_explicit_claim_without_a_conflict():
    """Lead's decision (issue 10): an inherited custom domain is not a contested claim; an explicit
    one beats it, whatever their ages. Both routes are accepted and programmed (tests in
    test_inherited_hostnames.py)."""
    gw = gateway(listeners=[listener(hostname="shop.example.com")])
    res = run([gatewayclass(), gw, service(), endpoints(), route("old", created=OLD),
               route("new", hostnames=["shop.example.com"], created=NEW)])
    assert [(s.name, s.custom_domain_name) for s in res.services] == [("new-default", "shop.example.com"),
                                                                      ("old-default", None)]
    assert parent_conditions(res, "new")["Accepted"].reason == "Accepted"
    assert parent_conditions(res, "old")["Accepted"].reason == "Accepted"


def test_the_service_name_rule_is_the_same_rule_and_says_so_in_an_event():
    override = {"application-networking.k8s.aws/service-name-override": "shared-name"}
    res = run(base(route("a", annotations=override, created=NEW), route("b", annotations=override, created=OLD)))
    assert [s.source.name for s in res.services] == ["b"]
    assert parent_conditions(res, "a")["Accepted"].reason == "Conflicted"
    assert [r for r, _ in warnings(res, "a")] == ["Conflicted"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([OLD, NEW]), st.sampled_from(["h1.example.com", "h2.example.com"])),
                min_size=2, max_size=5), st.randoms(use_true_random=False))
def test_each_hostname_has_exactly_one_holder_the_first_by_precedence(specs, rnd):
    routes = [route(f"r{i}", hostnames=[h], created=c) for i, (c, h) in enumerate(specs)]
    objs = base(*routes)
    rnd.shuffle(objs)
    res = run(objs)
    for host in {h for _, h in specs}:
        claimants = sorted((r for r in routes if r["spec"]["hostnames"] == [host]), key=claims.precedence)
        holders = [s.source.name for s in res.services if s.custom_domain_name == host]
        assert holders == [claimants[0]["metadata"]["name"]]
        for loser in claimants[1:]:
            assert parent_conditions(res, loser["metadata"]["name"])["Accepted"].reason == "Conflicted"


# --------------------------------------------------------------------------- ExternalName backends


def test_external_name_backend_is_resolved_refs_false_and_gets_no_target_group():
    ext = service("ext")
    ext["spec"] = {"type": "ExternalName", "externalName": "api.partner.example", "ports": [{"name": "http", "port": 80}]}
    res = run(base(ext, route("r", rules=[rule(backend("ext"))])))
    conds = parent_conditions(res)
    assert conds["Accepted"].status == "True"
    assert (conds["ResolvedRefs"].status, conds["ResolvedRefs"].reason) == ("False", "UnsupportedValue")
    assert "ExternalName" in conds["ResolvedRefs"].message and "default/ext" in conds["ResolvedRefs"].message
    assert res.target_groups == ()
    (rule_obj,) = res.services[0].listeners[0].rules
    assert thaw(rule_obj.action) == {"fixedResponse": {"statusCode": 500}}
    assert [r for r, _ in warnings(res, "r")] == ["UnsupportedValue"]


# --------------------------------------------------------------------------- port names


def test_endpoint_slice_port_names_that_do_not_match_the_service_port_give_a_reason():
    res = run(base(route("r", rules=[rule(backend("svc"))]))[:3] + [endpoints(port_name="web"),
                                                                     route("r", rules=[rule(backend("svc"))])])
    conds = parent_conditions(res)
    assert (conds["ResolvedRefs"].status, conds["ResolvedRefs"].reason) == ("False", "BackendNotFound")
    assert "'http'" in conds["ResolvedRefs"].message and "'web'" in conds["ResolvedRefs"].message
    assert res.target_groups == ()
    assert [r for r, _ in warnings(res, "r")] == ["BackendNotFound"]


@pytest.mark.parametrize("slices", [[], [{"ports": None}], [{"ports": [], "endpoints": []}]])
def test_a_service_without_endpoints_yet_is_not_a_mistake(slices):
    """No ready pods (no slice, or the controller's placeholder slice without ports): 0 targets, all True."""
    objs = [gatewayclass(), gateway(), service()]
    for s in slices:
        eps = endpoints(ips=())
        eps.update(s)
        objs.append(eps)
    res = run(objs + [route("r")])
    conds = parent_conditions(res)
    assert conds["ResolvedRefs"].status == "True"
    assert [len(t.targets) for t in res.target_groups] == [0]


def test_matching_port_names_keep_their_targets():
    res = run(base(route("r")))
    assert parent_conditions(res)["ResolvedRefs"].status == "True"
    assert [len(t.targets) for t in res.target_groups] == [2]


def test_shuffled_input_gives_the_same_claims():
    objs = base(route("a", hostnames=["x.example.com"], created=NEW), route("b", hostnames=["x.example.com"], created=NEW),
                route("c", hostnames=["x.example.com"], created=OLD))
    expected = run(objs).to_dict()
    for seed in range(5):
        shuffled = list(objs)
        random.Random(seed).shuffle(shuffled)
        assert run(shuffled).to_dict() == expected
