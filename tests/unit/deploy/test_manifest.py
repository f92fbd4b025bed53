"""deploy/latticegw.yaml (for kubectl users) is the chart rendered with its defaults, up to date."""

from __future__ import annotations

import subprocess

import yaml

from .helm import ROOT


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
