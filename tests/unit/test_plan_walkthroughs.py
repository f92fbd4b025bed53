"""`latticegw plan` on the AWS Gateway API Controller's walkthroughs, as users keep them (our fixtures in
tests/unit/walkthroughs/, in the shapes of its public examples): whole folders with Deployments and
ConfigMaps, ServiceImport backendRefs without `group`, standalone routes whose parent is not in the
walkthrough. Each route gets the acceptance the AWS controller gives the same shapes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.unit.test_cmd_plan import plan

WALKTHROUGHS = Path(__file__).resolve().parent / "walkthroughs"
IDENTITY = ["--cluster-name", "prod", "--vpc-id", "vpc-0123456789abcdef0", "--account-id", "111122223333"]
A = "application-networking.k8s.aws/"

# walkthrough -> (routes Accepted with all refs resolved, routes Accepted with ResolvedRefs=False
# BackendNotFound (backends the walkthrough does not ship), routes the controller ignores, skipped count)
EXPECTED = {
    "single-cluster": ({"HTTPRoute/bookings", "HTTPRoute/stock"}, set(), set(), 3),
    "blue-green": ({"HTTPRoute/stock"}, set(), set(), 2),
    "service-import-route": ({"HTTPRoute/imports"}, set(), set(), 2),
    "grpc": ({"GRPCRoute/echo-grpc-route"}, set(), set(), 1),
    "tls-passthrough": ({"TLSRoute/web-tls-route"}, set(), set(), 1),
    "tls-blue-green": ({"TLSRoute/fees-tls-passthrough"}, set(), set(), 2),
    "standalone": (set(), set(), {"HTTPRoute/standalone-api", "GRPCRoute/standalone-echo"}, 0),
    "mixed-standalone": ({"HTTPRoute/inherits-standalone", "HTTPRoute/https-standalone", "TLSRoute/tls-standalone"},
                         {"HTTPRoute/overrides-standalone", "HTTPRoute/https-networked"}, set(), 1),
}


def test_every_walkthrough_has_a_fixture():
    assert {p.name for p in WALKTHROUGHS.iterdir() if p.is_dir()} == set(EXPECTED)


def _conditions(entry: dict) -> dict[str, tuple[str, str]]:
    (parent,) = entry["parents"]
    return {c["type"]: (c["status"], c["reason"]) for c in parent["conditions"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_walkthrough_translates_with_the_aws_controllers_acceptance(capsys, name):
    accepted, backend_missing, ignored, skipped = EXPECTED[name]
    code, out, err = plan(capsys, "-f", str(WALKTHROUGHS / name), *IDENTITY)
    assert code == 0, err
    d = json.loads(out)
    routes = {f"{s['kind']}/{s['name']}": s for s in d["status"] if "parents" in s}
    assert set(routes) == accepted | backend_missing
    for key in accepted:
        assert _conditions(routes[key])["Accepted"] == ("True", "Accepted"), (key, routes[key])
        assert _conditions(routes[key])["ResolvedRefs"][0] == "True", (key, routes[key])
    for key in backend_missing:
        conds = _conditions(routes[key])
        assert conds["Accepted"][0] == "True" and conds["ResolvedRefs"] == ("False", "BackendNotFound"), conds
    for s in d["status"]:
        if s["kind"] in ("Gateway", "GatewayClass", "TargetGroupPolicy"):
            assert {c["type"]: c["status"] for c in s["conditions"]}["Accepted"] == "True", s
    # what it did not act on is listed on stderr, not dropped
    assert err.count("[skipped: ") == skipped, err
    for key in ignored:
        kind, rname = key.split("/")
        assert f"{kind} default/{rname}  [ignored: parent Gateway default/some-other-gateway not found]" in err, err
    assert "placeholder" not in err
    gated, _, gate_err = plan(capsys, "-f", str(WALKTHROUGHS / name), *IDENTITY, "--fail-on-rejected")
    assert gated == (1 if ignored or backend_missing else 0), gate_err


def test_blue_green_forwards_to_the_imported_target_group_by_its_tags(capsys):
    _, out, _ = plan(capsys, "-f", str(WALKTHROUGHS / "blue-green"), *IDENTITY)
    d = json.loads(out)
    (svc,) = d["services"]
    (rule,) = svc["listeners"][0]["rules"] or [None]
    action = rule["action"] if rule else svc["listeners"][0]["defaultAction"]
    weights = sorted(t["weight"] for t in action["forward"]["targetGroups"])
    assert weights == [20, 80]
    (lookup,) = d["targetGroupLookups"]
    assert lookup["source"] == {"kind": "ServiceImport", "namespace": "default", "name": "stock-v2"}
    assert lookup["tags"][A + "ServiceName"] == "stock-v2" and lookup["tags"][A + "SourceTypeKey"] == "ServiceExport"
    # the exporting side in the same folder: a standalone target group of the export
    exported = [t for t in d["targetGroups"] if t["source"]["kind"] == "ServiceExport"]
    assert [t["tags"][A + "ServiceName"] for t in exported] == ["stock-v2"]


def test_tls_blue_green_export_takes_its_target_group_policy(capsys):
    _, out, _ = plan(capsys, "-f", str(WALKTHROUGHS / "tls-blue-green"), *IDENTITY)
    d = json.loads(out)
    (tg,) = [t for t in d["targetGroups"] if t["source"]["kind"] == "ServiceExport"]
    assert tg["config"]["protocol"] == "TCP"
    assert not tg["config"].get("healthCheck", {}).get("enabled", False)


def test_mixed_standalone_associates_only_the_routes_that_override_it(capsys):
    _, out, _ = plan(capsys, "-f", str(WALKTHROUGHS / "mixed-standalone"), *IDENTITY)
    d = json.loads(out)
    networks = {s["source"]["name"]: s["serviceNetworks"] for s in d["services"]}
    assert networks == {"inherits-standalone": [], "https-standalone": [], "tls-standalone": [],
                        "overrides-standalone": ["mixed-resort"], "https-networked": ["mixed-resort"]}


def test_placeholder_identity_is_warned_about(capsys, monkeypatch):
    for var in ("CLUSTER_NAME", "CLUSTER_VPC_ID", "AWS_ACCOUNT_ID"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = plan(capsys, "-f", str(WALKTHROUGHS / "single-cluster"))
    assert code == 0
    assert "CLUSTER_NAME=cluster, CLUSTER_VPC_ID=vpc-00000000000000000, AWS_ACCOUNT_ID=123456789012 are placeholders" in err
    monkeypatch.setenv("CLUSTER_NAME", "prod")
    _, _, err = plan(capsys, "-f", str(WALKTHROUGHS / "single-cluster"), "--vpc-id", "vpc-0123456789abcdef0")
    assert "AWS_ACCOUNT_ID=123456789012 are placeholders" in err and "CLUSTER_NAME" not in err


def test_table_lists_skipped_and_ignored_objects(capsys):
    code, out, _ = plan(capsys, "-f", str(WALKTHROUGHS / "standalone"), *IDENTITY, "-o", "table")
    assert code == 0
    assert "✗ HTTPRoute default/standalone-api  [ignored: parent Gateway default/some-other-gateway not found]" in out
    _, out, _ = plan(capsys, "-f", str(WALKTHROUGHS / "mixed-standalone"), *IDENTITY, "-o", "table")
    assert "- ConfigMap lonely-settings  [skipped: latticegw does not read v1 ConfigMap]" in out
    assert os.path.isdir(WALKTHROUGHS)
