"""The chart's alerts and dashboard, checked by promtool (built from its Go module and cached, like
helm: deploy/tools/build_promtool.sh) and against the metrics the controller really serves."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from controller.observe.metrics import Metrics
from lattice.client import AwsCall, AwsRequest

from .helm import ROOT, by_kind, render

ALERTS = {"LatticegwReconcileErrors", "LatticegwReconcilePanics", "LatticegwAWSThrottling", "LatticegwQueueGrowing",
          "LatticegwNoLeader", "LatticegwDown", "LatticegwDriftCorrected"}
JOB = 'job="latticegw-metrics"'


@functools.cache
def promtool() -> str:
    out = subprocess.run(["bash", str(ROOT / "deploy" / "tools" / "build_promtool.sh")], check=True,
                         capture_output=True, text=True, timeout=3000).stdout
    return out.strip().rsplit("PROMTOOL=", 1)[1].strip()


def run_promtool(*args: str) -> str:
    res = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


# Labels Prometheus adds to every scraped series (target labels), besides the metric's own.
TARGET_LABELS = {"job", "instance", "pod", "namespace", "container", "endpoint"}


def served_metric_labels() -> dict[str, set[str]]:
    """Every series name /metrics can serve (histogram _bucket/_sum/_count, counter _total) -> the
    labels its samples carry."""
    m = Metrics()
    m.init_controller("httproute", 1)
    m.aws_request(AwsRequest("VPC Lattice", "CreateService", "429", "ThrottlingException", 0.1, throttled=True))
    m.aws_call(AwsCall("VPC Lattice", "CreateService", "429", "ThrottlingException", 0.1, retries=0))
    for metric in (m.wq_depth, m.wq_adds, m.wq_retries, m.informer_objects, m.leader_status):
        metric.labels(*(["x"] * len(metric._labelnames)))  # noqa: SLF001
    m.wq_latency.labels("x", "x").observe(0.1)
    m.drift_corrections.labels("HTTPRoute")
    m.rest_request("GET", "200", "h", 0.1)
    labels: dict[str, set[str]] = {"up": set()}  # Prometheus adds `up` per target
    for fam in text_string_to_metric_families(m.render().decode()):
        labels.setdefault(fam.name, set())
        for sample in fam.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
            labels[fam.name].update(k for k in sample.labels if k not in ("le", "quantile"))
    return labels


def label_names(expr: str) -> set[str]:
    """The labels an expression matches on (`{a="x"}`) or groups by (`by (a, b)`)."""
    used = set()
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        used.update(re.findall(r"([a-z_][a-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used.update(w.strip() for w in group.split(",") if w.strip())
    return used


def assert_reads_served_series(expr: str) -> None:
    """Every metric an expression names is served, and every label it uses is one of theirs: a
    query on a label the metric does not have returns nothing, silently."""
    served = served_metric_labels()
    names = metric_names(expr)
    assert not names - served.keys(), (expr, names - served.keys())
    allowed = TARGET_LABELS.union(*(served[n] for n in names)) | {"le"}
    assert not label_names(expr) - allowed, (expr, label_names(expr) - allowed)


def metric_names(expr: str) -> set[str]:
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*[{\[]", expr)) | set(re.findall(r"\(\s*([a-z_][a-z0-9_]*)\s*\)", expr))
    return {w for w in words if "_" in w and not w.startswith(("sum", "rate", "increase", "max", "deriv", "absent",
                                                                 "histogram_quantile"))}


def rule_file(tmp_path: Path) -> Path:
    docs = render({"metrics.prometheusRule.enabled": True, "metrics.serviceMonitor.enabled": True})
    (rule,) = by_kind(docs, "PrometheusRule")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    return path


def test_rules_are_off_by_default_and_render_behind_the_value():
    assert not by_kind(render(), "PrometheusRule") and not by_kind(render(), "ConfigMap")


def test_promtool_accepts_the_rules_and_every_alert_names_served_metrics(tmp_path):
    path = rule_file(tmp_path)
    out = run_promtool("check", "rules", str(path))
    assert f"SUCCESS: {len(ALERTS)} rules found" in out, out
    rules = yaml.safe_load(path.read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == ALERTS
    for r in rules:
        assert JOB in r["expr"], r["expr"]  # scoped to this release's scrape job
        assert_reads_served_series(r["expr"])


def test_each_alert_fires_when_it_should_and_not_otherwise(tmp_path):
    # When each alert fires is its expr, `for` and labels; its annotation templates are checked by
    # `promtool check rules` above, so here they are left out (promtool would compare their text).
    rules = yaml.safe_load(rule_file(tmp_path).read_text())
    for rule in rules["groups"][0]["rules"]:
        rule.pop("annotations")
    path = tmp_path / "firing.yaml"
    path.write_text(yaml.safe_dump(rules))
    series = lambda name, labels, values: {"series": f'{name}{{job="latticegw-metrics",{labels}}}',  # noqa: E731
                                           "values": values}
    tests = {"rule_files": [str(path)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [
            series("controller_runtime_reconcile_errors_total", 'controller="httproute"', "0+3x40"),
            series("controller_runtime_reconcile_errors_total", 'controller="gateway"', "0x40"),
            series("controller_runtime_reconcile_panics_total", 'controller="httproute"', "0 0 1 1 1 1"),
            series("latticegw_aws_throttled_requests_total", 'operation="CreateRule",service="VPC Lattice"',
                   "0+10x40"),
            series("workqueue_depth", 'name="latticegw",controller="latticegw"', "0+5x40"),
            series("leader_election_master_status", 'name="latticegw-leader",pod="a"', "1x10 0x20"),
            series("leader_election_master_status", 'name="latticegw-leader",pod="b"', "0x30"),
            series("up", 'pod="a"', "1x10 0x20"),
            series("latticegw_drift_corrections_total", 'kind="HTTPRoute"', "0 0 1 1 1"),
        ],
        "alert_rule_test": [
            {"eval_time": "30m", "alertname": "LatticegwReconcileErrors", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "controller": "httproute"}}]},
            {"eval_time": "4m", "alertname": "LatticegwReconcilePanics", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "controller": "httproute"}}]},
            {"eval_time": "30m", "alertname": "LatticegwAWSThrottling", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "operation": "CreateRule"}}]},
            {"eval_time": "35m", "alertname": "LatticegwQueueGrowing", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "name": "latticegw"}}]},
            {"eval_time": "9m", "alertname": "LatticegwNoLeader", "exp_alerts": []},
            {"eval_time": "25m", "alertname": "LatticegwNoLeader", "exp_alerts": [
                {"exp_labels": {"severity": "critical", "name": "latticegw-leader"}}]},
            {"eval_time": "9m", "alertname": "LatticegwDown", "exp_alerts": []},
            {"eval_time": "25m", "alertname": "LatticegwDown", "exp_alerts": [
                {"exp_labels": {"severity": "critical"}}]},
            {"eval_time": "4m", "alertname": "LatticegwDriftCorrected", "exp_alerts": [
                {"exp_labels": {"severity": "info", "kind": "HTTPRoute"}}]},
        ]}]}
    test_path = tmp_path / "tests.yaml"
    test_path.write_text(yaml.safe_dump(tests))
    out = run_promtool("test", "rules", str(test_path))
    assert "SUCCESS" in out, out


def test_the_dashboard_queries_parse_and_read_served_metrics(tmp_path):
    docs = render({"metrics.dashboard.enabled": True})
    (cm,) = by_kind(docs, "ConfigMap")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    dash = json.loads(cm["data"]["latticegw.json"])
    assert dash["uid"] == "latticegw" and {v["name"] for v in dash["templating"]["list"]} == {"datasource", "job"}
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    titles = " ".join(p["title"] for p in dash["panels"]).lower()
    for topic in ("reconcile", "queue", "aws", "leader", "drift", "cpu", "memory"):
        assert topic in titles, topic
    # Grafana's variables as Prometheus would see them, then promtool parses each query.
    rules = [{"record": f"dashboard:panel_{i}", "expr": e.replace("$__rate_interval", "5m").replace("$job", ".*")}
             for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in run_promtool("check", "rules", str(path))
    for e in exprs:
        assert_reads_served_series(e)
    assert any("aws_api_requests_total" in e and "error_code" in e for e in exprs)
