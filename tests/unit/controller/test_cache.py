"""Stores, indexes, the snapshot view and the event -> keys handlers."""

from controller.handlers import affected_keys, keys_for, relevant
from controller.kube.cache import Cache
from controller.kube.snapshot import SnapshotView
from controller.kube.store import LAST_APPLIED, project

from .builders import obj, route


def setup():
    c = Cache()
    for kind, namespaced in [("HTTPRoute", True), ("GRPCRoute", True), ("TLSRoute", True), ("Gateway", True),
                             ("GatewayClass", False), ("Service", True), ("EndpointSlice", True),
                             ("Namespace", False), ("ReferenceGrant", True), ("TargetGroupPolicy", True),
                             ("ServiceExport", True)]:
        c.store(kind, namespaced)
    return c, SnapshotView(c)


def test_project_strips_bulk_and_stamps_kind():
    o = {"metadata": {"name": "a", "managedFields": [{"x": 1}], "annotations": {LAST_APPLIED: "{...}"}}}
    p = project(o, "v1", "Service")
    assert p == {"metadata": {"name": "a"}, "apiVersion": "v1", "kind": "Service"}


def test_replace_reports_adds_updates_and_missed_deletes():
    c, _ = setup()
    c.replace("Service", [obj("Service", "a"), obj("Service", "b")])
    changes = c.replace("Service", [obj("Service", "a"), obj("Service", "b", rv="2"), obj("Service", "c")])
    summary = sorted((o["metadata"]["name"] if o else "-", n["metadata"]["name"] if n else "-") for o, n in changes)
    assert summary == [("-", "c"), ("b", "b")]
    changes = c.replace("Service", [obj("Service", "c")])
    assert sorted(o["metadata"]["name"] for o, n in changes if n is None) == ["a", "b"]
    assert [s["metadata"]["name"] for s in c.stores["Service"].list("default")] == ["c"]


def test_indexes_follow_updates():
    c, v = setup()
    gw = {"name": "gw"}
    c.upsert("HTTPRoute", route("r1", parents=[gw], backends=[{"name": "svc", "port": 80}]))
    c.upsert("HTTPRoute", route("r2", ns="other", parents=[{"name": "gw", "namespace": "default"}],
                                backends=[{"name": "svc", "namespace": "default"}]))
    assert [r["metadata"]["name"] for r in v.routes_for_gateway("default", "gw")] == ["r1", "r2"]
    assert [r["metadata"]["name"] for r in v.routes_for_service("default", "svc")] == ["r1", "r2"]
    # r1 moves to another gateway and backend
    c.upsert("HTTPRoute", route("r1", parents=[{"name": "gw2"}], backends=[{"name": "svc2"}], rv="2"))
    assert [r["metadata"]["name"] for r in v.routes_for_gateway("default", "gw")] == ["r2"]
    assert [r["metadata"]["name"] for r in v.routes_for_gateway("default", "gw2")] == ["r1"]
    c.delete("HTTPRoute", route("r2", ns="other"))
    assert v.routes_for_gateway("default", "gw") == ()
    assert v.routes_for_service("default", "svc") == ()


def test_snapshot_lookups_match_translate_names():
    c, v = setup()
    c.upsert("EndpointSlice", obj("EndpointSlice", "svc-abc", labels={"kubernetes.io/service-name": "svc"}))
    c.upsert("EndpointSlice", obj("EndpointSlice", "other-1", labels={"kubernetes.io/service-name": "other"}))
    c.upsert("Namespace", obj("Namespace", "default", ns=None, labels={"team": "a"}))
    c.upsert("GatewayClass", obj("GatewayClass", "amazon-vpc-lattice", ns=None))
    assert [e["metadata"]["name"] for e in v.endpoint_slices("default", "svc")] == ["svc-abc"]
    assert v.namespace_labels("default") == {"team": "a", "kubernetes.io/metadata.name": "default"}
    assert v.namespace_labels("nope") is None
    assert v.get("GatewayClass", "ignored", "amazon-vpc-lattice") is not None
    assert v.get_key("GatewayClass/amazon-vpc-lattice") is not None
    assert v.get("Gateway", "default", "x") is None and not v.has_kind("TCPRoute")
    assert {o["kind"] for o in v.objects()} == {"EndpointSlice", "Namespace", "GatewayClass"}


def test_status_only_and_bookkeeping_changes_are_not_relevant():
    a = route("r")
    b = route("r", rv="2")
    b["status"] = {"parents": [{"controllerName": "x"}]}
    b["metadata"]["finalizers"] = ["f"]
    assert not relevant(a, b)
    c = route("r", rv="3", backends=[{"name": "svc"}])
    assert relevant(a, c)
    d = route("r", rv="4")
    d["metadata"]["annotations"] = {"application-networking.k8s.aws/takeover": "true"}
    assert relevant(a, d)
    e = route("r", rv="5")
    e["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert relevant(a, e)
    assert relevant(None, a) and relevant(a, None)


def test_affected_keys():
    c, v = setup()
    r1 = route("r1", parents=[{"name": "gw"}], backends=[{"name": "svc"}])
    c.upsert("HTTPRoute", r1)
    c.upsert("Gateway", obj("Gateway", "gw", spec={"gatewayClassName": "lattice"}))
    c.upsert("ServiceExport", obj("ServiceExport", "svc"))
    c.upsert("TargetGroupPolicy", obj("TargetGroupPolicy", "p", spec={"targetRef": {"kind": "Service", "name": "svc"}}))

    assert affected_keys("HTTPRoute", None, r1, v) == {"HTTPRoute/default/r1", "Gateway/default/gw"}
    moved = route("r1", parents=[{"name": "gw2"}], rv="2")
    assert affected_keys("HTTPRoute", r1, moved, v) >= {"Gateway/default/gw", "Gateway/default/gw2"}
    assert affected_keys("Gateway", None, v.get("Gateway", "default", "gw"), v) == {"Gateway/default/gw", "HTTPRoute/default/r1"}
    assert affected_keys("GatewayClass", None, obj("GatewayClass", "lattice", ns=None), v) == {
        "GatewayClass/lattice", "Gateway/default/gw"}
    svc_keys = {"HTTPRoute/default/r1", "ServiceExport/default/svc", "TargetGroupPolicy/default/p"}
    assert affected_keys("Service", None, obj("Service", "svc"), v) == svc_keys
    eps = obj("EndpointSlice", "svc-x", labels={"kubernetes.io/service-name": "svc"})
    assert affected_keys("EndpointSlice", None, eps, v) == svc_keys
    assert affected_keys("Namespace", None, obj("Namespace", "default", ns=None), v) == {"HTTPRoute/default/r1"}
    pol = obj("TargetGroupPolicy", "p2", spec={"targetRef": {"kind": "Gateway", "name": "gw"}})
    assert affected_keys("TargetGroupPolicy", None, pol, v) == {"TargetGroupPolicy/default/p2", "Gateway/default/gw"}


def test_reference_grant_wakes_cross_namespace_routes_only():
    c, v = setup()
    cross = route("cross", ns="app", backends=[{"name": "svc", "namespace": "backend"}])
    local = route("local", ns="app", backends=[{"name": "svc"}])
    c.upsert("HTTPRoute", cross)
    c.upsert("HTTPRoute", local)
    grant = obj("ReferenceGrant", "g", ns="backend", spec={"from": [{"group": "gateway.networking.k8s.io",
                                                                      "kind": "HTTPRoute", "namespace": "app"}]})
    assert affected_keys("ReferenceGrant", None, grant, v) == {"HTTPRoute/app/cross"}
    c.upsert("ReferenceGrant", grant)
    assert [g["metadata"]["name"] for g in v.grants_from("app")] == ["g"]


def test_endpoint_slices_keep_what_translation_reads():
    eps = {"metadata": {"name": "s"}, "addressType": "IPv4", "ports": [{"port": 80}],
           "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "zone": "a",
                          "nodeName": "n1", "targetRef": {"kind": "Pod", "name": "p"}, "hints": {}}]}
    p = project(eps, "discovery.k8s.io/v1", "EndpointSlice")
    assert p["endpoints"] == [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "zone": "a"}]
    assert p["ports"] == [{"port": 80}]


def test_a_not_ready_endpoint_keeps_the_name_of_its_pod_for_the_readiness_gate():
    eps = {"metadata": {"name": "s"}, "addressType": "IPv4", "ports": [{"port": 80}],
           "endpoints": [{"addresses": ["10.0.0.2"], "conditions": {"ready": False}, "nodeName": "n1",
                          "targetRef": {"kind": "Pod", "name": "p2", "namespace": "app", "uid": "u"}},
                         {"addresses": ["10.0.0.3"], "conditions": {"ready": False},
                          "targetRef": {"kind": "Node", "name": "n"}}]}
    p = project(eps, "discovery.k8s.io/v1", "EndpointSlice")
    assert p["endpoints"] == [{"addresses": ["10.0.0.2"], "conditions": {"ready": False},
                               "targetRef": {"kind": "Pod", "name": "p2"}},
                              {"addresses": ["10.0.0.3"], "conditions": {"ready": False}}]


def test_project_keeps_only_the_certificate_and_key_of_a_secret():
    o = {"metadata": {"name": "t"}, "type": "kubernetes.io/tls",
         "data": {"tls.crt": "Y3J0", "tls.key": "a2V5", "ca.crt": "Y2E=", "password": "cw=="}}
    assert project(o, "v1", "Secret")["data"] == {"tls.crt": "Y3J0", "tls.key": "a2V5"}


def test_a_certificate_secret_wakes_its_gateways_and_their_routes_only():
    c, v = setup()
    c.store("Secret", True)
    tls = {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "app-tls"},
                                                     {"kind": "Secret", "name": "shared", "namespace": "certs"}]}
    gw = obj("Gateway", "gw", spec={"listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "tls": tls}]})
    c.upsert("Gateway", gw)
    c.upsert("Gateway", obj("Gateway", "other", spec={"listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}))
    c.upsert("HTTPRoute", route("r1", parents=[{"name": "gw"}]))
    c.upsert("HTTPRoute", route("r2", parents=[{"name": "other"}]))
    secret = obj("Secret", "app-tls")
    assert affected_keys("Secret", None, secret, v) == {"Gateway/default/gw", "HTTPRoute/default/r1"}
    assert affected_keys("Secret", secret, None, v) == {"Gateway/default/gw", "HTTPRoute/default/r1"}
    assert affected_keys("Secret", None, obj("Secret", "shared", ns="certs"), v) == {"Gateway/default/gw", "HTTPRoute/default/r1"}
    assert affected_keys("Secret", None, obj("Secret", "nobodys"), v) == set()
    # a grant in the Secret's namespace (from the Gateway's) decides RefNotPermitted: same keys
    grant = obj("ReferenceGrant", "g", ns="certs", spec={"from": [{"group": "gateway.networking.k8s.io",
                                                                   "kind": "Gateway", "namespace": "default"}],
                                                          "to": [{"group": "", "kind": "Secret"}]})
    assert {"Gateway/default/gw", "HTTPRoute/default/r1"} <= affected_keys("ReferenceGrant", None, grant, v)


def test_a_service_wakes_the_export_that_names_it_in_service_name():
    c, v = setup()
    c.upsert("ServiceExport", obj("ServiceExport", "public-api",
                                  annotations={"application-networking.k8s.aws/service-name": "backend"}))
    assert affected_keys("Service", None, obj("Service", "backend"), v) == {"ServiceExport/default/public-api"}
    eps = obj("EndpointSlice", "backend-x", labels={"kubernetes.io/service-name": "backend"})
    assert affected_keys("EndpointSlice", None, eps, v) == {"ServiceExport/default/public-api"}
    assert affected_keys("Service", None, obj("Service", "public-api"), v) == set()


def test_a_deleting_service_wakes_itself_only_when_it_holds_the_legacy_finalizer():
    c, v = setup()
    deleting = obj("Service", "svc", finalizers=["service.ki8s.aws/resources"])
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert "Service/default/svc" in affected_keys("Service", None, deleting, v)
    deleting["metadata"]["finalizers"] = ["example.com/other"]
    assert "Service/default/svc" not in affected_keys("Service", None, deleting, v)
    assert "Service/default/svc" not in affected_keys("Service", None, obj("Service", "svc"), v)


def test_a_routes_dns_name_wakes_its_gateways_only():
    # The DNS name is the Gateways' address (status.addresses), but the route wrote it itself.
    c, v = setup()
    before = route("r1", parents=[{"name": "gw"}, {"name": "gw2", "namespace": "other"}])
    c.upsert("HTTPRoute", before)
    after = route("r1", parents=[{"name": "gw"}, {"name": "gw2", "namespace": "other"}], rv="2")
    after["metadata"]["annotations"] = {"application-networking.k8s.aws/lattice-assigned-domain-name": "r1.lattice"}
    assert not relevant(before, after)
    assert keys_for("HTTPRoute", before, after, v) == {"Gateway/default/gw", "Gateway/other/gw2"}
    progress_only = route("r1", parents=[{"name": "gw"}, {"name": "gw2", "namespace": "other"}], rv="3")
    progress_only["metadata"]["annotations"] = {"latticegw.io/applied": "1:x::u"}
    assert keys_for("HTTPRoute", before, progress_only, v) == set()
    assert keys_for("HTTPRoute", None, before, v) == affected_keys("HTTPRoute", None, before, v)
