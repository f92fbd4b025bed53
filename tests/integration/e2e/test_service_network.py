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
