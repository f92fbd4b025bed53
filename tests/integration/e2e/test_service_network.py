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
