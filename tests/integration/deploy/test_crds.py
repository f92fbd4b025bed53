"""The deploy/crds CRDs on the real API server: installed by the `kube` fixture, they accept the
reference's manifests (and ours in examples/), reject what the reference's CRDs reject, serve a
status subresource, and print their columns."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

GV = "application-networking.k8s.aws/v1alpha1"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
PLURALS = ("targetgrouppolicies", "vpcassociationpolicies", "accesslogpolicies", "iamauthpolicies",
           "serviceexports", "serviceimports")


@pytest.fixture(autouse=True)
async def _cleanup(kube, namespace):
    """The harness has no namespace controller, so a deleted namespace keeps its objects: delete
    ours, or later tests' controllers (which watch the whole cluster) would reconcile them."""
    yield
    for plural in PLURALS:
        await kube.request("DELETE", f"/apis/{GV}/namespaces/{namespace}/{plural}")


def _tgp(ns, **spec):
    return {
        "apiVersion": GV, "kind": "TargetGroupPolicy", "metadata": {"name": "tgp", "namespace": ns},
        "spec": {"targetRef": {"group": "", "kind": "Service", "name": "svc"}, **spec},
    }


def _objects(ns):
    ref_gw = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}
    return [
        _tgp(ns, protocol="HTTP", protocolVersion="HTTP2", healthCheck={
            "enabled": True, "intervalSeconds": 10, "timeoutSeconds": 2, "healthyThresholdCount": 3,
            "unhealthyThresholdCount": 2, "path": "/health", "port": 8080, "protocol": "HTTP",
            "protocolVersion": "HTTP1", "statusMatch": "200-299"}),
        {"apiVersion": GV, "kind": "VpcAssociationPolicy", "metadata": {"name": "vap", "namespace": ns},
         "spec": {"targetRef": ref_gw, "associateWithVpc": True, "securityGroupIds": ["sg-0123abcd"]}},
        {"apiVersion": GV, "kind": "AccessLogPolicy", "metadata": {"name": "alp", "namespace": ns},
         "spec": {"targetRef": ref_gw, "destinationArn": "arn:aws:s3:::my-logs"}},
        {"apiVersion": GV, "kind": "IAMAuthPolicy", "metadata": {"name": "iap", "namespace": ns},
         "spec": {"targetRef": {**ref_gw, "kind": "HTTPRoute", "name": "r"},
                  "policy": '{"Version":"2012-10-17","Statement":[]}'}},
        {"apiVersion": GV, "kind": "ServiceExport", "metadata": {
            "name": "svc", "namespace": ns,
            "annotations": {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"}},
         "spec": {"exportedPorts": [{"port": 80, "routeType": "HTTP"}, {"port": 8443, "routeType": "TLS"}]}},
        {"apiVersion": GV, "kind": "ServiceImport", "metadata": {"name": "svc", "namespace": ns},
         "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]}},
    ]


async def test_reference_manifests_are_accepted(kube, namespace):
    for obj in _objects(namespace):
        out = await kube.apply(obj)
        assert out["spec"] == obj["spec"], obj["kind"]  # nothing pruned


async def test_service_network_is_cluster_scoped(kube):
    obj = {"apiVersion": GV, "kind": "ServiceNetwork", "metadata": {"name": "crd-test-sn"}}
    out = await kube.apply(obj)
    assert "namespace" not in out["metadata"]
    status, _ = await kube.request("DELETE", f"/apis/{GV}/servicenetworks/crd-test-sn")
    assert status == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"healthCheck": {"intervalSeconds": 4}},
        {"healthCheck": {"timeoutSeconds": 121}},
        {"healthCheck": {"healthyThresholdCount": 11}},
        {"healthCheck": {"port": 0}},
        {"healthCheck": {"protocol": "TCP"}},
        {"healthCheck": {"protocolVersion": "GRPC"}},
        {"targetRef": {"kind": "Service", "name": "svc"}},  # group is required ("" for core)
        {"targetRef": {"group": "", "kind": "Service", "name": ""}},
    ],
)
async def test_invalid_target_group_policies_are_rejected(kube, namespace, spec):
    obj = _tgp(namespace)
    obj["spec"].update(spec)
    status, body = await kube.request("POST", f"/apis/{GV}/namespaces/{namespace}/targetgrouppolicies", obj)
    assert status == 422, body


@pytest.mark.parametrize(
    ("kind", "plural", "spec"),
    [
        ("VpcAssociationPolicy", "vpcassociationpolicies", {"securityGroupIds": ["not-a-sg"]}),
        ("VpcAssociationPolicy", "vpcassociationpolicies", {"securityGroupIds": []}),
        ("AccessLogPolicy", "accesslogpolicies", {"destinationArn": "s3://bucket"}),
        ("AccessLogPolicy", "accesslogpolicies", {}),  # destinationArn required
        ("IAMAuthPolicy", "iamauthpolicies", {}),  # policy required
    ],
)
async def test_invalid_policies_are_rejected(kube, namespace, kind, plural, spec):
    obj = {"apiVersion": GV, "kind": kind, "metadata": {"name": "bad", "namespace": namespace},
           "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}, **spec}}
    status, body = await kube.request("POST", f"/apis/{GV}/namespaces/{namespace}/{plural}", obj)
    assert status == 422, body


async def test_values_the_controller_reports_are_left_to_it(kube, namespace):
    """An unknown protocol is accepted by the API server (as by the reference's CRD) and reported
    by the controller on the policy's Accepted condition (translate/policies.py)."""
    out = await kube.apply(_tgp(namespace, protocol="GRPC"))
    assert out["spec"]["protocol"] == "GRPC"


async def test_status_subresource_and_printer_columns(kube, namespace):
    obj = await kube.apply(_tgp(namespace, protocol="HTTPS"))
    path = f"/apis/{GV}/namespaces/{namespace}/targetgrouppolicies/tgp"
    cond = {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
            "observedGeneration": obj["metadata"]["generation"], "lastTransitionTime": "2026-01-01T00:00:00Z"}
    status, body = await kube.request("PATCH", path + "/status",
                                      {"status": {"conditions": [cond], "fingerprint": "abc"}},
                                      content_type="application/merge-patch+json")
    assert status == 200, body
    assert body["status"]["conditions"] == [cond]
    assert body["status"]["fingerprint"] == "abc"  # undeclared status fields are kept
    assert body["metadata"]["generation"] == obj["metadata"]["generation"]
    # A spec write through the main resource does not touch status, and vice versa.
    out = await kube.apply(_tgp(namespace, protocol="HTTP"))
    assert out["status"]["conditions"] == [cond]

    ctx = ssl.create_default_context(cafile=kube.ca_file)
    async with aiohttp.ClientSession() as session:
        async with session.get(kube.url + path, ssl=ctx,
                               headers={"Authorization": f"Bearer {kube.token}", "Accept": TABLE}) as resp:
            table = await resp.json()
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns == ["Name", "Target-Kind", "Target-Name", "Protocol", "Accepted", "Age"]
    assert table["rows"][0]["cells"][1:5] == ["Service", "svc", "HTTP", "True"]
