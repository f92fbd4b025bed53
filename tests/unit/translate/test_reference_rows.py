"""Remaining rows of the AWS controller's feature table (reference-controller.md §2), one test each."""

import pytest

from tests.unit.translate.builders import (
    backend,
    base,
    endpoints,
    gateway,
    gatewayclass,
    listener,
    only_service,
    parent_conditions,
    policy,
    route,
    run,
    service,
)
from translate.frozen import thaw

A = "application-networking.k8s.aws/"


def tls_world(*extra):
    gw = gateway(listeners=[listener("tls", "TLS", 443, tls={"mode": "Passthrough"})])
    return [gatewayclass(), gw, service(), endpoints(), *extra]


def test_tlsroute_needs_exactly_one_rule():
    r = route(kind="TLSRoute", hostnames=["db.example.com"],
              rules=[{"backendRefs": [backend("svc")]}, {"backendRefs": [backend("svc")]}])
    res = run(tls_world(r))
    c = parent_conditions(res, kind="TLSRoute")
    assert c["Accepted"].status == "True" and c["PartiallyInvalid"].status == "True"
    assert "exactly one" in c["PartiallyInvalid"].message
    no_backend = route(kind="TLSRoute", hostnames=["db.example.com"], rules=[{"backendRefs": [backend("missing")]}])
    res = run(tls_world(no_backend))
    # Gateway API: a bad backend is a ResolvedRefs problem; the route is still Accepted (issue 10, item 5)
    c = parent_conditions(res, kind="TLSRoute")
    assert (c["Accepted"].status, c["Accepted"].reason) == ("True", "Accepted")
    assert (c["ResolvedRefs"].status, c["ResolvedRefs"].reason) == ("False", "BackendNotFound")
    assert "PartiallyInvalid" not in c
    # Nothing to forward to: the service keeps its name and DNS, without a listener or target group.
    (svc,) = res.services
    assert svc.listeners == () and res.target_groups == ()
    assert res.outcome("Gateway", "default", "lgw").listeners[0].attached_routes == 1


@pytest.mark.parametrize("ref, reason", [
    (backend("svc", ns="other"), "RefNotPermitted"),
    (backend("svc", kind="ConfigMap", group=""), "InvalidKind"),
])
def test_tlsroute_with_a_bad_backend_is_accepted_with_resolved_refs_false(ref, reason):
    r = route(kind="TLSRoute", hostnames=["db.example.com"], rules=[{"backendRefs": [ref]}])
    c = parent_conditions(run(tls_world(r)), kind="TLSRoute")
    assert (c["Accepted"].status, c["ResolvedRefs"].status, c["ResolvedRefs"].reason) == ("True", "False", reason)


def test_http2_policy_disables_default_health_check():
    tgp = policy("TargetGroupPolicy", "p", "default", "Service", "svc", protocolVersion="HTTP2")
    res = run(base(route(), tgp))
    cfg = thaw(res.target_groups[0].config)
    assert cfg["protocolVersion"] == "HTTP2" and cfg["healthCheck"]["enabled"] is False


def test_policy_on_service_export():
    exp = {"apiVersion": f"{A[:-1]}/v1alpha1", "kind": "ServiceExport",
           "metadata": {"name": "svc", "namespace": "default", "annotations": {A + "federation": "amazon-vpc-lattice"}}}
    tgp = policy("TargetGroupPolicy", "p", "default", "ServiceExport", "svc", target_group=A[:-1],
                 healthCheck={"path": "/exported"})
    (tg,) = run(base(exp, tgp)).target_groups
    assert tg.config["healthCheck"]["path"] == "/exported"


def test_service_export_port_annotation():
    svc = service(ports=[{"name": "http", "port": 80}, {"name": "admin", "port": 9000}])
    eps = [endpoints(port=8080, port_name="http"), endpoints(port=9090, port_name="admin", name="svc-admin")]
    exp = {"apiVersion": f"{A[:-1]}/v1alpha1", "kind": "ServiceExport",
           "metadata": {"name": "svc", "namespace": "default",
                        "annotations": {A + "federation": "amazon-vpc-lattice", A + "port": "9000"}}}
    (tg,) = run([gatewayclass(), svc, *eps, exp]).target_groups
    assert {t.port for t in tg.targets} == {9090}


def test_service_import_mode2_lookup_tags():
    imp = {"apiVersion": f"{A[:-1]}/v1alpha1", "kind": "ServiceImport",
           "metadata": {"name": "remote", "namespace": "default",
                        "annotations": {A + "export-name": "payments", A + "aws-eks-cluster-name": "east",
                                        A + "aws-vpc": "vpc-0aaaabbbbccccdddd"}}}
    ref = backend("remote", port=None, group=A[:-1], kind="ServiceImport")
    res = run(base(imp, route(rules=[{"backendRefs": [ref]}])))
    (lk,) = res.target_group_lookups
    assert lk.tags[A + "ServiceName"] == "payments" and lk.tags[A + "ClusterName"] == "east"
    assert lk.vpc_identifier == "vpc-0aaaabbbbccccdddd"


def test_policy_target_ref_in_another_namespace_is_invalid():
    p = policy("AccessLogPolicy", "p", "default", "HTTPRoute", "r", target_group="gateway.networking.k8s.io",
               destinationArn="arn:aws:s3:::bucket-name")
    p["spec"]["targetRef"]["namespace"] = "other"
    res = run(base(route(), p))
    c = {c.type: c for c in res.outcome("AccessLogPolicy", "default", "p").conditions}["Accepted"]
    assert c.reason == "Invalid" and "namespace" in c.message


def test_listener_union_across_gateways_first_wins_a_port():
    objs = [gatewayclass(), gateway("gw-a", listeners=[listener("http", "HTTP", 80)]),
            gateway("gw-b", listeners=[listener("http", "HTTP", 80), listener("alt", "HTTP", 8080)]),
            service(), endpoints(), route(parents=[{"name": "gw-a"}, {"name": "gw-b"}])]
    svc = only_service(run(objs))
    assert [(lst.port, lst.protocol) for lst in svc.listeners] == [(80, "HTTP"), (8080, "HTTP")]


# (translate's settings from the AWS controller's environment: tests/unit/controller/test_config.py)


def test_tlsroute_with_only_wildcard_hostnames_is_refused():
    r = route(kind="TLSRoute", hostnames=["*.example.com"], rules=[{"backendRefs": [backend("svc")]}])
    res = run(tls_world(r))
    c = parent_conditions(res, kind="TLSRoute")["Accepted"]
    assert c.status == "False" and "non-wildcard" in c.message


def test_a_wildcard_tlsroute_is_served_through_a_listener_hostname_that_names_one_host():
    """Lattice TLS passthrough matches the SNI exactly against the custom domain: a wildcard route
    hostname works when the listener's hostname narrows it to one name (issue 10, item 7)."""
    gw = gateway(listeners=[listener("tls", "TLS", 443, hostname="db.example.com", tls={"mode": "Passthrough"})])
    r = route(kind="TLSRoute", hostnames=["*.example.com"], rules=[{"backendRefs": [backend("svc")]}])
    res = run([gatewayclass(), gw, service(), endpoints(), r])
    assert parent_conditions(res, kind="TLSRoute")["Accepted"].status == "True"
    (svc,) = res.services
    assert svc.custom_domain_name == "db.example.com" and svc.listeners[0].protocol == "TLS_PASSTHROUGH"
    alone = run(tls_world(r))
    c = parent_conditions(alone, kind="TLSRoute")["Accepted"]
    assert (c.status, c.reason) == ("False", "UnsupportedValue") and "exact SNI match" in c.message
