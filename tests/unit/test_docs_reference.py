"""The reference pages in docs/reference/ against the code, so they cannot drift."""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

import yaml

from controller import config
from controller.cli import run as cmd_run
from controller.observe.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "docs" / "reference"
PREFIX = "application-networking.k8s.aws/"


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# ----------------------------------------------------------------------------- configuration
EXTRA_ENV = {"LATTICEGW_SIDECAR_ADDRESS", "LATTICEGW_RECONCILERS", "LATTICEGW_LOG_FORMAT"}


def _fmt_default(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value == "":
        return '""'
    return str(value)


def test_every_env_var_is_documented_with_its_default():
    text = (REF / "configuration.md").read_text().split("## AWS client", 1)[0]  # controller/config.py's part
    rows = {}
    for row in table_rows(text):
        for name in ticked(row[0]):
            if name.isupper():
                rows[name] = row
    defaults = config.Config()
    for field, envs, _kind in config.ENV:
        for env in envs:
            assert env in rows, f"{env} is not documented in docs/reference/configuration.md"
        row = rows[envs[0]] if envs else None
        if row is None or field in ("identity", "kubeconfig", "queue_flush_interval"):
            continue  # dynamic defaults, described in words
        assert ticked(row[2]) == [_fmt_default(getattr(defaults, field))], (envs[0], row[2])
    for env in EXTRA_ENV:
        assert env in rows
    known = {e for _, envs, _ in config.ENV for e in envs} | EXTRA_ENV
    documented = {n for n in rows if n.startswith(("LATTICEGW_",)) or n in {
        "REGION", "CLUSTER_VPC_ID", "CLUSTER_NAME", "AWS_ACCOUNT_ID", "DEFAULT_SERVICE_NETWORK",
        "ENABLE_SERVICE_NETWORK_OVERRIDE", "LOG_LEVEL", "ROUTE_MAX_CONCURRENT_RECONCILES",
        "RECONCILE_DEFAULT_RESYNC_SECONDS", "LATTICE_ENDPOINT"}}
    assert documented <= known, f"documented but unknown to controller/config.py: {sorted(documented - known)}"


def test_every_aws_client_variable_is_documented_with_its_default():
    """lattice/config.py reads its own variables (from_env): each must have a row, and the bucket
    rows must state the defaults the code has."""
    from lattice import config as lattice_config

    text = (REF / "configuration.md").read_text()
    section = text.split("## AWS client", 1)[1].split("\n## ", 1)[0]
    rows = {name: row for row in table_rows(section) for name in ticked(row[0])}
    everywhere = {name for row in table_rows(text) for name in ticked(row[0])}
    source = (ROOT / "lattice" / "config.py").read_text()
    names = set(re.findall(r'"((?:LATTICEGW_|DISABLE_|REGION|AWS_REGION)[A-Z0-9_]*)"', source))
    for cls, spec in lattice_config.DEFAULT_BUCKETS.items():
        qps, burst = f"LATTICEGW_AWS_{cls.upper()}_QPS", f"LATTICEGW_AWS_{cls.upper()}_BURST"
        names |= {qps, burst}
        assert ticked(rows[qps][1]) == [_fmt_default(spec.rate), _fmt_default(spec.burst)], rows[qps]
    missing = sorted(n for n in names if n not in everywhere)
    assert not missing, f"read by lattice/config.py but not documented: {missing}"


def test_every_run_flag_is_documented():
    text = (REF / "configuration.md").read_text()
    parser = argparse.ArgumentParser()
    cmd_run.add_arguments(parser)
    flags = {s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
    documented = {t for row in table_rows(text) for t in ticked(row[1]) if t.startswith("--")}
    assert flags == documented, (sorted(flags - documented), sorted(documented - flags))


def test_reference_env_names_are_the_aws_controllers():
    envs = {e for _, names, _ in config.ENV for e in names}
    for name in ("REGION", "CLUSTER_VPC_ID", "CLUSTER_NAME", "AWS_ACCOUNT_ID", "DEFAULT_SERVICE_NETWORK",
                 "ENABLE_SERVICE_NETWORK_OVERRIDE", "LOG_LEVEL", "ROUTE_MAX_CONCURRENT_RECONCILES",
                 "RECONCILE_DEFAULT_RESYNC_SECONDS", "LATTICE_ENDPOINT"):
        assert name in envs


# ----------------------------------------------------------------------------- metrics
def registered_metrics() -> dict[str, tuple[str, tuple[str, ...]]]:
    from prometheus_client.metrics import MetricWrapperBase

    m = Metrics()
    out = {}
    for value in vars(m).values():
        if isinstance(value, MetricWrapperBase):
            name = value._name + ("_total" if value._type == "counter" else "")
            out[name] = (value._type, tuple(value._labelnames))
    for fam in m.registry.collect():  # scrape-time collectors (no MetricWrapperBase)
        if fam.name not in out and fam.name + "_total" not in out:
            labels = tuple(fam.samples[0].labels) if fam.samples else None
            out[fam.name] = (fam.type, labels)
    return out


def test_every_metric_is_documented_with_type_and_labels():
    rows = {ticked(r[0])[0]: r for r in table_rows((REF / "metrics.md").read_text()) if ticked(r[0])}
    reg = registered_metrics()
    for name, (type_, labels) in reg.items():
        assert name in rows, f"metric {name} is not documented in docs/reference/metrics.md"
        row = rows[name]
        assert row[1] == type_, (name, row[1], type_)
        if labels is not None:
            assert tuple(ticked(row[2])) == labels, (name, row[2], labels)
    documented = {n for n in rows if re.fullmatch(r"[a-z_]+", n)}
    assert documented <= set(reg) | {"workqueue_unfinished_work_seconds", "workqueue_longest_running_processor_seconds"}


# ----------------------------------------------------------------------------- annotations
def code_keys() -> set[str]:
    found: set[str] = set()
    for pkg in ("translate", "controller", "lattice"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "emulator" in path.parts or "localkube" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if node.value.startswith(PREFIX) and len(node.value) > len(PREFIX) and " " not in node.value:
                        found.add(node.value[len(PREFIX):])
                if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
                        and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str)):
                    left = node.left
                    name = left.id if isinstance(left, ast.Name) else getattr(left, "attr", None)
                    if name in ("ANNOTATION_PREFIX", "A"):
                        found.add(node.right.value)
    return found


def all_literals() -> set[str]:
    out: set[str] = set()
    for pkg in ("translate", "controller", "lattice"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "emulator" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    out.add(node.value)
    return out


def test_every_annotation_and_tag_in_the_code_is_documented():
    text = (REF / "annotations.md").read_text()
    documented = set(re.findall(r"`application-networking\.k8s\.aws/([A-Za-z0-9<>._-]+)`", text))
    for key in code_keys():
        if key.endswith("-"):  # a prefix such as "rule-" (rule-<i>-priority)
            assert any(d.startswith(key) for d in documented), key
        else:
            assert key in documented, f"{PREFIX}{key} is used by the code but not documented"
    literals = all_literals()
    for key in documented:
        stem = key.split("<")[0]
        assert (key in code_keys() or stem in code_keys() or key in literals), f"documented {key} unknown to the code"


def test_progress_record_is_documented_on_every_kind_it_is_written_on():
    from controller.annotations import ANNOTATED_KINDS
    from controller.progress import ANNOTATION

    text = (REF / "annotations.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith(f"| `{ANNOTATION}`")]
    for kind in ANNOTATED_KINDS:
        plural = "routes" if kind.endswith("Route") else kind + "s"
        assert plural in row, (kind, row)


def test_finalizers_are_documented():
    text = (REF / "annotations.md").read_text()
    from controller.reconcilers.finalizers import AWS_FINALIZERS, FINALIZERS

    for name in [*FINALIZERS.values(), *(n for names in AWS_FINALIZERS.values() for n in names)]:
        assert f"`{name}`" in text, name


# ----------------------------------------------------------------------------- CRDs
def _spec_paths(schema: dict, prefix: str) -> list[str]:
    out = []
    for key, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{key}"
        out.append(path)
        if sub.get("type") == "object":
            out.extend(_spec_paths(sub, path))
        elif sub.get("type") == "array" and (sub.get("items") or {}).get("type") == "object":
            out.extend(_spec_paths(sub["items"], path + "[]"))
    return out


def test_every_crd_kind_and_spec_field_is_documented():
    text = (REF / "crds.md").read_text()
    for path in sorted((ROOT / "deploy" / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        kind = crd["spec"]["names"]["kind"]
        assert f"## {kind}" in text, kind
        section = text.split(f"## {kind}", 1)[1].split("\n## ", 1)[0]
        for short in crd["spec"]["names"].get("shortNames", []):
            assert f"`{short}`" in section, (kind, short)
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
        for field in _spec_paths(schema.get("spec", {}), "spec"):
            if field.startswith("spec.targetRef."):
                continue  # described once for all policies
            if kind == "ServiceImport" and field.startswith("spec.ports[]."):
                continue
            assert f"`{field}`" in section, f"{kind} {field} is not documented in docs/reference/crds.md"


# ----------------------------------------------------------------------------- helm values
def _leaves(d: dict, prefix: str = ""):
    for key, value in d.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


def test_every_helm_value_is_documented_with_its_default():
    values = yaml.safe_load((ROOT / "deploy" / "chart" / "latticegw" / "values.yaml").read_text())
    ours = (REF / "helm-values.md").read_text().split("\n## ", 1)[0]  # not the AWS chart's names table
    rows = {ticked(r[0])[0]: r for r in table_rows(ours) if ticked(r[0])}
    leaves = dict(_leaves(values))
    for path, value in leaves.items():
        assert path in rows, f"values.yaml key {path} is not documented"
        assert ticked(rows[path][1]) == [json.dumps(value)], (path, rows[path][1])
    documented = {k for k in rows if "." in k or k in leaves}
    documented = {k for k in documented if re.fullmatch(r"[a-zA-Z.]+", k) and not k.endswith(".md")}
    assert documented <= set(leaves) | {"ServiceAccount", "Deployment"}, sorted(documented - set(leaves))


# ----------------------------------------------------------------------------- links
def test_relative_links_in_docs_resolve():
    for md in (ROOT / "docs").rglob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", md.read_text()):
            if "://" in target:
                continue
            assert (md.parent / target).exists(), f"{md.relative_to(ROOT)} links to missing {target}"


def test_repository_paths_named_in_docs_exist():
    for md in (ROOT / "docs").rglob("*.md"):
        for path in re.findall(r"(?<![\w/.-])((?:deploy|examples|tests|controller|translate|lattice)/[\w./-]*[\w/])",
                               md.read_text()):
            if "<" in path:
                continue
            assert (ROOT / path).exists(), f"{md.relative_to(ROOT)} names missing {path}"


# ----------------------------------------------------------------------------- status and events
def condition_names() -> set[str]:
    from translate.status import conditions

    return {v for k, v in vars(conditions).items() if isinstance(v, str) and k.isupper()
            and k not in ("TRUE", "FALSE", "UNKNOWN")}


def event_reasons() -> set[str]:
    found: set[str] = set()
    for pkg in ("translate", "controller"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "localkube" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            # Module-level NAME = "Reason" constants, so an event reason passed by name counts too.
            constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                         and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                         for t in n.targets if isinstance(t, ast.Name)}
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                index = {"Event": 1, "event": 2}.get(name)
                if index is not None and len(node.args) > index:
                    arg = node.args[index]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
                    elif isinstance(arg, ast.Name) and arg.id in constants:
                        found.add(constants[arg.id])
    return found


def test_every_condition_type_reason_and_event_reason_is_documented():
    text = (REF / "status.md").read_text()
    documented = {t for row in table_rows(text) for t in ticked(row[0])}
    missing = sorted((condition_names() | event_reasons()) - documented)
    assert not missing, f"not documented in docs/reference/status.md: {missing}"
    assert event_reasons() >= {"DeploySucceed", "FailedDeployModel"}


def test_helm_set_flags_in_docs_name_real_values():
    values = yaml.safe_load((ROOT / "deploy" / "chart" / "latticegw" / "values.yaml").read_text())
    leaves = dict(_leaves(values))
    for md in (ROOT / "docs").rglob("*.md"):
        for key in re.findall(r"--set(?:-string)? ([\w.]+)=", md.read_text()):
            assert key in leaves, f"{md.relative_to(ROOT)}: --set {key} is not a chart value"
    text = (ROOT / "docs" / "getting-started.md").read_text()
    for key in ("aws.region", "aws.accountId", "aws.clusterVpcId", "aws.clusterName"):  # required by the chart
        assert f"--set {key}=" in text
