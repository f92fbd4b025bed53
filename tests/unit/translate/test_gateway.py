"""GatewayClass, Gateway, listeners, allowedRoutes and service networks."""

from dataclasses import replace

import pytest

from tests.unit.translate.builders import (
    CONFIG,
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

A = "application-networking.k8s.aws/"


def conds(result, kind, ns, name):
    return {c.type: c for c in result.outcome(kind, ns, name).conditions}


def lconds(result, name="lgw", ns="default", index=0):
    return {c.type: c for c in result.outcome("Gateway", ns, name).listeners[index].conditions}


def test_gatewayclass():
    res = run([gatewayclass(), gatewayclass("x", controller="example.com/x"),
               gatewayclass("p", parametersRef={"group": "", "kind": "ConfigMap", "name": "c"})])
    assert conds(res, "GatewayClass", "", "amazon-vpc-lattice")["Accepted"].reason == "Accepted"
    features = res.outcome("GatewayClass", "", "amazon-vpc-lattice").supported_features
    assert "HTTPRoute" in features and "ReferenceGrant" in features and list(features) == sorted(features)
    assert res.outcome("GatewayClass", "", "x") is None
    assert conds(res, "GatewayClass", "", "p")["Accepted"].reason == "InvalidParameters"
    custom = run([gatewayclass(controller="example.com/mine")], replace(CONFIG, controller_name="example.com/mine"))
    assert conds(custom, "GatewayClass", "", "amazon-vpc-lattice")["Accepted"].status == "True"


def test_gateway_accepted_and_programmed_pending():
    res = run([gatewayclass(), gateway("main")])
    c = conds(res, "Gateway", "default", "main")
    assert c["Accepted"].status == "True"
    assert (c["Programmed"].status, c["Programmed"].reason) == ("False", "Pending")
    (sn,) = res.service_networks
    assert sn.name == "main" and not sn.managed and sn.sources[0].kind == "Gateway"


@pytest.mark.parametrize("name", ["gw", "my.gateway", "x" * 64])
def test_gateway_name_that_cannot_be_a_service_network(name):
    res = run([gatewayclass(), gateway(name)])
    c = conds(res, "Gateway", "default", name)
    assert c["Accepted"].status == "True"
    assert (c["Programmed"].status, c["Programmed"].reason) == ("False", "Invalid")
    assert res.service_networks == ()


@pytest.mark.parametrize(
    "lst,accepted_reason,programmed",
    [
        (listener("tcp", "TCP", 9000), "UnsupportedProtocol", False),
        (listener("udp", "UDP", 53), "UnsupportedProtocol", False),
        (listener("tls", "TLS", 443, tls={"mode": "Terminate"}), "UnsupportedValue", False),
        (listener("https", "HTTPS", 443, tls={"mode": "Passthrough"}), "UnsupportedValue", False),
        (listener("sctp", "SCTP", 9000, tls={"mode": "Passthrough"}), "UnsupportedProtocol", False),
        (listener("tls", "TLS", 443, tls={"mode": "Passthrough"}), "Accepted", True),
        (listener("https", "HTTPS", 443), "Accepted", True),
    ],
)
def test_listener_protocols(lst, accepted_reason, programmed):
    res = run([gatewayclass(), gateway(listeners=[listener(), lst])])
    lc = lconds(res, index=1)
    assert lc["Accepted"].reason == accepted_reason
    assert (lc["Programmed"].status == "True") is programmed
    gw = conds(res, "Gateway", "default", "lgw")["Accepted"]
    assert gw.status == "True" and gw.reason == ("Accepted" if programmed else "ListenersNotValid")


def test_gateway_without_valid_listener_is_not_accepted():
    res = run([gatewayclass(), gateway(listeners=[listener("tcp", "TCP", 9000)])])
    assert conds(res, "Gateway", "default", "lgw")["Accepted"].reason == "ListenersNotValid"  # Gateway API; was "Invalid" (issue 10, item 6)
    assert res.service_networks == ()


def test_gateway_invalid_parameters_ref():
    gw = gateway(infrastructure={"parametersRef": {"group": "", "kind": "ConfigMap", "name": "x"}})
    res = run([gatewayclass(), gw, service(), endpoints(), route()])
    assert conds(res, "Gateway", "default", "lgw")["Accepted"].reason == "InvalidParameters"
    # routes cannot attach to a Gateway that is not accepted
    assert parent_conditions(res)["Accepted"].reason == "NotAllowedByListeners"
    assert res.services == () and res.service_networks == ()


def test_protocol_conflict_on_one_port():
    res = run(base(route()) [:1] + [gateway(listeners=[listener("a", "HTTP", 80), listener("b", "HTTPS", 80)]), service(), endpoints(), route()])
    for i in (0, 1):
        lc = lconds(res, index=i)
        assert lc["Conflicted"].status == "True" and lc["Conflicted"].reason == "ProtocolConflict"
    assert res.services == ()


def test_invalid_route_kinds():
    lst = listener(allowedRoutes={"kinds": [{"kind": "HTTPRoute"}, {"kind": "TCPRoute"}]})
    res = run([gatewayclass(), gateway(listeners=[lst])])
    out = res.outcome("Gateway", "default", "lgw").listeners[0]
    assert [k["kind"] for k in out.supported_kinds] == ["HTTPRoute"]
    rc = {c.type: c for c in out.conditions}["ResolvedRefs"]
    assert rc.reason == "InvalidRouteKinds" and "TCPRoute" in rc.message


@pytest.mark.parametrize(
    "kinds,route_kind,ok",
    [
        (None, "HTTPRoute", True),
        ([{"kind": "GRPCRoute"}], "HTTPRoute", False),  # HTTPS allowing only GRPCRoute rejects HTTPRoute
        ([{"kind": "GRPCRoute"}], "GRPCRoute", True),
    ],
)
def test_allowed_kinds(kinds, route_kind, ok):
    allowed = {"kinds": kinds} if kinds else {}
    gw = gateway(listeners=[listener("https", "HTTPS", 443, allowedRoutes=allowed)])
    res = run([gatewayclass(), gw, service(), endpoints(), route(kind=route_kind, rules=[{"backendRefs": [backend("svc")]}])])
    c = parent_conditions(res, kind=route_kind)["Accepted"]
    assert (c.status == "True") is ok
    if not ok:
        assert c.reason == "NotAllowedByListeners"


def test_tls_route_rejected_by_http_listener():
    res = run(base(route(kind="TLSRoute", hostnames=["a.b.c"], rules=[{"backendRefs": [backend("svc")]}])))
    assert parent_conditions(res, kind="TLSRoute")["Accepted"].reason == "NotAllowedByListeners"


@pytest.mark.parametrize(
    "frm,selector,route_ns,labels,ok",
    [
        ("Same", None, "default", {}, True),
        ("Same", None, "other", {}, False),
        ("All", None, "other", {}, True),
        ("Selector", {"matchLabels": {"team": "a"}}, "other", {"team": "a"}, True),
        ("Selector", {"matchLabels": {"team": "a"}}, "other", {"team": "b"}, False),
        ("Selector", {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]}, "other", {"team": "b"}, True),
        ("Selector", {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}, "other", {"team": "b"}, False),
    ],
)
def test_allowed_namespaces(frm, selector, route_ns, labels, ok):
    ns_spec = {"from": frm}
    if selector:
        ns_spec["selector"] = selector
    gw = gateway(listeners=[listener(allowedRoutes={"namespaces": ns_spec})])
    objs = [gatewayclass(), gw, namespace("default"), namespace(route_ns, labels), service(ns=route_ns), endpoints(ns=route_ns),
            route(ns=route_ns, parents=[{"name": "lgw", "namespace": "default"}])]
    res = run(objs)
    c = parent_conditions(res, ns=route_ns)["Accepted"]
    assert (c.status == "True") is ok
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == (1 if ok else 0)
    if not ok:
        assert c.reason == "NotAllowedByListeners"


def test_attached_routes_counts_only_accepted():
    res = run(base(route("a"), route("b", parents=[{"name": "lgw", "sectionName": "nope"}]), route("c", rules=[rule(backend("svc"), filters=[{"type": "RequestMirror"}])])))
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == 1
    assert parent_conditions(res, "b")["Accepted"].reason == "NoMatchingParent"


def test_same_named_gateways_share_one_service_network():
    objs = [gatewayclass(), gateway("shared", ns="a"), gateway("shared", ns="b")]
    (sn,) = run(objs).service_networks
    assert sn.name == "shared" and [s.namespace for s in sn.sources] == ["a", "b"]


def test_default_service_network_and_override():
    cfg = replace(CONFIG, default_service_network="default-sn", service_network_override=True)
    res = run(base(route()), cfg)
    (sn,) = res.service_networks
    assert sn.name == "default-sn" and sn.managed and sn.vpc_association is not None
    assert sn.vpc_association.security_group_ids == ()
    assert res.services[0].service_networks == ("default-sn",)
    no_override = run(base(route()), replace(CONFIG, default_service_network="default-sn"))
    assert [s.name for s in no_override.service_networks] == ["default-sn", "lgw"]


def test_service_network_custom_resource():
    sn = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork", "metadata": {"name": "main", "generation": 2}}
    res = run([gatewayclass(), gateway("main"), sn])
    (model,) = res.service_networks
    assert model.managed and dict(model.tags) == {A + "ManagedBy": CONFIG.managed_by}
    assert {s.kind for s in model.sources} == {"Gateway", "ServiceNetwork"}
    assert conds(res, "ServiceNetwork", "", "main")["Accepted"].observed_generation == 2


def test_observed_generation_everywhere():
    objs = base(route(generation=7))
    objs[1]["metadata"]["generation"] = 4
    objs[0]["metadata"]["generation"] = 3
    res = run(objs)
    assert all(c.observed_generation == 3 for c in res.outcome("GatewayClass", "", "amazon-vpc-lattice").conditions)
    gw = res.outcome("Gateway", "default", "lgw")
    assert all(c.observed_generation == 4 for c in gw.conditions + gw.listeners[0].conditions)
    assert all(c.observed_generation == 7 for c in res.outcome("HTTPRoute", "default", "r").parents[0].conditions)


def test_modify_listeners_changes_model():
    a = run(base(route()))
    objs = base(route())
    objs[1]["spec"]["listeners"].append(listener("http2", "HTTP", 8080))
    b = run(objs)
    assert [lst.port for lst in b.services[0].listeners] == [80, 8080]
    assert a.services[0].fingerprint != b.services[0].fingerprint


@pytest.mark.parametrize("listeners", [
    [listener("tcp", "TCP", 9000)],
    [listener("tcp", "TCP", 9000), listener("udp", "UDP", 53)],
])
def test_a_gateway_without_a_valid_listener_is_not_accepted_with_listeners_not_valid(listeners):
    res = run([gatewayclass(), gateway(listeners=listeners)])
    c = conds(res, "Gateway", "default", "lgw")
    assert (c["Accepted"].status, c["Accepted"].reason) == ("False", "ListenersNotValid")
    assert (c["Programmed"].status, c["Programmed"].reason) == ("False", "Invalid")


@pytest.mark.parametrize("ref", [
    {"kind": "Secret", "name": "missing"},
    {"group": "wrong.group.company.io", "kind": "Secret", "name": "missing"},
    {"kind": "Secret", "name": "elsewhere", "namespace": "certs"},
])
def test_a_listener_without_its_certificate_leaves_the_gateway_accepted_and_routes_attached(ref):
    """Gateway API: a listener whose certificateRef does not resolve is Accepted=True with
    ResolvedRefs=False (InvalidCertificateRef or RefNotPermitted) and Programmed=False; it is a valid
    listener, so the Gateway stays Accepted and routes still attach to it and are counted
    (conformance: GatewayWithAttachedRoutes). Lattice gets no HTTPS listener for it."""
    lst = listener("https", "HTTPS", 443, tls={"certificateRefs": [ref]})
    res = run([gatewayclass(), gateway(listeners=[lst]), service(), endpoints(), route()])
    c = conds(res, "Gateway", "default", "lgw")
    assert (c["Accepted"].status, c["Accepted"].reason) == ("True", "ListenersNotValid")
    assert "https" in c["Accepted"].message
    assert (c["Programmed"].status, c["Programmed"].reason) == ("False", "Pending")  # waits for its SN as usual
    (out,) = res.outcome("Gateway", "default", "lgw").listeners
    lc = {x.type: x for x in out.conditions}
    reason = "RefNotPermitted" if "namespace" in ref else "InvalidCertificateRef"
    assert (lc["Accepted"].status, lc["ResolvedRefs"].status, lc["ResolvedRefs"].reason) == ("True", "False", reason)
    assert lc["Programmed"].status == "False"
    assert out.attached_routes == 1
    rc = parent_conditions(res)
    assert rc["Accepted"].status == "True" and "no usable certificate" in rc["Accepted"].message
    (svc,) = res.services
    assert svc.listeners == () and svc.certificate is None and svc.certificate_arn is None


def test_grpc_routes_attach_to_http_listeners_too():
    """VPC Lattice listens on HTTP/2 over plain HTTP as well (user guide, Listeners): a GRPCRoute on an
    HTTP listener is programmed as a Lattice HTTP listener with gRPC target groups (issue 10, item 7)."""
    res = run(base(route(kind="GRPCRoute", rules=[{"backendRefs": [backend("svc")]}])))
    c = parent_conditions(res, kind="GRPCRoute")
    assert (c["Accepted"].status, c["ResolvedRefs"].status) == ("True", "True")
    (svc,) = res.services
    assert [(lst.port, lst.protocol) for lst in svc.listeners] == [(80, "HTTP")]
    (tg,) = res.target_groups
    assert tg.config["protocolVersion"] == "GRPC"
    kinds = [k["kind"] for k in res.outcome("Gateway", "default", "lgw").listeners[0].supported_kinds]
    assert kinds == ["HTTPRoute", "GRPCRoute"]

def _dns(name):
    return {A + "lattice-assigned-domain-name": name}


def test_gateway_address_is_the_dns_name_of_its_oldest_attached_route():
    # As the AWS controller does: a Lattice Gateway has no address of its own, so it publishes a
    # service's DNS name (type Hostname). The oldest route wins, so a new route never moves it.
    newer = route("newer", annotations=_dns("newer.lattice.aws"), created="2026-01-02T00:00:00Z")
    older = route("older", annotations=_dns("older.lattice.aws"), created="2026-01-01T00:00:00Z")
    res = run(base(newer, older))
    gw = res.outcome("Gateway", "default", "lgw")
    assert gw.hostnames == ("older.lattice.aws",)
    assert gw.to_dict()["addresses"] == [{"type": "Hostname", "value": "older.lattice.aws"}]


def test_gateway_address_only_from_routes_attached_to_it():
    # Not yet named, rejected by the listener, or attached elsewhere: no address from them.
    unnamed = route("unnamed")
    rejected = route("rejected", hostnames=["x.example.com"], annotations=_dns("rej.lattice.aws"))
    other_gw = route("other", parents=[{"name": "other"}], annotations=_dns("other.lattice.aws"))
    gw = gateway("lgw", listeners=[listener(hostname="y.example.com")])
    res = run([gatewayclass(), gw, gateway("other"), service(), endpoints(), unnamed, rejected, other_gw])
    assert parent_conditions(res, "rejected")["Accepted"].status == "False"
    assert res.outcome("Gateway", "default", "lgw").hostnames == ()
    assert "addresses" not in res.outcome("Gateway", "default", "lgw").to_dict()
    assert res.outcome("Gateway", "default", "other").hostnames == ("other.lattice.aws",)
