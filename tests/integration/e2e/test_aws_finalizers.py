"""Objects the AWS Gateway API Controller finalized: after a switch, latticegw does the Lattice cleanup
each finalizer stood for, removes it, and nothing stays Terminating.

The objects are created carrying the AWS controller's finalizers (reference §3: Gateway, routes,
ServiceExport, ServiceImport, the three policy kinds, and its legacy misspelt Service one), as a
cluster it managed has them; the real API server keeps each one Terminating until someone removes
the finalizer.
"""

from __future__ import annotations

import pytest

from tests.integration.e2e.helpers import MANAGED_BY, by_name, find

pytestmark = pytest.mark.integration

AWS = "application-networking.k8s.aws"
S3 = "arn:aws:s3:::access-logs-bucket"
POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]\n}'
AWS_FINALIZERS = {
    "Gateway": "gateway.k8s.aws/resources",
    "HTTPRoute": "httproute.k8s.aws/resources",
    "ServiceExport": "serviceexport.k8s.aws/resources",
    "ServiceImport": "serviceimport.k8s.aws/resource",
    "AccessLogPolicy": "accesslogpolicy.k8s.aws/resources",
    "VpcAssociationPolicy": "vpcassociationpolicies.application-networking.k8s.aws/resources",
    "IAMAuthPolicy": "application-networking.k8s.aws/iam-auth-policy",
    "Service": "service.ki8s.aws/resources",
}
OTHER = "example.com/someone-elses"  # another controller's finalizer: never ours to remove


def policy(kind: str, name: str, ns: str, gateway: str, **spec) -> dict:
    return {"apiVersion": f"{AWS}/v1alpha1", "kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway},
                     **spec}}


def with_aws_finalizer(obj: dict) -> dict:
    obj.setdefault("metadata", {})["finalizers"] = [AWS_FINALIZERS[obj["kind"]]]
    return obj


def extras(ns: str) -> list[dict]:
    """What a my-hotel cluster under the AWS controller also holds: the three Gateway policies, an
    export/import pair, and a route whose Gateway is gone (the AWS controller strands those)."""
    return [
        policy("IAMAuthPolicy", "gw-auth", ns, "my-hotel", policy=POLICY),
        policy("AccessLogPolicy", "gw-logs", ns, "my-hotel", destinationArn=S3),
        policy("VpcAssociationPolicy", "gw-vpc", ns, "my-hotel", associateWithVpc=True,
               securityGroupIds=["sg-0123456789abcdef0"]),
        {"apiVersion": f"{AWS}/v1alpha1", "kind": "ServiceExport",
         "metadata": {"name": "parking", "namespace": ns, "annotations": {f"{AWS}/federation": "amazon-vpc-lattice"}}},
        {"apiVersion": f"{AWS}/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "parking-remote", "namespace": ns},
         "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "orphan", "namespace": ns},
         "spec": {"parentRefs": [{"name": "deleted-gateway"}],
                  "rules": [{"backendRefs": [{"name": "parking", "kind": "Service", "port": 80}]}]}},
    ]


async def terminating(env, objs: list[dict]) -> list[str]:
    left = []
    for obj in objs:
        live = await env.get(obj)
        if live is not None:
            left.append(f"{obj['kind']}/{obj['metadata']['name']} {live['metadata'].get('finalizers')}")
    return left


async def test_aws_controller_finalizers_are_released_after_their_cleanup(controller_env):
    env = controller_env
    objs = env.example("my-hotel")
    ns = find(objs, "Gateway", "my-hotel")["metadata"]["namespace"]
    objs += extras(ns)
    for obj in objs:
        if obj["kind"] in AWS_FINALIZERS:
            with_aws_finalizer(obj)
    find(objs, "Service", "review")["metadata"]["finalizers"].append(OTHER)
    await env.create_service_networks(objs)
    await env.apply(objs)
    await env.wait_until(lambda: env.converged([o for o in objs if o["metadata"]["name"] != "orphan"]),
                         "my-hotel converges")

    async def policies_applied():
        state = await env.state()
        sn = by_name(state["serviceNetworks"])["my-hotel"]
        mine = [a for a in state["accessLogSubscriptions"] if a["resourceId"] == sn["id"]]
        vpc = [a for a in state["serviceNetworkVpcAssociations"] if a["serviceNetworkId"] == sn["id"]]
        return mine and vpc and sn.get("authType") == "AWS_IAM" and (sn, mine, vpc)

    sn, _, _ = await env.wait_until(policies_applied, "the Gateway's policies are in Lattice")

    # The policies go first: each one's effect is undone, then its finalizer removed.
    policies = [o for o in objs if o["kind"].endswith("Policy")]
    for obj in policies:
        await env.delete(obj)
    async def policies_gone():
        return await terminating(env, policies) == []
    await env.wait_until(policies_gone, "the policies are deleted")
    state = await env.state()
    assert not [a for a in state["accessLogSubscriptions"] if a["resourceId"] == sn["id"]], "ALS left behind"
    vpc = [a for a in state["serviceNetworkVpcAssociations"] if a["serviceNetworkId"] == sn["id"]]
    assert all(a["status"] == "DELETE_IN_PROGRESS" for a in vpc), vpc
    # the IAMAuthPolicy's effect is undone before its finalizer goes: auth off, policy deleted
    net = by_name(state["serviceNetworks"])["my-hotel"]
    assert net.get("authType") == "NONE" and sn["id"] not in state["authPolicies"], (net, state["authPolicies"])

    # Then everything else, the route whose Gateway is long gone and a Service with the legacy finalizer
    # included. Only the other controller's finalizer is left where it was.
    review = find(objs, "Service", "review")
    rest = [o for o in objs if o not in policies and o["kind"] not in ("GatewayClass", "Namespace")]
    for obj in rest:
        await env.delete(obj)

    async def only_the_other_finalizer_left():
        left = await terminating(env, rest)
        return left == [f"Service/review {[OTHER]}"] and left
    left = await env.wait_until(only_the_other_finalizer_left, "every object but one is gone", timeout=90)
    assert left
    state = await env.state()
    assert not [s for s in state["services"] if s["tags"].get(MANAGED_BY)], "our services are deleted"
    assert not [t for t in state["targetGroups"] if t["tags"].get(MANAGED_BY)], "our target groups are deleted"
    # (the test's teardown may not be stuck on it either)
    live = await env.get(review)
    live["metadata"]["finalizers"] = []
    await env.kube.request("PUT", await env.kube.object_path(live), live)
    env.applied = [o for o in env.applied if o["kind"] in ("GatewayClass", "Namespace")]
