"""deploy/latticegw.yaml (for kubectl users) is the chart rendered with its defaults, up to date."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from .helm import ROOT

# The first helm use builds it when ~/.cache/latticegw has none (minutes; `make test` builds it first).
pytestmark = pytest.mark.timeout(1500)


def test_rendered_manifest_is_up_to_date(tmp_path):
    out = tmp_path / "latticegw.yaml"
    subprocess.run(["bash", str(ROOT / "deploy" / "tools" / "render_manifest.sh"), str(out)], check=True,
                   capture_output=True, timeout=300)
    assert (ROOT / "deploy" / "latticegw.yaml").read_text() == out.read_text(), (
        "run bash deploy/tools/render_manifest.sh")
    docs = [d for d in yaml.safe_load_all(out.read_text()) if d]
    assert docs[0] == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "latticegw-system"}}
    namespaced = [d for d in docs if d["kind"] in ("Deployment", "Role", "RoleBinding", "ServiceAccount", "Service",
                                                   "PodDisruptionBudget")]
    assert namespaced and all(d["metadata"]["namespace"] == "latticegw-system" for d in namespaced)


def test_the_manifests_placeholders_stop_the_controller_at_start():
    """deploy/latticegw.yaml carries SET-ME for the AWS identity: `latticegw run` must refuse it
    (exit 2 naming the variable) rather than tag real resources with a made-up owner."""
    import pytest

    from controller import config

    docs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "latticegw.yaml").read_text()) if d]
    (dep,) = [d for d in docs if d["kind"] == "Deployment"]
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    assert [k for k, v in env.items() if v == "SET-ME"] == ["REGION", "AWS_ACCOUNT_ID", "CLUSTER_VPC_ID", "CLUSTER_NAME"]
    with pytest.raises(config.ConfigError, match="AWS_ACCOUNT_ID"):
        config.load({}, env)
    # the other three are refused as placeholders too (against real AWS: the manifest sets no endpoint)
    cfg = config.load({}, {**env, "AWS_ACCOUNT_ID": "210987654321"})
    with pytest.raises(config.ConfigError, match="REGION: 'SET-ME' is a placeholder"):
        config.check_identity(cfg)
