"""The conformance harness's pure parts: the stand-in node's decisions, the traffic
classification of the suite's sources, and the reading of the suite's output."""

from __future__ import annotations

from pathlib import Path

from tests.conformance.catalog import NO_DATA_PLANE, imports_of, read_catalog, traffic_tests
from tests.conformance.kubelet import desired_slice, matches_label_selector, pod_ip, resolve_target_port, selects
from tests.conformance.reasons import explain
from tests.conformance.runner import parse_output


def pod(name, ip="10.244.0.9", ready=True, labels=None, ports=()):
    return {"metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "labels": labels or {"app": "a"}},
            "spec": {"containers": [{"name": "c", "ports": [dict(p) for p in ports]}]},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_slice_has_the_ready_pods_and_resolved_ports():
    svc = {"metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
           "spec": {"selector": {"app": "a"}, "ports": [
               {"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP"},
               {"name": "named", "port": 8081, "targetPort": "grpc", "appProtocol": "kubernetes.io/h2c"},
               {"name": "unknown", "port": 8082, "targetPort": "nope"}]}}
    pods = [pod("b", "10.244.0.2", ports=[{"name": "grpc", "containerPort": 3001}]), pod("a", "10.244.0.1"),
            pod("c", "10.244.0.3", ready=False)]
    s = desired_slice(svc, pods)
    assert s["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    assert [e["addresses"] for e in s["endpoints"]] == [["10.244.0.1"], ["10.244.0.2"]]
    assert s["ports"] == [{"name": "http", "port": 3000, "protocol": "TCP"},
                          {"name": "named", "port": 3001, "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"}]


def test_selectors():
    assert selects({"app": "a"}, {"app": "a", "x": "y"}) and not selects({"app": "a"}, {"app": "b"})
    assert not selects({}, {"app": "a"})  # a Service without selector selects nothing
    sel = {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}
    assert matches_label_selector(sel, {"app": "a", "tier": "web"})
    assert not matches_label_selector(sel, {"app": "a", "tier": "db"})
    assert resolve_target_port({"port": 80}, []) == 80
    deleting = pod("d")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert pod_ip(deleting) is None and pod_ip(pod("e")) == "10.244.0.9"


def test_imports_and_traffic_classification(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "status.go").write_text(
        'package tests\nimport (\n\t"testing"\n\t"sigs.k8s.io/gateway-api/conformance/utils/kubernetes"\n)\n'
        'var A = suite.ConformanceTest{\n\tShortName: "StatusOnly",\n}\n')
    (tmp_path / "tests" / "traffic.go").write_text(
        'package tests\nimport (\n\t"testing"\n\thttputils "sigs.k8s.io/gateway-api/conformance/utils/http"\n)\n'
        'var B = suite.ConformanceTest{ShortName: "SendsRequests"}\nvar C = suite.ConformanceTest{ShortName: "Two"}\n')
    (tmp_path / "tests" / "dns.go").write_text('package tests\nimport "github.com/miekg/dns"\n'
                                               'var D = suite.ConformanceTest{ShortName: "Dns"}\n')
    assert imports_of((tmp_path / "tests" / "dns.go").read_text()) == {"github.com/miekg/dns"}
    catalog = read_catalog(tmp_path)
    assert sorted(catalog) == ["Dns", "SendsRequests", "StatusOnly", "Two"]
    assert traffic_tests(catalog) == ["Dns", "SendsRequests", "Two"]


def test_parse_output_names_each_result_and_why():
    text = "\n".join([
        "    --- PASS: TestConformance/StatusOnly (1.50s)",
        "    conformance.go:56: Skipping Mirror: suite does not support HTTPRouteRequestMirror",
        "    --- SKIP: TestConformance/Mirror (0.00s)",
        "    conformance.go:68: Skipping SendsRequests: test explicitly skipped",
        "    --- SKIP: TestConformance/SendsRequests (0.00s)",
        "    --- FAIL: TestConformance/Broken (60.10s)",
        "        --- FAIL: TestConformance/Broken/subtest (60.00s)",
    ])
    catalog = {n: None for n in ("StatusOnly", "Mirror", "SendsRequests", "Broken", "NeverListed")}
    results = parse_output(text, catalog, ["SendsRequests", "NeverListed"])
    assert {n: r.result for n, r in results.items()} == {
        "StatusOnly": "PASS", "Mirror": "SKIP", "SendsRequests": "NOT RUN", "Broken": "FAIL", "NeverListed": "NOT RUN"}
    assert results["SendsRequests"].reason == NO_DATA_PLANE
    assert results["Mirror"].reason.startswith("HTTPRouteRequestMirror not claimed: a Lattice rule's action")
    assert results["Broken"].seconds == 60.1


def test_explain_keeps_unknown_reasons():
    assert explain("suite does not support SomethingNew") == "suite does not support SomethingNew"
    assert explain("suite does not support UDPRoute").startswith("UDPRoute not claimed: Lattice listeners")
