"""Every object the chart renders passes server-side dry-run on the real API server."""

from __future__ import annotations

import pytest

from tests.unit.deploy.helm import render

pytestmark = pytest.mark.integration


async def test_rendered_chart_passes_server_side_dry_run(kube, namespace):
    docs = render({"gatewayClass.name": f"dry-run-{namespace}", "queue.shards": 4},
                  release=f"dry-{namespace}", namespace=namespace)
    kinds = set()
    for obj in docs:
        path = await kube.object_path(obj)
        status, body = await kube.request(
            "PATCH", f"{path}?dryRun=All&fieldManager=latticegw-chart-test&force=true", obj,
            content_type="application/apply-patch+yaml")
        assert status in (200, 201), (obj["kind"], obj["metadata"]["name"], body)
        kinds.add(obj["kind"])
    assert {"Deployment", "ClusterRole", "Role", "ServiceAccount", "PodDisruptionBudget", "Service",
            "GatewayClass", "CustomResourceDefinition"} <= kinds
    # dry-run wrote nothing
    status, body = await kube.request("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments")
    assert body["items"] == []


async def test_kubectl_manifest_passes_server_side_dry_run(kube):
    import yaml

    from tests.unit.deploy.helm import ROOT

    docs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "latticegw.yaml").read_text()) if d]
    await kube.create_namespace("latticegw-system")
    for obj in docs:
        path = await kube.object_path(obj)
        status, body = await kube.request(
            "PATCH", f"{path}?dryRun=All&fieldManager=kubectl&force=true", obj,
            content_type="application/apply-patch+yaml")
        assert status in (200, 201), (obj["kind"], obj["metadata"]["name"], body)
