"""Routes: attachment, listeners, rules, priorities, hostnames, tags, annotations."""

from dataclasses import replace

import pytest

from tests.unit.translate.builders import (
    CONFIG,
    backend,
    base,
    endpoints,
    exact,
    gateway,
    gatewayclass,
    listener,
    namespace,
    only_service,
    parent_conditions,
    prefix,
    route,
    rule,
    rules_of,
    run,
    service,
)
from translate.frozen import thaw

A = "application-networking.k8s.aws/"


def paths(result):
    out = []
    for r in rules_of(result):
        m = r.match["httpMatch"]
        out.append((r.priority, next(iter(m["pathMatch"]["match"].values())), m.get("method")))
    return out


def test_basic_route_maps_to_service_listener_rule_tg():
    res = run(base(route("rates", rules=[rule(backend("svc"), matches=[prefix("/parking")])])))
    svc = only_service(res)
    assert svc.name == "rates-default"
    assert svc.service_networks == ("lgw",)
    (lst,) = svc.listeners
    assert (lst.name, lst.port, lst.protocol) == ("rates-default-80-http", 80, "HTTP")
    assert thaw(lst.default_action) == {"fixedResponse": {"statusCode": 404}}
    (r,) = lst.rules
    assert r.priority == 1 and r.name.startswith("k8s-")
    assert thaw(r.action) == {"forward": {"targetGroups": [{"targetGroupIdentifier": res.target_groups[0].name, "weight": 1}]}}
    assert dict(svc.tags) == {A + "ManagedBy": CONFIG.managed_by, A + "RouteName": "rates",
                              A + "RouteNamespace": "default", A + "RouteType": "http"}
    conds = parent_conditions(res, "rates")
    assert conds["Accepted"].status == "True" and conds["ResolvedRefs"].status == "True"
    assert "PartiallyInvalid" not in conds


def test_multiple_matches_become_multiple_rules():
    res = run(base(route(rules=[rule(backend("svc"), matches=[prefix("/a"), prefix("/bb"), exact("/c")])])))
    assert paths(res) == [(1, "/c", None), (2, "/bb", None), (3, "/a", None)]
    assert len({r.name for r in rules_of(res)}) == 3
    assert parent_conditions(res)["Accepted"].status == "True"


def test_priorities_follow_gateway_api_precedence_not_list_order():
    rules = [
        rule(backend("svc"), matches=[prefix("/")]),
        rule(backend("svc"), matches=[prefix("/api")]),
        rule(backend("svc"), matches=[prefix("/api/v2")]),
        rule(backend("svc"), matches=[exact("/api")]),
        rule(backend("svc"), matches=[prefix("/api", method="GET")]),
        rule(backend("svc"), matches=[prefix("/api", headers=[{"name": "x", "value": "1"}])]),
    ]
    res = run(base(route(rules=rules)))
    got = [(r.route_rule, r.priority) for r in rules_of(res)]
    assert got == [(3, 1), (2, 2), (4, 3), (5, 4), (1, 5), (0, 6)]


def test_priority_annotations_win():
    ann = {A + "rule-0-priority": "1", A + "rule-1-priority": "100", A + "rule-2-priority": "50"}
    rules = [rule(backend("svc"), matches=[prefix(p)]) for p in ("/a", "/b", "/c")]
    res = run(base(route(rules=rules, annotations=ann)))
    assert sorted((r.route_rule, r.priority) for r in rules_of(res)) == [(0, 1), (1, 100), (2, 50)]


def test_route_that_cannot_fit_says_so():
    rules = [rule(backend("svc"), matches=[prefix(f"/p{i}")]) for i in range(101)]
    # priorities 1..100 are the bound here, not the rules-per-listener quota (test_quotas.py)
    res = run(base(route(rules=rules)), replace(CONFIG, rules_per_listener=2000))
    assert len(rules_of(res)) == 100
    assert len({r.priority for r in rules_of(res)}) == 100
    pi = parent_conditions(res)["PartiallyInvalid"]
    assert pi.status == "True" and "more than 100" in pi.message


@pytest.mark.parametrize(
    "bad_rule,fragment",
    [
        (rule(backend("svc"), matches=[{"path": {"type": "RegularExpression", "value": "/x.*"}}]), "RegularExpression"),
        (rule(backend("svc"), matches=[prefix("/q", queryParams=[{"name": "a", "value": "b"}])]), "queryParams"),
        (rule(backend("svc"), matches=[prefix("/h", headers=[{"name": f"h{i}", "value": "v"} for i in range(6)])]), "at most 5"),
        (rule(backend("svc"), matches=[prefix("/f")], filters=[{"type": "RequestHeaderModifier", "requestHeaderModifier": {}}]), "RequestHeaderModifier"),
        (rule(backend("svc"), matches=[prefix("/r")], filters=[{"type": "RequestRedirect", "requestRedirect": {"statusCode": 301}}]), "RequestRedirect"),
        (rule(backend("svc"), matches=[prefix("/u")], filters=[{"type": "URLRewrite", "urlRewrite": {}}]), "URLRewrite"),
        (rule(backend("svc"), matches=[prefix("/t")], timeouts={"request": "1s"}), "timeouts"),
        (rule(backend("svc"), matches=[prefix("/t")], retry={"attempts": 2}), "retry"),
        (rule(backend("svc"), matches=[prefix("/s")], sessionPersistence={"sessionName": "x"}), "sessionPersistence"),
        (rule(backend("svc", filters=[{"type": "RequestHeaderModifier"}]), matches=[prefix("/bf")]), "backendRef filters"),
    ],
)
def test_unsupported_parts_reject_only_that_rule(bad_rule, fragment):
    good = rule(backend("svc"), matches=[prefix("/good")])
    res = run(base(route(rules=[good, bad_rule])))
    conds = parent_conditions(res)
    assert conds["Accepted"].status == "True"
    pi = conds["PartiallyInvalid"]
    assert pi.status == "True" and pi.reason == "UnsupportedValue"
    assert pi.message.startswith("Dropped Rule") and "rule 1" in pi.message and fragment in pi.message
    assert [p for _, p, _ in paths(res)] == ["/good"]
    # the same rule alone: nothing can be programmed → not accepted, no service
    alone = run(base(route(rules=[bad_rule])))
    conds = parent_conditions(alone)
    assert conds["Accepted"].status == "False" and conds["Accepted"].reason == "UnsupportedValue"
    assert fragment in conds["Accepted"].message
    assert alone.services == ()


def test_no_matches_is_prefix_slash_and_grpc_is_post():
    res = run(base(route(rules=[rule(backend("svc"))])))
    assert paths(res) == [(1, "/", None)]
    objs = [gatewayclass(), gateway(listeners=[listener("https", "HTTPS", 443)]), service(), endpoints()]
    g = run(objs + [route(kind="GRPCRoute", rules=[{"backendRefs": [backend("svc")]},
                                                   {"matches": [{"method": {"service": "pkg.S", "method": "M"},
                                                                 "headers": [{"name": "x", "value": "1"}]}],
                                                    "backendRefs": [backend("svc")]}])])
    got = [(r.priority, thaw(r.match)["httpMatch"]) for r in rules_of(g)]
    assert got[0][1]["pathMatch"]["match"] == {"exact": "/pkg.S/M"} and got[0][1]["method"] == "POST"
    assert got[0][1]["headerMatches"][0]["name"] == "x"
    assert got[1][1]["pathMatch"]["match"] == {"prefix": "/"}
    assert only_service(g).tags[A + "RouteType"] == "grpc"


def test_duplicate_matches_keep_the_first():
    res = run(base(service("b"), route(rules=[rule(backend("svc"), matches=[prefix("/a")]),
                                              rule(backend("b"), matches=[prefix("/a")])])))
    (r,) = rules_of(res)
    assert r.route_rule == 0


def test_hostname_custom_domain_and_change():
    a = run(base(route(hostnames=["a.example.com", "b.example.com"])))
    b = run(base(route(hostnames=["c.example.com"])))
    sa, sb = only_service(a), only_service(b)
    assert sa.custom_domain_name == "a.example.com" and sb.custom_domain_name == "c.example.com"
    assert sa.name == sb.name and sa.fingerprint != sb.fingerprint
    ev = a.outcome("HTTPRoute", "default", "r").events
    assert any(e.reason == "HostnamesNotProgrammed" and "b.example.com" in e.message for e in ev)
    assert only_service(run(base(route()))).custom_domain_name is None


def test_custom_domain_change_is_make_before_break():
    # customDomainName is create-only and a TG can serve one service: the replacement service gets a
    # deterministic second name and its own TGs, so both can exist while traffic moves.
    from translate import naming

    a = run(base(route(hostnames=["a.example.com"])))
    b = run(base(route(hostnames=["c.example.com"])))
    sa, sb = only_service(a), only_service(b)
    assert sa.replacement_name != sb.replacement_name
    assert sb.replacement_name not in (sa.name, sb.name)
    assert naming.is_valid("service", sb.replacement_name)
    assert {t.name for t in a.target_groups}.isdisjoint({t.name for t in b.target_groups})
    # unchanged domain: unchanged TGs
    assert [t.name for t in run(base(route(hostnames=["a.example.com"]))).target_groups] == [t.name for t in a.target_groups]


def test_https_listener_certificate_and_two_listeners():
    cert = "arn:aws:acm:us-west-2:111122223333:certificate/abc"
    gw = gateway(listeners=[listener("http", "HTTP", 80),
                            listener("https", "HTTPS", 443, tls={"mode": "Terminate", "options": {A + "certificate-arn": cert}})])
    res = run([gatewayclass(), gw, service(), endpoints(), route(hostnames=["a.example.com"])])
    svc = only_service(res)
    assert [(lst.port, lst.protocol) for lst in svc.listeners] == [(80, "HTTP"), (443, "HTTPS")]
    assert svc.certificate_arn == cert
    assert [lst.name for lst in svc.listeners] == ["r-default-80-http", "r-default-443-https"]
    assert svc.listeners[0].rules == svc.listeners[1].rules
    gw_out = res.outcome("Gateway", "default", "lgw")
    assert {ls.name: ls.attached_routes for ls in gw_out.listeners} == {"http": 1, "https": 1}


def test_tls_passthrough():
    gw = gateway(listeners=[listener("tls", "TLS", 443, tls={"mode": "Passthrough"})])
    res = run([gatewayclass(), gw, service(), endpoints(),
               route(kind="TLSRoute", hostnames=["db.example.com"], rules=[{"backendRefs": [backend("svc")]}])])
    (lst,) = only_service(res).listeners
    assert lst.protocol == "TLS_PASSTHROUGH" and lst.rules == ()
    assert "forward" in lst.default_action
    assert only_service(res).custom_domain_name == "db.example.com"
    no_host = run([gatewayclass(), gw, service(), endpoints(), route(kind="TLSRoute", rules=[{"backendRefs": [backend("svc")]}])])
    assert parent_conditions(no_host, kind="TLSRoute")["Accepted"].status == "False"


def test_user_tags_everywhere_and_reserved_keys_dropped():
    ann = {A + "tags": "team=a,aws:no=1," + A + "ManagedBy=evil"}
    res = run(base(route(annotations=ann)))
    svc = only_service(res)
    for tagged in (svc, svc.listeners[0], svc.listeners[0].rules[0], svc.associations[0], res.target_groups[0]):
        assert tagged.tags["team"] == "a" and tagged.tags[A + "ManagedBy"] == CONFIG.managed_by
        assert "aws:no" not in tagged.tags
    events = res.outcome("HTTPRoute", "default", "r").events
    assert sum(e.reason == "InvalidTags" for e in events) == 2


@pytest.mark.parametrize(
    "route_ann,gw_ann,associated",
    [
        ({}, {}, True),
        ({A + "standalone": "true"}, {}, False),
        ({}, {A + "standalone": "true"}, False),
        ({A + "standalone": "false"}, {A + "standalone": "true"}, True),  # the route beats the Gateway
        ({A + "standalone": "yes"}, {}, True),  # anything but "true" is false
    ],
)
def test_standalone(route_ann, gw_ann, associated):
    res = run([gatewayclass(), gateway(annotations=gw_ann), service(), endpoints(), route(annotations=route_ann)])
    assert bool(only_service(res).associations) is associated


@pytest.mark.parametrize("override,ok", [("my-custom-svc", True), ("svc-bad", False), ("Bad_Name", False), ("a--b", False), ("ab", False)])
def test_service_name_override(override, ok):
    res = run(base(route(annotations={A + "service-name-override": override})))
    if ok:
        assert only_service(res).name == override
    else:
        assert res.services == ()
        assert parent_conditions(res)["Accepted"].reason == "UnsupportedValue"


def test_takeover_annotation_is_carried_when_the_operator_allows_that_owner():
    theirs = "999/other/vpc-1"
    wants = route(annotations={A + "allow-takeover-from": theirs})
    # a Gateway that allows it (its operator's annotation)...
    objs = base(wants)
    gw = next(o for o in objs if o["kind"] == "Gateway")
    gw["metadata"]["annotations"] = {"latticegw.io/allow-takeover-from": f"111/x/vpc-2, {theirs}"}
    assert only_service(run(objs)).allow_takeover_from == theirs
    gw["metadata"]["annotations"] = {"latticegw.io/allow-takeover-from": "*"}
    assert only_service(run(objs)).allow_takeover_from == theirs
    # ... or the controller-wide setting
    cfg = replace(CONFIG, allowed_takeover_from=frozenset({theirs}))
    assert only_service(run(base(wants), cfg)).allow_takeover_from == theirs


def test_a_route_author_alone_cannot_take_over_another_owners_service():
    """The annotation is the route author's; which previous owners may be taken over is the cluster
    operator's decision. Without it the route is programmed as usual (a foreign service of that name
    stays a conflict) and a Warning says what the operator must allow."""
    res = run(base(route(annotations={A + "allow-takeover-from": "999/other/vpc-1"})))
    assert only_service(res).allow_takeover_from is None
    (ev,) = [e for e in res.outcome("HTTPRoute", "default", "r").events if e.reason == "TakeoverNotAllowed"]
    assert "999/other/vpc-1" in ev.message and "latticegw.io/allow-takeover-from" in ev.message
    objs = base(route(annotations={A + "allow-takeover-from": "999/other/vpc-1"}))
    gw = next(o for o in objs if o["kind"] == "Gateway")
    gw["metadata"]["annotations"] = {"latticegw.io/allow-takeover-from": "111/someone/vpc-2"}
    assert only_service(run(objs)).allow_takeover_from is None


def test_service_name_collision_oldest_wins():
    # route "a-b" in namespace "c" and route "a" in namespace "b-c" share the reference name "a-b-c"
    objs = [gatewayclass(), gateway(ns="c", listeners=[listener(allowedRoutes={"namespaces": {"from": "All"}})]),
            namespace("c"), namespace("b-c"),
            route("a-b", ns="c", parents=[{"name": "lgw", "namespace": "c"}], rules=[rule()], created="2026-01-02T00:00:00Z"),
            route("a", ns="b-c", parents=[{"name": "lgw", "namespace": "c"}], rules=[rule()], created="2026-01-01T00:00:00Z")]
    res = run(objs)
    assert [s.source.name for s in res.services] == ["a"]
    conds = parent_conditions(res, "a-b", "c")
    assert conds["Accepted"].status == "False" and conds["Accepted"].reason == "Conflicted"
    assert res.outcome("Gateway", "c", "lgw").listeners[0].attached_routes == 1


def test_multiple_gateways_one_service_two_associations():
    objs = [gatewayclass(), gateway("lgw1"), gateway("lgw2"), service(), endpoints(),
            route(parents=[{"name": "lgw1"}, {"name": "lgw2"}])]
    res = run(objs)
    svc = only_service(res)
    assert svc.service_networks == ("lgw1", "lgw2")
    assert len(res.outcome("HTTPRoute", "default", "r").parents) == 2
    assert [sn.name for sn in res.service_networks] == ["lgw1", "lgw2"]


def test_parent_of_another_class_is_not_ours():
    objs = [gatewayclass(), gatewayclass("other", controller="example.com/other"), gateway("lgw2", cls="other"),
            service(), endpoints(), route(parents=[{"name": "lgw2"}])]
    res = run(objs)
    assert res.outcome("HTTPRoute", "default", "r") is None and res.services == ()
    assert res.outcome("GatewayClass", "", "other") is None


def test_rule_names_stable_when_rules_reorder():
    r1, r2 = rule(backend("svc"), matches=[prefix("/a")]), rule(backend("svc"), matches=[prefix("/b")])
    a = {r.name for r in rules_of(run(base(route(rules=[r1, r2]))))}
    b = {r.name for r in rules_of(run(base(route(rules=[r2, r1]))))}
    assert a == b
