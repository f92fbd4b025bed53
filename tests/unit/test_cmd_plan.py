"""`latticegw plan`: the JSON contract, the table, and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from controller.cli import plan as cmd_plan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MY_HOTEL = os.path.join(ROOT, "examples", "my-hotel")
CHECKOUT = os.path.join(ROOT, "examples", "checkout-ab")


def cli_main(argv):
    # The plan subcommand on its own parser: these tests must not depend on every other subcommand
    # module importing cleanly (controller/cli/main.py imports them all to build its parser).
    import argparse

    assert argv[0] == "plan"
    parser = argparse.ArgumentParser(prog="latticegw plan")
    cmd_plan.add_arguments(parser)
    return cmd_plan.main(parser.parse_args(argv[1:]))


def plan(capsys, *args):
    code = cli_main(["plan", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_dispatches_plan_to_this_module():
    import ast

    tree = ast.parse(open(os.path.join(ROOT, "controller", "cli", "main.py")).read())
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == "controller.cli.plan"]
    assert found, "controller/cli/main.py no longer maps plan to controller.cli.plan"


def test_my_hotel_json_contract(capsys):
    code, out, _ = plan(capsys, "-f", MY_HOTEL)
    assert code == 0
    d = json.loads(out)
    assert {"serviceNetworks", "services", "targetGroups", "status"} <= set(d)
    svcs = {s["name"]: s for s in d["services"]}
    assert set(svcs) == {"rates-default", "inventory-default"}
    rates = svcs["rates-default"]
    assert rates["source"] == {"kind": "HTTPRoute", "namespace": "default", "name": "rates"}
    assert rates["serviceNetworks"] == ["my-hotel"] and rates["authType"] == "NONE"
    assert {"customDomainName", "certificateArn", "tags", "listeners"} <= set(rates)
    (lst,) = rates["listeners"]
    assert lst["defaultAction"] == {"fixedResponse": {"statusCode": 404}}
    assert [r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"] for r in lst["rules"]] == ["/parking", "/review"]
    assert [r["priority"] for r in lst["rules"]] == [1, 2]
    tg_names = {t["name"] for t in d["targetGroups"]}
    for r in lst["rules"]:
        for e in r["action"]["forward"]["targetGroups"]:
            assert e["targetGroupIdentifier"] in tg_names and e["weight"] == 1
    for tg in d["targetGroups"]:
        assert tg["type"] == "IP" and len(tg["targets"]) == 2
        assert tg["config"]["healthCheck"]["healthCheckIntervalSeconds"] == 30
        assert all(set(t) == {"id", "port"} and t["port"] == 8090 for t in tg["targets"])
    kinds = {(s["kind"], s["name"]) for s in d["status"]}
    assert ("Gateway", "my-hotel") in kinds and ("HTTPRoute", "rates") in kinds
    route = next(s for s in d["status"] if s["name"] == "rates")
    cond = route["parents"][0]["conditions"][0]
    assert set(cond) >= {"type", "status", "reason", "message"} and cond["status"] == "True"


def test_checkout_ab_weights_grant_and_health_check(capsys):
    code, out, _ = plan(capsys, "-f", CHECKOUT, "-o", "json")
    assert code == 0
    d = json.loads(out)
    (svc,) = d["services"]
    fwd = svc["listeners"][0]["rules"][0]["action"]["forward"]["targetGroups"]
    by_ns = {next(t for t in d["targetGroups"] if t["name"] == e["targetGroupIdentifier"])["backend"]["namespace"]: e["weight"] for e in fwd}
    assert by_ns == {"checkoutv2": 75, "checkout": 25}
    v2 = next(t for t in d["targetGroups"] if t["backend"]["namespace"] == "checkoutv2")
    assert v2["config"]["healthCheck"]["path"] == "/health"


def test_checkout_without_grant_is_refused(capsys, tmp_path):
    for name in os.listdir(CHECKOUT):
        text = open(os.path.join(CHECKOUT, name)).read()
        docs = [doc for doc in yaml.safe_load_all(text) if doc and doc.get("kind") != "ReferenceGrant"]
        (tmp_path / name).write_text(yaml.safe_dump_all(docs))
    code, out, _ = plan(capsys, "-f", str(tmp_path))
    assert code == 0
    d = json.loads(out)
    route = next(s for s in d["status"] if s["kind"] == "HTTPRoute")
    rr = next(c for c in route["parents"][0]["conditions"] if c["type"] == "ResolvedRefs")
    assert rr["reason"] == "RefNotPermitted"
    assert len(d["services"][0]["listeners"][0]["rules"][0]["action"]["forward"]["targetGroups"]) == 1


def test_table_and_yaml(capsys):
    code, out, _ = plan(capsys, "-f", MY_HOTEL, "-o", "table")
    assert code == 0
    assert "HTTPRoute default/rates" in out and "Prefix /parking" in out and "rates-default" in out
    assert "0 objects with problems" in out
    code, out, _ = plan(capsys, "-f", MY_HOTEL, "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)["services"][0]["name"] == "inventory-default"


def test_rejected_objects_are_marked_and_exit_zero(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text(open(os.path.join(MY_HOTEL, "00-gatewayclass.yaml")).read())
    (tmp_path / "b.yaml").write_text(open(os.path.join(MY_HOTEL, "01-gateway.yaml")).read() + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: default}
spec:
  parentRefs: [{name: my-hotel}]
  rules:
  - matches: [{path: {type: RegularExpression, value: "/x.*"}}]
    backendRefs: [{name: nope, port: 80}]
""")
    code, out, _ = plan(capsys, "-f", str(tmp_path), "-o", "table")
    assert code == 0
    assert "✗ HTTPRoute default/bad" in out and "RegularExpression" in out


def test_same_output_whatever_the_file_order(capsys):
    files = sorted(os.path.join(MY_HOTEL, f) for f in os.listdir(MY_HOTEL))
    _, a, _ = plan(capsys, *sum((["-f", f] for f in files), []))
    _, b, _ = plan(capsys, *sum((["-f", f] for f in reversed(files)), []))
    assert a == b


@pytest.mark.parametrize(
    "content,fragment",
    [
        ("kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nkind: [unclosed\n", "(document 1): invalid YAML"),
        ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {}\n", "(document 1): Deployment without metadata.name"),
        ("- just\n- a list\n", "(document 0): a document must be a mapping"),
        ("apiVersion: v1\nkind: Service\nmetadata: {}\n", "(document 0): Service without metadata.name"),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\napiVersion: v1\n", "(document 1): invalid YAML"),
    ],
)
def test_bad_input_exits_2_naming_file_and_document(capsys, tmp_path, content, fragment):
    f = tmp_path / "bad.yaml"
    f.write_text(content)
    code, out, err = plan(capsys, "-f", str(f))
    assert code == 2 and out == ""
    assert str(f) in err and fragment in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = plan(capsys, "-f", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err


def test_flags_and_env_configure_the_translation(capsys, monkeypatch):
    monkeypatch.setenv("CLUSTER_NAME", "from-env")
    monkeypatch.setenv("AWS_ACCOUNT_ID", "999988887777")
    code, out, _ = plan(capsys, "-f", MY_HOTEL, "--vpc-id", "vpc-0abc0abc0abc0abc0")
    d = json.loads(out)
    managed = d["services"][0]["tags"]["application-networking.k8s.aws/ManagedBy"]
    assert managed == "999988887777/from-env/vpc-0abc0abc0abc0abc0"
    code, out, _ = plan(capsys, "-f", MY_HOTEL, "--default-service-network", "shared-sn", "--service-network-override")
    d = json.loads(out)
    assert [s["name"] for s in d["serviceNetworks"]] == ["shared-sn"]


def test_runs_as_a_separate_process():
    code = "import sys; from controller.cli import plan as cmd_plan; import argparse; p = argparse.ArgumentParser(); " \
           "cmd_plan.add_arguments(p); sys.exit(cmd_plan.main(p.parse_args(sys.argv[1:])))"
    p = subprocess.run([sys.executable, "-c", code, "-f", MY_HOTEL, "-o", "table"], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    assert p.returncode == 0 and "my-hotel" in p.stdout


def test_timestamps_stay_strings_and_bad_types_exit_2(capsys, tmp_path):
    from controller.cli.manifests import load

    f = tmp_path / "a.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a, creationTimestamp: 2026-01-01T00:00:00Z}\n")
    assert load([str(f)])[0]["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    g = tmp_path / "b.yaml"
    g.write_text(open(os.path.join(MY_HOTEL, "00-gatewayclass.yaml")).read() + "---\n"
                 + open(os.path.join(MY_HOTEL, "01-gateway.yaml")).read() + "---\n" + open(os.path.join(MY_HOTEL, "02-services.yaml")).read()
                 + "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: x, namespace: default}\n"
                 "spec: {parentRefs: [{name: my-hotel}], rules: [{backendRefs: [{name: parking, port: 80, weight: heavy}]}]}\n")
    code, out, err = plan(capsys, "-f", str(g))
    assert code == 2 and "cannot translate" in err


def test_plan_accepts_tls_secrets_and_never_prints_their_data(capsys, tmp_path):
    from tests.tlsmaterial import certificate

    crt, key = certificate(("app.example.com",), with_ca=True)
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "lgw", "namespace": "default"},
          "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [
              {"name": "https", "protocol": "HTTPS", "port": 443,
               "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "app-tls"}]}}]}}
    gc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
          "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}}
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "app", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "lgw"}], "hostnames": ["app.example.com"],
                      "rules": [{"backendRefs": [{"name": "app", "port": 80}]}]}}
    # stringData, as people write Secrets by hand (the API server turns it into base64 data)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app-tls", "namespace": "default"},
              "type": "kubernetes.io/tls", "stringData": {"tls.crt": crt, "tls.key": key}}
    path = tmp_path / "tls.yaml"
    path.write_text(yaml.safe_dump_all([gc, gw, route, secret]))
    key_body = "".join(key.splitlines()[1:-1])
    for fmt in ("json", "yaml", "table"):
        code, out, err = plan(capsys, "-f", str(path), "-o", fmt)
        assert code == 0, err
        assert "PRIVATE KEY" not in out + err and key_body[:32] not in out + err
        assert "BEGIN CERTIFICATE" not in out
    d = json.loads(plan(capsys, "-f", str(path))[1])
    (svc,) = d["services"]
    assert svc["certificate"]["source"] == {"kind": "Secret", "namespace": "default", "name": "app-tls"}
    assert svc["certificate"]["domains"] == ["app.example.com"] and len(svc["certificate"]["fingerprint"]) == 24
    (gw_status,) = [s for s in d["status"] if s["kind"] == "Gateway"]
    conds = {c["type"]: c for c in gw_status["listeners"][0]["conditions"]}
    assert conds["ResolvedRefs"]["status"] == "True" and conds["Programmed"]["status"] == "True"
    # an Opaque Secret (type defaulted, as by the API server) is reported, not used
    secret.pop("type")
    path.write_text(yaml.safe_dump_all([gc, gw, route, secret]))
    d = json.loads(plan(capsys, "-f", str(path))[1])
    (gw_status,) = [s for s in d["status"] if s["kind"] == "Gateway"]
    conds = {c["type"]: c for c in gw_status["listeners"][0]["conditions"]}
    assert conds["ResolvedRefs"]["reason"] == "InvalidCertificateRef" and "Opaque" in conds["ResolvedRefs"]["message"]


def test_kinds_it_does_not_read_are_listed_and_skipped(capsys, tmp_path):
    """Users keep Deployments, ConfigMaps and the like next to their routes: plan skips them, says so, exits 0."""
    f = tmp_path / "app.yaml"
    f.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\n"
                 "metadata: {name: d, namespace: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, out, err = plan(capsys, "-f", str(f))
    assert code == 0 and json.loads(out)["status"] == []
    assert "Deployment shop/d  [skipped: latticegw does not read apps/v1 Deployment]" in err
    assert "ConfigMap c  [skipped: latticegw does not read v1 ConfigMap]" in err
