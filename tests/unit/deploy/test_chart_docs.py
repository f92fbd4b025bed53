"""Every helm command the documentation shows works as written, and the AWS Gateway API Controller
chart's value names fail with a message naming ours.

The commands are extracted from README.md, docs/ and deploy/README.md (fenced shell blocks and inline
code) and run through bash with the pinned helm: `helm install`/`helm upgrade` become `helm template`
with the same arguments, `helm package` runs as is, `oci://` chart references resolve to the packaged
chart. Shell variables get realistic values, `<placeholders>` a plausible word, and `-f FILE` the
file of that name the docs show (a fenced block whose first line is `# FILE`).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from .helm import CHART, CI_VALUES, ROOT, helm, helm_binary, one

pytestmark = pytest.mark.timeout(1500)

DOCS = [ROOT / "README.md", ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# What a user's shell holds when following getting-started.md (and a leading-zero account id, which a
# number would lose).
ENV = {"AWS_REGION": "us-west-2", "AWS_ACCOUNT_ID": "123456789012", "CLUSTER_VPC_ID": "vpc-0123456789abcdef0",
       "CLUSTER_NAME": "prod-eks"}
RENAMES = yaml.safe_load((CHART / "files" / "aws-chart-values.yaml").read_text())
# The AWS chart's values (aws-gateway-controller-chart v2.1.x helm/values.yaml), leaves or subtrees.
AWS_CHART_KEYS = [
    "awsRegion", "awsAccountId", "clusterVpcId", "clusterName", "latticeEndpoint", "defaultServiceNetwork",
    "enableServiceNetworkOverride", "log.level", "webhookEnabled", "disableTaggingServiceApi",
    "routeMaxConcurrentReconciles", "reconcileDefaultResyncSeconds", "image.repository", "image.tag",
    "image.pullPolicy", "image.pullSecrets", "nameOverride", "fullnameOverride", "deployment.annotations",
    "deployment.labels", "deployment.containerPort", "deployment.nodeSelector", "deployment.tolerations",
    "deployment.affinity", "deployment.priorityClassName", "deployment.replicas",
    "deployment.topologySpreadConstraints", "deployment.podSecurityContext", "deployment.containerSecurityContext",
    "role.labels", "installScope", "serviceAccount.create", "serviceAccount.name", "serviceAccount.annotations",
    "metrics.service.create", "metrics.service.type", "resources", "pdb.enabled", "pdb.minAvailable",
    "pdb.maxUnavailable", "webhookTLS.caCert", "webhookTLS.cert", "webhookTLS.key", "webhookTLS.certManager.enabled",
    "webhookTLS.certManager.certificateName", "webhookTLS.certManager.certificateSecretName",
    "installExternalDNSCRD"]


def _shell_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block."""
    return re.findall(r"^ *```([\w-]*)\n(.*?)^ *```", text, flags=re.S | re.M)


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for every helm command in the docs, continuation lines joined."""
    out = []
    for md in DOCS:
        text = md.read_text()
        where = str(md.relative_to(ROOT))
        for info, body in _shell_blocks(text):
            if info not in ("", "sh", "bash", "shell", "console"):
                continue
            body = re.sub(r"\\\n\s*", " ", body)
            for line in body.splitlines():
                for part in re.split(r"&&|;", line.split(" #", 1)[0]):
                    part = part.strip().removeprefix("$ ")
                    if part.startswith("helm "):
                        out.append((where, part))
        for span in re.findall(r"`(helm [^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
            if len(span.split()) > 2:  # `helm upgrade` alone names the verb, it is not a command
                out.append((where, span))
    return out


def documented_files() -> dict[str, str]:
    """Files the docs show: a fenced yaml block whose first line is `# <name>.yaml`."""
    out = {}
    for md in DOCS:
        for info, body in _shell_blocks(md.read_text()):
            first = body.splitlines()[0] if body else ""
            m = re.fullmatch(r"#\s*([\w.-]+\.ya?ml)\s*", first)
            if info in ("yaml", "yml") and m:
                out[m.group(1)] = body
    return out


def test_the_docs_show_helm_commands_and_no_elided_ones():
    cmds = documented_commands()
    verbs = {shlex.split(c)[1] for _, c in cmds}
    assert {"install", "package"} <= verbs, cmds
    for where, cmd in cmds:
        # an elided command ("helm install --skip-crds ...") cannot be run as written: spell it out
        assert "..." not in cmd and "…" not in cmd, (where, cmd)


def _packaged_chart(tmp: Path) -> Path:
    res = helm("package", str(CHART), "--destination", str(tmp))
    assert res.returncode == 0, res.stderr
    (tgz,) = tmp.glob("latticegw-*.tgz")
    return tgz


def _runnable(cmd: str, tgz: Path) -> str | None:
    """The command as helm will run it here, or None for commands that need a cluster or a registry."""
    words = shlex.split(cmd, posix=False)  # keep the quoting for bash
    verb = words[1]
    if verb in ("uninstall", "push", "repo", "registry", "status", "list", "rollback"):
        return None
    if verb in ("install", "upgrade"):
        words = [w for w in words if w != "--install"]
        words[1] = "template"
    words[0] = '"$HELM"'
    text = " ".join(words)
    text = text.replace("deploy/chart/latticegw", str(CHART))
    text = re.sub(r"oci://\S+/latticegw", str(tgz), text)
    return re.sub(r"<([\w-]+)>", r"\1.example", text)  # <registry> -> registry.example


def test_every_documented_helm_command_works_as_written(tmp_path):
    tgz = _packaged_chart(tmp_path / "pkg")
    version = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
    files = documented_files()
    ran = 0
    for where, cmd in documented_commands():
        for m in re.finditer(r"--version[ =](\S+)", cmd):
            assert m.group(1) == version, (where, cmd)
        runnable = _runnable(cmd, tgz)
        if runnable is None:
            continue
        work = tmp_path / f"cmd{ran}"
        work.mkdir()
        for name in re.findall(r"(?:-f|--values)[ =](\S+)", cmd):
            assert name in files, f"{where}: `{cmd}` uses {name}, but no doc shows it (a ```yaml block starting `# {name}`)"
            (work / name).write_text(files[name])
        res = subprocess.run(["bash", "-c", runnable], cwd=work, capture_output=True, text=True, timeout=120,
                             env={**os.environ, **ENV, "HELM": helm_binary()})
        assert res.returncode == 0, f"{where}: `{cmd}` fails:\n{res.stderr}"
        if " template " in runnable:
            docs = [d for d in yaml.safe_load_all(res.stdout) if d]
            env = {e["name"]: e.get("value") for e in
                   one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]}
            if "$AWS_ACCOUNT_ID" in cmd:  # the number `--set` parses is rendered as the account id
                assert env["AWS_ACCOUNT_ID"] == ENV["AWS_ACCOUNT_ID"], (where, env["AWS_ACCOUNT_ID"])
        ran += 1
    assert ran >= 3


@pytest.mark.parametrize("account", ["123456789012", "012345678901"])
def test_account_id_given_as_a_number_renders_as_twelve_digits(tmp_path, account):
    def rendered(*args: str) -> str:
        res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), *args)
        assert res.returncode == 0, res.stderr
        dep = one([d for d in yaml.safe_load_all(res.stdout) if d], "Deployment")
        return {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}

    assert rendered("--set", f"aws.accountId={account}")["AWS_ACCOUNT_ID"] == account
    values = tmp_path / "v.yaml"
    values.write_text(f"aws:\n  accountId: {account}\n  clusterName: 1234\n")  # unquoted: YAML numbers
    env = rendered("-f", str(values))
    assert env["AWS_ACCOUNT_ID"] == account and env["CLUSTER_NAME"] == "1234"
    res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), "--set", "aws.accountId=1234567890123")  # 13 digits
    assert res.returncode != 0 and "accountId" in res.stderr


def _aws_chart_table() -> dict[str, str]:
    text = (ROOT / "docs" / "reference" / "helm-values.md").read_text()
    section = text.split("## From the AWS controller's chart", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 2:
            rows[cells[0].strip("`")] = cells[1]
    return rows


def _our_leaves() -> set[str]:
    def walk(d, prefix=""):
        for k, v in d.items():
            path = f"{prefix}.{k}" if prefix else k
            yield path
            if isinstance(v, dict):
                yield from walk(v, path)

    return set(walk(yaml.safe_load((CHART / "values.yaml").read_text())))


def test_the_aws_chart_table_covers_every_aws_value_and_matches_the_chart():
    table = _aws_chart_table()
    ours = _our_leaves()
    for key in AWS_CHART_KEYS:
        prefixes = [".".join(key.split(".")[:i]) for i in range(len(key.split(".")), 0, -1)]
        entry = next((p for p in prefixes if p in RENAMES), None)
        if entry is None:  # a name both charts share
            assert key in ours, f"{key}: neither one of our values nor in files/aws-chart-values.yaml"
            assert table.get(key) == "the same", (key, table.get(key))
        else:
            assert entry in table, f"{entry} is missing from the table in docs/reference/helm-values.md"
    for old, spec in RENAMES.items():
        assert old not in ours, f"{old} is both an AWS chart name we reject and one of our values"
        if "use" in spec:
            assert spec["use"] in ours, (old, spec)
            assert table[old] == f"`{spec['use']}`", (old, table[old])
        else:
            assert table[old] == f"none: {spec['none']}", (old, table[old])


def _set(key: str) -> list[str]:
    if key.endswith(("annotations", "labels", "nodeSelector", "affinity", "podSecurityContext",
                     "containerSecurityContext", "webhookTLS")):
        return ["--set", f"{key}.a=b"]
    if key.endswith(("tolerations", "topologySpreadConstraints", "pullSecrets")):
        return ["--set", f"{key}[0]=x"]
    return ["--set", f"{key}=1"]


@pytest.mark.parametrize("old", sorted(RENAMES))
def test_an_aws_chart_value_name_fails_naming_our_key(old):
    res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), *_set(old))
    assert res.returncode != 0
    spec = RENAMES[old]
    wanted = f"set {spec['use']} instead" if "use" in spec else spec["none"]
    assert old in res.stderr and wanted in res.stderr, res.stderr


def test_an_aws_values_file_reports_every_old_name_at_once(tmp_path):
    values = tmp_path / "aws-values.yaml"
    values.write_text("awsRegion: us-west-2\nawsAccountId: 123456789012\nclusterName: prod\n"
                      "log:\n  level: debug\ndeployment:\n  replicas: 2\n")
    res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), "-f", str(values))
    assert res.returncode != 0
    for old, new in (("awsRegion", "aws.region"), ("awsAccountId", "aws.accountId"), ("clusterName", "aws.clusterName"),
                     ("log.level", "logLevel"), ("deployment.replicas", "replicaCount")):
        assert f"{old} is the AWS Gateway API Controller chart's name: set {new} instead" in res.stderr, res.stderr
    # a key the AWS chart never had is still a schema error naming it
    res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), "--set", "deployment.replcas=2")
    assert res.returncode != 0 and "replcas" in res.stderr
