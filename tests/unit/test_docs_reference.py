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
# Read outside the ENV table, at start-up: the one-address shortcut (by load) and the log format
# (by the logging setup, before any configuration is loaded).
EXTRA_ENV = {"LATTICEGW_SIDECAR_ADDRESS", "LATTICEGW_LOG_FORMAT"}
# Defaults the page describes in words (they depend on the host or on other settings).
DYNAMIC_DEFAULTS = {"identity", "kubeconfig", "queue_flush_interval", "reconcilers", "aws_pool"}
# The fields of config.ENV that make the AWS client's settings (config.lattice_config).
AWS_CLIENT_FIELDS = {f for f, envs, _ in config.ENV if envs and envs[0].startswith("LATTICEGW_AWS_")} | {
    "disable_tagging_service_api", "tagging_endpoint", "acm_endpoint"}


def _fmt_default(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value == "":
        return '""'
    return str(value)


def _settings_rows(text: str) -> dict[str, list[str]]:
    """{variable: its row} of the settings tables (all but "Other environment the process honours")."""
    rows = {}
    for row in table_rows(text.split("## Other environment", 1)[0]):
        for name in ticked(row[0]):
            if name.isupper():
                rows[name] = row
    return rows


def test_every_env_var_is_documented_with_its_default():
    """Derived from the code: every variable of controller/config.py's ENV (the one loader) has a
    row with the default the code has, and every documented variable is one the code reads."""
    text = (REF / "configuration.md").read_text()
    rows = _settings_rows(text)
    aws_section = {n for row in table_rows(text.split("## AWS client", 1)[1].split("\n## ", 1)[0])
                   for n in ticked(row[0])}
    defaults = config.Config()
    for field, envs, _kind in config.ENV:
        for env in envs:
            assert env in rows, f"{env} is not documented in docs/reference/configuration.md"
        row = rows[envs[0]] if envs else None
        if field in AWS_CLIENT_FIELDS:
            assert envs[0] in aws_section, f"{envs[0]} belongs in the AWS client section"
        if row is None or field in DYNAMIC_DEFAULTS:
            continue  # dynamic defaults, described in words
        assert ticked(row[2]) == [_fmt_default(getattr(defaults, field))], (envs[0], row[2])
    for env in EXTRA_ENV:
        assert env in rows
    known = {e for _, envs, _ in config.ENV for e in envs} | EXTRA_ENV
    assert set(rows) <= known, f"documented but unknown to controller/config.py: {sorted(set(rows) - known)}"


def test_the_aws_client_defaults_are_the_lattice_clients():
    """The documented (Config) defaults of the AWS client are LatticeConfig's own."""
    from lattice.config import LatticeConfig

    lattice = config.lattice_config(config.Config())
    assert lattice.buckets == LatticeConfig().buckets
    assert (lattice.max_attempts, lattice.max_retry_wait) == (LatticeConfig().max_attempts,
                                                             LatticeConfig().max_retry_wait)


def test_no_other_module_reads_the_environment():
    """controller/config.py is the one loader: no other module of ours reads os.environ, except
    what runs once at process start: the entry points that hand it to the loader (and set up the
    demo's own process; LATTICEGW_DEBUG for tracebacks), kubeconfig discovery (KUBECONFIG, as
    kubectl), the OpenTelemetry setup (standard OTEL_* variables) and the local API server's
    binaries. tests/integration/e2e/test_environment.py checks that no reconcile reads it."""
    allowed = {"controller/config.py", "controller/cli/main.py", "controller/cli/run.py", "controller/cli/plan.py",
               "controller/cli/status.py", "controller/cli/diff.py", "controller/cli/demo.py", "controller/kube/client.py", "controller/observe/logging.py",
               "controller/observe/tracing.py", "controller/localkube/artifacts.py", "controller/build_info.py"}
    offenders = []
    for package in ("controller", "lattice", "translate"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel in allowed or rel.startswith("lattice/emulator/"):
                continue
            if re.search(r"\bos\.(environ|getenv|putenv)\b|\bfrom os import .*environ", path.read_text()):
                offenders.append(rel)
    assert offenders == []


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
