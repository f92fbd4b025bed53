"""Backends, ReferenceGrant, weights, fixed responses, targets and target groups."""

import pytest

from tests.unit.translate.builders import (
    backend,
    base,
    endpoints,
    gateway,
    gatewayclass,
    namespace,
    only_service,
    parent_conditions,
    policy,
    refgrant,
    route,
    rule,
    rules_of,
    run,
    service,
)
from translate.frozen import thaw
from translate.model import Source

FIXED_500 = {"fixedResponse": {"statusCode": 500}}


def forward_of(result, i=0):
    return thaw(rules_of(result)[i].action)


def weights(action):
    return sorted(e["weight"] for e in action["forward"]["targetGroups"])


@pytest.mark.parametrize(
    "backends,extra,expect_action,reason",
    [
        ([], [], FIXED_500, None),  # NoBackendRefs → 500
        ([backend("missing")], [], FIXED_500, "BackendNotFound"),
        ([backend("svc", kind="ConfigMap")], [], FIXED_500, "InvalidKind"),
        ([backend("svc", group="example.com", kind="Svc")], [], FIXED_500, "InvalidKind"),
        ([backend("svc", port=81)], [], FIXED_500, "BackendNotFound"),  # no such Service port
        ([backend("svc", weight=0)], [], FIXED_500, None),  # all weights 0 → 500 (our documented choice)
        ([backend("svc", ns="other")], [service(ns="other")], FIXED_500, "RefNotPermitted"),
        # really dual stack: endpoints of both families (a Lattice TG has one address type)
        ([backend("dual")], [service("dual", families=["IPv4", "IPv6"]), endpoints("dual"),
                             dict(endpoints("dual", ips=("fd00::1",), name="dual-v6"), addressType="IPv6")],
         FIXED_500, "UnsupportedValue"),
    ],
)
def test_invalid_backends_return_500(backends, extra, expect_action, reason):
    res = run(base(route(rules=[rule(*backends)]), *extra))
    assert forward_of(res) == expect_action
    conds = parent_conditions(res)
    assert conds["Accepted"].status == "True"
    if reason:
        assert conds["ResolvedRefs"].status == "False" and conds["ResolvedRefs"].reason == reason
    else:
        assert conds["ResolvedRefs"].status == "True"
    assert res.target_groups == ()


def test_partly_invalid_rule_forwards_to_valid_backends_only():
    res = run(base(route(rules=[rule(backend("svc", weight=70), backend("missing", weight=30))])))
    act = forward_of(res)
    assert len(act["forward"]["targetGroups"]) == 1 and weights(act) == [70]
    assert parent_conditions(res)["ResolvedRefs"].reason == "BackendNotFound"
    assert "missing" in parent_conditions(res)["ResolvedRefs"].message


def test_weights_passed_through_default_one_and_zero_kept():
    objs = base(service("b"), endpoints("b"), service("c"), endpoints("c"))
    res = run(objs + [route(rules=[rule(backend("svc", weight=70), backend("b", weight=30), backend("c", weight=0))])])
    assert weights(forward_of(res)) == [0, 30, 70]
    assert len(res.target_groups) == 3  # the weight-0 TG exists, ready for a canary shift
    res = run(objs + [route(rules=[rule(backend("svc"), backend("b"))])])
    assert weights(forward_of(res)) == [1, 1]


def test_weights_scaled_into_lattice_range():
    objs = base(service("b"), endpoints("b"))
    res = run(objs + [route(rules=[rule(backend("svc", weight=1_000_000), backend("b", weight=1))])])
    assert weights(forward_of(res)) == [1, 999]


def test_more_than_ten_backends_rejects_the_rule():
    objs = base(*[service(f"s{i}") for i in range(11)])
    res = run(objs + [route(rules=[rule(*[backend(f"s{i}") for i in range(11)]), rule(backend("svc"), matches=[{"path": {"type": "PathPrefix", "value": "/b"}}])])])
    conds = parent_conditions(res)
    assert conds["PartiallyInvalid"].status == "True" and "at most 10" in conds["PartiallyInvalid"].message
    assert len(rules_of(res)) == 1


def test_same_backend_twice_in_a_rule_merges():
    res = run(base(route(rules=[rule(backend("svc", weight=2), backend("svc", weight=3))])))
    assert weights(forward_of(res)) == [5]


# ReferenceGrant -------------------------------------------------------------------------------

def cross(grant=None):
    objs = base(namespace("other"), service("svc", ns="other"), endpoints("svc", ns="other", ips=("10.9.0.1",)),
                route(rules=[rule(backend("svc", ns="other"))]))
    return objs + ([grant] if grant else [])


@pytest.mark.parametrize(
    "grant,allowed",
    [
        (None, False),
        (refgrant("other", "default"), True),
        (refgrant("other", "default", to_name="svc"), True),
        (refgrant("other", "default", to_name="another"), False),
        (refgrant("other", "elsewhere"), False),
        (refgrant("other", "default", from_kind="GRPCRoute"), False),
        (refgrant("default", "default"), False),  # a grant in the wrong namespace grants nothing
    ],
)
def test_reference_grant_enforced(grant, allowed):
    res = run(cross(grant))
    conds = parent_conditions(res)
    if allowed:
        assert "forward" in forward_of(res)
        assert conds["ResolvedRefs"].status == "True"
        assert [t.id for t in res.target_groups[0].targets] == ["10.9.0.1"]
    else:
        assert forward_of(res) == FIXED_500
        assert conds["ResolvedRefs"].reason == "RefNotPermitted"
        assert res.target_groups == ()


def test_revoking_a_grant_removes_traffic():
    granted = run(cross(refgrant("other", "default")))
    revoked = run(cross())
    assert granted.target_groups and not revoked.target_groups
    assert only_service(granted).fingerprint != only_service(revoked).fingerprint


# Targets and target groups ---------------------------------------------------------------------

def test_targets_skip_terminating_and_filter_by_port_name():
    svc = service(ports=[{"name": "http", "port": 80}, {"name": "admin", "port": 9000}])
    eps = [endpoints(port=8080, port_name="http", ips=("10.0.0.1", "10.0.0.2"), terminating=("10.0.0.2",)),
           endpoints(port=9090, port_name="admin", ips=("10.0.0.1",), name="svc-admin")]
    res = run([gatewayclass(), gateway(), svc, *eps, route(rules=[rule(backend("svc", port=80))])])
    (tg,) = res.target_groups
    assert [(t.id, t.port) for t in tg.targets] == [("10.0.0.1", 8080)]


def test_target_group_per_route_and_backend_with_reference_tags():
    res = run(base(route("a"), route("b")))
    assert len(res.target_groups) == 2
    tg = res.target_groups[0]
    assert tg.type == "IP"
    cfg = thaw(tg.config)
    assert cfg["port"] == 80 and cfg["protocol"] == "HTTP" and cfg["protocolVersion"] == "HTTP1"
    assert cfg["vpcIdentifier"] == "vpc-0123456789abcdef0"
    assert cfg["healthCheck"] == {
        "enabled": True, "protocol": "HTTP", "protocolVersion": "HTTP1", "path": "/",
        "healthCheckIntervalSeconds": 30, "healthCheckTimeoutSeconds": 5, "healthyThresholdCount": 5,
        "unhealthyThresholdCount": 2, "matcher": {"httpCode": "200"},
    }
    A = "application-networking.k8s.aws/"
    assert dict(tg.tags) == {
        A + "ManagedBy": "111122223333/test/vpc-0123456789abcdef0", A + "ClusterName": "test",
        A + "ServiceName": "svc", A + "ServiceNamespace": "default", A + "SourceTypeKey": "HTTPRoute",
        A + "ProtocolVersion": "HTTP1", A + "RouteName": tg.source.name, A + "RouteNamespace": "default",
    }


def test_grpc_and_tls_target_groups():
    objs = [gatewayclass(), gateway(listeners=[{"name": "https", "protocol": "HTTPS", "port": 443},
                                              {"name": "tls", "protocol": "TLS", "port": 444, "tls": {"mode": "Passthrough"}}]),
            service(), endpoints()]
    g = run(objs + [route(kind="GRPCRoute", rules=[{"backendRefs": [backend("svc")]}])])
    cfg = thaw(g.target_groups[0].config)
    assert cfg["protocolVersion"] == "GRPC" and cfg["healthCheck"]["enabled"] is False
    t = run(objs + [route(kind="TLSRoute", hostnames=["a.example.com"], rules=[{"backendRefs": [backend("svc")]}])])
    cfg = thaw(t.target_groups[0].config)
    assert cfg["protocol"] == "TCP" and "protocolVersion" not in cfg and cfg["healthCheck"] == {"enabled": False}


def test_target_group_policy_protocol_and_health_check():
    tgp = policy("TargetGroupPolicy", "p", "default", "Service", "svc", protocol="HTTPS", protocolVersion="HTTP2",
                 healthCheck={"enabled": True, "path": "/healthz", "intervalSeconds": 10, "statusMatch": "200-299"})
    plain = run(base(route()))
    withp = run(base(route(), tgp))
    assert plain.target_groups[0].name != withp.target_groups[0].name  # protocol change = new TG
    cfg = thaw(withp.target_groups[0].config)
    assert cfg["protocol"] == "HTTPS" and cfg["protocolVersion"] == "HTTP2"
    hc = cfg["healthCheck"]
    assert hc["enabled"] is True and hc["path"] == "/healthz" and hc["healthCheckIntervalSeconds"] == 10
    assert hc["matcher"] == {"httpCode": "200-299"}
    # health check only: same TG name (updated in place), different fingerprint
    hc_only = run(base(route(), policy("TargetGroupPolicy", "p", "default", "Service", "svc", healthCheck={"path": "/x"})))
    assert hc_only.target_groups[0].name == plain.target_groups[0].name
    assert hc_only.target_groups[0].fingerprint != plain.target_groups[0].fingerprint
    assert hc_only.target_groups[0].targets_fingerprint == plain.target_groups[0].targets_fingerprint


def test_targets_fingerprint_tracks_pod_churn_only():
    a = run(base(route()))
    objs = [o for o in base(route()) if o["kind"] != "EndpointSlice"] + [endpoints(ips=("10.0.0.7",))]
    b = run(objs)
    assert a.target_groups[0].fingerprint == b.target_groups[0].fingerprint
    assert a.target_groups[0].targets_fingerprint != b.target_groups[0].targets_fingerprint


# ServiceImport / ServiceExport -------------------------------------------------------------------

def imp(name="remote", **ann):
    return {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport",
            "metadata": {"name": name, "namespace": "default",
                         "annotations": {f"application-networking.k8s.aws/{k}": v for k, v in ann.items()}}, "spec": {}}


IMPORT_REF = backend("remote", port=None, group="application-networking.k8s.aws", kind="ServiceImport")


def test_service_import_modes():
    res = run(base(imp(), route(rules=[rule(IMPORT_REF)])))
    (lk,) = res.target_group_lookups
    assert lk.name == "serviceimport/default/remote" and lk.arn is None
    assert lk.tags["application-networking.k8s.aws/SourceTypeKey"] == "ServiceExport"
    assert thaw(forward_of(res))["forward"]["targetGroups"][0]["targetGroupIdentifier"] == lk.name
    arn = "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-0123456789abcdef0"
    res = run(base(imp(**{"target-group-arn": arn}), route(rules=[rule(IMPORT_REF)])))
    assert res.target_group_lookups[0].arn == arn


@pytest.mark.parametrize(
    "ann,reason",
    [
        ({"target-group-arn": "arn:aws:vpc-lattice:us-west-2:1:targetgroup/bad"}, "InvalidExternalTargetGroup"),
        ({"target-group-arn": "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-0123456789abcdef0",
          "export-name": "x"}, "ConflictingServiceImportAnnotations"),
    ],
)
def test_service_import_errors(ann, reason):
    res = run(base(imp(**ann), route(rules=[rule(IMPORT_REF)])))
    assert parent_conditions(res)["ResolvedRefs"].reason == reason
    assert forward_of(res) == FIXED_500


def export(ports=None, federated=True):
    ann = {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"} if federated else {}
    spec = {"exportedPorts": ports} if ports else {}
    return {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceExport",
            "metadata": {"name": "svc", "namespace": "default", "annotations": ann}, "spec": spec}


def test_service_export_target_groups():
    assert run(base(export(federated=False))).target_groups == ()
    (tg,) = run(base(export())).target_groups
    assert tg.source.kind == "ServiceExport" and len(tg.targets) == 2
    assert tg.tags["application-networking.k8s.aws/SourceTypeKey"] == "ServiceExport"
    tgs = run(base(export([{"port": 80, "routeType": "HTTP"}, {"port": 80, "routeType": "GRPC"}]))).target_groups
    assert sorted(thaw(t.config)["protocolVersion"] for t in tgs) == ["GRPC", "HTTP1"]


def headless(name: str = "db") -> dict:
    """A headless Service without a selector, as the API server stores it: RequireDualStack with both
    families, whatever the cluster's stack (its EndpointSlices are made by hand)."""
    svc = service(name, families=["IPv4", "IPv6"])
    svc["spec"].update(clusterIP="None", clusterIPs=["None"], ipFamilyPolicy="RequireDualStack")
    return svc


@pytest.mark.parametrize("address_type, ips, ip_type", [
    ("IPv4", ("10.0.0.7", "10.0.0.8"), "IPV4"),
    ("IPv6", ("fd00::7",), "IPV6"),
])
def test_a_headless_service_without_selector_takes_its_endpoint_slices_family(address_type, ips, ip_type):
    eps = dict(endpoints("db", ips=ips), addressType=address_type)
    res = run(base(route(rules=[rule(backend("db"))]), headless(), eps))
    conds = parent_conditions(res)
    assert conds["Accepted"].status == "True" and conds["ResolvedRefs"].status == "True", conds
    (tg,) = res.target_groups
    assert tg.config["ipAddressType"] == ip_type
    assert sorted(t.id for t in tg.targets) == sorted(ips)


def test_a_service_export_of_a_headless_service_is_exported():
    exp = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceExport",
           "metadata": {"name": "db", "namespace": "default",
                        "annotations": {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"}}}
    (tg,) = run([gatewayclass(), headless(), endpoints("db", ips=("10.0.0.7",)), exp]).target_groups
    assert tg.config["ipAddressType"] == "IPV4" and [t.id for t in tg.targets] == ["10.0.0.7"]


@pytest.mark.parametrize("group", [None, "", "application-networking.k8s.aws", "multicluster.x-k8s.io"])
def test_service_import_backend_without_group_is_the_aws_controllers_import(group):
    """The AWS controller's multi-cluster examples write `kind: ServiceImport` with no group; it reads
    the kind only. Such a ref resolves like one naming the group."""
    ref = backend("remote", port=None, kind="ServiceImport", **({} if group is None else {"group": group}))
    res = run(base(imp(), route(rules=[rule(ref)])))
    conds = parent_conditions(res)
    assert conds["ResolvedRefs"].status == "True", conds
    (lk,) = res.target_group_lookups
    assert thaw(forward_of(res))["forward"]["targetGroups"][0]["targetGroupIdentifier"] == lk.name


def test_service_import_of_another_group_is_still_an_invalid_kind():
    ref = backend("remote", port=None, kind="ServiceImport", group="example.com")
    assert parent_conditions(run(base(imp(), route(rules=[rule(ref)]))))["ResolvedRefs"].reason == "InvalidKind"


def test_a_cross_namespace_service_import_without_group_needs_a_grant_for_the_aws_group():
    other = dict(imp(), metadata={"name": "remote", "namespace": "other"})
    ref = backend("remote", port=None, kind="ServiceImport", ns="other")
    assert parent_conditions(run(base(other, route(rules=[rule(ref)]))))["ResolvedRefs"].reason == "RefNotPermitted"
    grant = refgrant("other", "default", to_kind="ServiceImport")
    grant["spec"]["to"][0]["group"] = "application-networking.k8s.aws"
    assert parent_conditions(run(base(other, grant, route(rules=[rule(ref)]))))["ResolvedRefs"].status == "True"


def test_service_export_exports_the_service_its_service_name_annotation_names():
    """`application-networking.k8s.aws/service-name`: the Service to export; the target group keeps the
    export's name in its tags, which is what importers look up."""
    exp = export()
    exp["metadata"]["name"] = "public-api"
    exp["metadata"]["annotations"]["application-networking.k8s.aws/service-name"] = "svc"
    (tg,) = run(base(exp)).target_groups
    assert tg.backend == Source("Service", "default", "svc") and len(tg.targets) == 2
    assert tg.tags["application-networking.k8s.aws/ServiceName"] == "public-api"
    assert tg.source == Source("ServiceExport", "default", "public-api")
    exp["metadata"]["annotations"]["application-networking.k8s.aws/service-name"] = "missing"
    assert run(base(exp)).target_groups == ()


def test_an_exported_port_is_the_target_groups_port():
    """The AWS controller creates an `exportedPorts` entry's TG on that port (the legacy export and
    route TGs on 80); adoption on a switch matches a TG by that immutable shape, so a 443 export on
    port 80 would be deleted and recreated."""
    svc = service(ports=[{"name": "https", "port": 443, "targetPort": 8443}, {"name": "http", "port": 80}])
    objs = [gatewayclass(), gateway(), svc, endpoints(),
            export([{"port": 443, "routeType": "TLS"}, {"port": 80, "routeType": "HTTP"}])]
    tgs = run(objs).target_groups
    assert sorted((t.config["port"], t.config["protocol"]) for t in tgs) == [(80, "HTTP"), (443, "TCP")]
    (legacy,) = run(base(export())).target_groups
    assert legacy.config["port"] == 80
