"""A ServiceNetwork object creates its service network, reports it, and deletes it with itself."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

MANAGED_BY = "application-networking.k8s.aws/ManagedBy"


def _programmed(obj) -> dict:
    return next((c for c in ((obj or {}).get("status") or {}).get("conditions", []) if c["type"] == "Programmed"), {})


async def test_service_network_object_lifecycle(controller_env):
    env = controller_env
    name = f"sn-{uuid.uuid4().hex[:8]}"
    sn = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork",
          "metadata": {"name": name}}
    await env.apply([sn])

    async def programmed():
        live = await env.get(sn)
        return _programmed(live).get("status") == "True" and live

    live = await env.wait_until(programmed, "the ServiceNetwork is Programmed")
    assert "servicenetwork.k8s.aws/resources" in live["metadata"]["finalizers"]
    (created,) = [n for n in (await env.state())["serviceNetworks"] if n["name"] == name]
    assert created["tags"][MANAGED_BY] == "123456789012/itest/vpc-0123456789abcdef0"
    assert _programmed(live)["message"] == f"aws-service-network-arn: {created['arn']}"

    await env.delete(sn)

    async def gone():
        names = {n["name"] for n in (await env.state())["serviceNetworks"]}
        return name not in names and await env.get(sn) is None

    await env.wait_until(gone, "the service network and the object are deleted")


async def test_an_untagged_network_of_the_same_name_is_used_but_never_deleted(controller_env):
    """Someone made the network by hand (no owner tag). A ServiceNetwork object of that name points
    at it, but deleting the object must not delete a network latticegw did not create."""
    env = controller_env
    name = f"sn-{uuid.uuid4().hex[:8]}"
    async with env.aws() as aws:
        theirs = await aws.create_service_network(name=name, tags={"team": "networking"})
    sn = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork",
          "metadata": {"name": name}}
    await env.apply([sn])

    async def programmed():
        live = await env.get(sn)
        return _programmed(live).get("status") == "True" and live

    live = await env.wait_until(programmed, "the ServiceNetwork is Programmed")
    assert theirs["arn"] in _programmed(live)["message"] and "never deleted" in _programmed(live)["message"]
    (net,) = [n for n in (await env.state())["serviceNetworks"] if n["name"] == name]
    assert net["tags"] == {"team": "networking"}, "not adopted: no owner tag added"

    await env.delete(sn)
    await env.wait_until(lambda: _gone(env, sn), "the object is deleted")
    await env.quiesce()
    assert [n["id"] for n in (await env.state())["serviceNetworks"] if n["name"] == name] == [theirs["id"]]


async def _gone(env, obj) -> bool:
    return await env.get(obj) is None


POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'


async def test_deleting_a_gateways_iam_auth_policy_removes_it_from_the_network(controller_env):
    """An IAMAuthPolicy on a Gateway puts its policy on the Gateway's (looked-up) network and turns
    authType AWS_IAM; deleting the IAMAuthPolicy turns authType back to NONE and deletes the policy."""
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    iap = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "IAMAuthPolicy",
           "metadata": {"name": "allow-all", "namespace": env.ns("default")},
           "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "my-hotel"},
                    "policy": POLICY}}
    await env.apply([iap])

    async def network():
        state = await env.state()
        (sn,) = [n for n in state["serviceNetworks"] if n["name"] == "my-hotel"]
        return sn, state["authPolicies"].get(sn["id"])

    async def protected():
        sn, policy = await network()
        return sn["authType"] == "AWS_IAM" and policy is not None

    await env.wait_until(protected, "the network has the policy and authType AWS_IAM")
    gateway = next(o for o in objs if o["kind"] == "Gateway")

    async def recorded():
        return ((await env.get(gateway))["metadata"].get("annotations") or {}).get("latticegw.io/auth-policy-applied")

    assert await env.wait_until(recorded, "the Gateway records the network it put a policy on") == "my-hotel"
    await env.delete(iap)

    async def open_again():
        sn, policy = await network()
        return sn["authType"] == "NONE" and policy is None

    await env.wait_until(open_again, "deleting the IAMAuthPolicy leaves the network with authType NONE, no policy")
    await env.wait_until(_not(recorded), "the Gateway's record is removed")


def _not(check):
    async def negated():
        return not await check()
    return negated
