"""A custom domain a route only inherits from a listener hostname is not a contested claim (issue 10).

Lead's decision: routes that name no hostname of their own (or a wildcard the listener hostname
narrows) and attach to a listener with hostname H would all take H as their Lattice custom domain.
They are all Accepted (Gateway API: GatewayWithAttachedRoutes counts both); the oldest by
claims.precedence gets H, the others are programmed under their own Lattice DNS name, with a
HostnamesNotProgrammed Warning naming the holder. An explicit claim of H beats every inherited one;
explicit claims among themselves keep the Conflicted rule.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from controller.reconcilers import route_events
from lattice.plan import Desired, plan
from lattice.sync import SyncResult
from tests.unit.lattice.test_plan import observed_from
from tests.unit.translate.builders import (
    endpoints,
    gateway,
    gatewayclass,
    listener,
    parent_conditions,
    route,
    run,
    service,
)
from translate import TranslateConfig, claims
from translate.model import Source

HOST = "foo.example.com"
T1, T2, T3 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"


def world(*routes: dict) -> list[dict]:
    return [gatewayclass(), gateway(listeners=[listener(hostname=HOST)]), service(), endpoints(), *routes]


def svc_of(res, name: str):
    (svc,) = res.services_of(Source("HTTPRoute", "default", name))
    return svc


def warnings(res, name: str) -> list[tuple[str, str]]:
    """The Warning Events the route reconciler records for this outcome when its status changed."""
    outcome = res.outcome("HTTPRoute", "default", name)
    obj = {"kind": "HTTPRoute", "metadata": {"namespace": "default", "name": name, "generation": 1}}
    events = route_events.decide(obj, outcome, SyncResult(Source("HTTPRoute", "default", name)), status_changed=True)
    return [(e.reason, e.message) for e in events if e.type == "Warning"]


def test_two_routes_inheriting_one_listener_hostname_are_both_accepted_and_programmed():
    res = run(world(route("young", created=T2), route("old", created=T1)))
    for name in ("old", "young"):
        c = parent_conditions(res, name)
        assert (c["Accepted"].status, c["Accepted"].reason) == ("True", "Accepted"), name
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == 2
    assert svc_of(res, "old").custom_domain_name == HOST
    young = svc_of(res, "young")
    assert young.custom_domain_name is None and [lst.port for lst in young.listeners] == [80]
    assert young.certificate is None and young.certificate_arn is None
    # the younger says who holds the hostname, in its Accepted message and a Warning; the holder hears nothing
    assert "HTTPRoute/default/old" in parent_conditions(res, "young")["Accepted"].message
    ((reason, message),) = warnings(res, "young")
    assert reason == "HostnamesNotProgrammed" and HOST in message and "HTTPRoute/default/old" in message
    assert warnings(res, "old") == []
    assert parent_conditions(res, "old")["Accepted"].message == ""


def test_on_equal_timestamps_namespace_slash_name_decides_the_holder():
    res = run(world(route("b", created=T1), route("a", created=T1)))
    assert svc_of(res, "a").custom_domain_name == HOST and svc_of(res, "b").custom_domain_name is None


def test_when_the_holder_goes_the_next_route_inherits_the_hostname():
    res = run(world(route("young", created=T2)))
    assert svc_of(res, "young").custom_domain_name == HOST
    assert parent_conditions(res, "young")["Accepted"].message == ""


def test_a_wildcard_narrowed_by_the_listener_hostname_is_inherited_too():
    res = run(world(route("wild", hostnames=["*.example.com"], created=T1), route("plain", created=T2)))
    assert svc_of(res, "wild").custom_domain_name == HOST  # older
    assert parent_conditions(res, "plain")["Accepted"].status == "True"
    assert svc_of(res, "plain").custom_domain_name is None


def test_an_explicit_claim_beats_older_inherited_ones_and_explicit_claims_still_conflict():
    res = run(world(route("inherits", created=T1), route("asks", hostnames=[HOST], created=T2),
                    route("asks-later", hostnames=[HOST], created=T3)))
    assert svc_of(res, "asks").custom_domain_name == HOST
    assert parent_conditions(res, "inherits")["Accepted"].status == "True"
    assert svc_of(res, "inherits").custom_domain_name is None
    assert "HTTPRoute/default/asks" in parent_conditions(res, "inherits")["Accepted"].message
    assert parent_conditions(res, "asks-later")["Accepted"].reason == "Conflicted"
    assert res.services_of(Source("HTTPRoute", "default", "asks-later")) == ()
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == 2


def test_a_route_that_lost_its_service_name_holds_no_inherited_hostname():
    override = {"application-networking.k8s.aws/service-name-override": "shared-name"}
    res = run(world(route("first", annotations=override, created=T1), route("second", annotations=override, created=T2),
                    route("third", created=T3)))
    assert parent_conditions(res, "second")["Accepted"].reason == "Conflicted"
    assert svc_of(res, "first").custom_domain_name == HOST
    assert svc_of(res, "third").custom_domain_name is None


MODES = ("inherit", "explicit", "wildcard")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([T1, T2, T3]), st.sampled_from(MODES)), min_size=1, max_size=6),
       st.randoms(use_true_random=False))
def test_one_holder_per_hostname_explicit_first_and_inherited_routes_never_conflict(specs, rnd):
    hostnames = {"inherit": None, "explicit": [HOST], "wildcard": ["*.example.com"]}
    routes = [route(f"r{i}", hostnames=hostnames[mode], created=created) for i, (created, mode) in enumerate(specs)]
    mode_of = {f"r{i}": mode for i, (_, mode) in enumerate(specs)}
    objs = world(*routes)
    res = run(objs)
    shuffled = list(objs)
    rnd.shuffle(shuffled)
    assert run(shuffled).to_dict() == res.to_dict()  # pure: the order of the input does not matter

    ordered = [r["metadata"]["name"] for r in sorted(routes, key=claims.precedence)]
    explicit = [n for n in ordered if mode_of[n] == "explicit"]
    holder = (explicit or ordered)[0]
    assert [s.source.name for s in res.services if s.custom_domain_name == HOST] == [holder]
    for name in ordered:
        accepted = parent_conditions(res, name)["Accepted"]
        if mode_of[name] == "explicit" and name != holder:
            assert accepted.reason == "Conflicted", name
            assert res.services_of(Source("HTTPRoute", "default", name)) == ()
        else:
            assert accepted.status == "True", name
            if name != holder:
                assert svc_of(res, name).custom_domain_name is None
                assert f"HTTPRoute/default/{holder}" in accepted.message
    conflicted = max(len(explicit) - 1, 0)
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == len(routes) - conflicted


# The Lattice side: translate, then plan against what a converged apply leaves. customDomainName is
# create-only, so a route that gains the inherited hostname has its service replaced make-before-break
# (as for any custom-domain change, lattice/plan.py); once done, nothing more happens: no replace loop.
OWNER_CONFIG = TranslateConfig(cluster_name="cluster", vpc_id="vpc-1", account_id="123456789012", region="us-west-2",
                               default_service_network="sn1", service_network_override=True)


def desired(objs: list[dict], name: str) -> Desired:
    res = run(objs, OWNER_CONFIG)
    src = Source("HTTPRoute", "default", name)
    return Desired(src, res.services_of(src), res.target_groups_of(src))


def test_a_route_gaining_the_inherited_hostname_is_replaced_once_then_nothing_more_happens():
    both = world(route("old", created=T1), route("young", created=T2))
    before = desired(both, "young")
    (svc,) = before.services
    assert svc.custom_domain_name is None
    converged = observed_from(before.services, before.target_groups)
    assert plan(before, converged).operations == ()  # the loser is stable: no replace while the holder lives
    assert plan(desired(both, "young"), converged).operations == ()

    after = desired(world(route("young", created=T2)), "young")  # the holder was deleted
    (new,) = after.services
    assert new.custom_domain_name == HOST and new.name == svc.name
    p = plan(after, converged)
    create = next(op for op in p.operations if op.api == "CreateService")
    assert create.key == ("svc", new.replacement_name) and create.params["customDomainName"] == HOST
    assert not [op for op in p.operations if op.api.startswith("Delete")]  # the old one serves meanwhile

    both_there = observed_from((svc, replace(new, name=new.replacement_name)),
                               before.target_groups + after.target_groups)
    p = plan(after, both_there)
    assert "DeleteService" in [op.api for op in p.operations]
    done = observed_from((replace(new, name=new.replacement_name),), after.target_groups)
    assert plan(after, done).operations == ()
