"""Every object the chart renders passes server-side dry-run on the real API server."""

from __future__ import annotations

import pytest

from tests.unit.deploy.helm import render

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]  # helm may build on first use


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


async def test_the_deployments_pod_is_admitted(kube, namespace):
    """No controller-manager runs here, so create the Deployment's pod itself (dry-run): pod
    validation and admission (priority class, service account, security context) accept it."""
    from tests.unit.deploy.helm import one

    docs = render(release=f"pod-{namespace}", namespace=namespace)
    sa = one(docs, "ServiceAccount")
    await kube.apply(sa)
    template = one(docs, "Deployment")["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {**template["metadata"], "name": "latticegw-pod", "namespace": namespace},
           "spec": template["spec"]}
    status, body = await kube.request("POST", f"/api/v1/namespaces/{namespace}/pods?dryRun=All", pod)
    assert status == 201, body
    assert body["spec"]["priority"] > 1_000_000_000  # system-cluster-critical resolved by admission
    assert body["spec"]["securityContext"]["runAsNonRoot"] is True
