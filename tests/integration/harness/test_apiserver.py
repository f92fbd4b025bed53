"""The harness gives us a real kube-apiserver with the official Gateway API CRDs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

GW = "/apis/gateway.networking.k8s.io/v1"


def gateway(ns: str) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "my-hotel", "namespace": ns},
        "spec": {
            "gatewayClassName": "amazon-vpc-lattice",
            "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
    }


def route(ns: str, path: dict) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "rates", "namespace": ns},
        "spec": {
            "parentRefs": [{"name": "my-hotel", "sectionName": "http"}],
            "rules": [
                {
                    "matches": [{"path": path}],
                    "backendRefs": [{"name": "parking", "kind": "Service", "port": 8090}],
                }
            ],
        },
    }


async def test_gateway_and_httproute_round_trip(kube, namespace):
    status, created = await kube.request("POST", f"{GW}/namespaces/{namespace}/gateways", gateway(namespace))
    assert status == 201, created
    status, created = await kube.request(
        "POST", f"{GW}/namespaces/{namespace}/httproutes",
        route(namespace, {"type": "PathPrefix", "value": "/parking"}),
    )
    assert status == 201, created

    status, gw = await kube.request("GET", f"{GW}/namespaces/{namespace}/gateways/my-hotel")
    assert status == 200
    assert gw["spec"]["listeners"][0]["port"] == 80
    status, hr = await kube.request("GET", f"{GW}/namespaces/{namespace}/httproutes/rates")
    assert status == 200
    assert hr["spec"]["rules"][0]["matches"][0]["path"] == {"type": "PathPrefix", "value": "/parking"}
    # Defaults come from the official CRD schema, not from us.
    assert hr["spec"]["parentRefs"][0]["group"] == "gateway.networking.k8s.io"
    assert hr["spec"]["rules"][0]["backendRefs"][0]["weight"] == 1


@pytest.mark.parametrize(
    "path, expected",
    [
        # An enum outside the OpenAPI schema.
        ({"type": "Glob", "value": "/parking"}, "Unsupported value"),
        # A CEL rule of the official CRD: a path prefix must be absolute.
        ({"type": "PathPrefix", "value": "parking"}, "must be an absolute path"),
    ],
)
async def test_crd_validation_rejects_invalid_httproute(kube, namespace, path, expected):
    status, body = await kube.request(
        "POST", f"{GW}/namespaces/{namespace}/httproutes", route(namespace, path)
    )
    assert status == 422, body
    assert body["reason"] == "Invalid"
    assert expected in body["message"], body["message"]
    status, _ = await kube.request("GET", f"{GW}/namespaces/{namespace}/httproutes/rates")
    assert status == 404


async def test_rbac_is_enforced_for_service_accounts(kube, namespace):
    status, _ = await kube.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}},
    )
    assert status == 201
    token = await kube.create_token(namespace, "nobody")
    status, body = await kube.request("GET", f"{GW}/namespaces/{namespace}/httproutes", token=token)
    assert status == 403, body
    assert body["reason"] == "Forbidden"


async def test_purge_namespace_removes_it_and_everything_in_it(kube):
    """No controller-manager runs here, so the harness does the namespace controller's job: a
    test's namespace and its objects (finalizers included) must not outlive the test, or the next
    test's controller, which watches the whole cluster, would find them."""
    name = "purge-me"
    await kube.create_namespace(name)
    held = gateway(name)
    held["metadata"]["finalizers"] = ["application-networking.k8s.aws/gateway-finalizer"]
    status, body = await kube.request("POST", f"{GW}/namespaces/{name}/gateways", held)
    assert status == 201, body
    status, body = await kube.request("POST", f"/api/v1/namespaces/{name}/configmaps",
                                      {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plain"}})
    assert status == 201, body

    await kube.purge_namespace(name)

    assert (await kube.request("GET", f"{GW}/namespaces/{name}/gateways/my-hotel"))[0] == 404
    assert (await kube.request("GET", f"/api/v1/namespaces/{name}/configmaps/plain"))[0] == 404
    assert (await kube.request("GET", f"/api/v1/namespaces/{name}"))[0] == 404
    await kube.purge_namespace(name)  # a second purge of a gone namespace is harmless
