"""What the running controller publishes beyond conditions: the GatewayClass's supported
features and the Gateway's address (a Lattice DNS name, as the AWS controller does)."""

from __future__ import annotations

import pytest

from controller.annotations import LATTICE_DOMAIN
from translate.gateway import SUPPORTED_FEATURES

pytestmark = pytest.mark.integration


async def test_gateway_class_features_and_gateway_address(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    gateway_class = next(o for o in objs if o["kind"] == "GatewayClass")
    gateway = next(o for o in objs if o["kind"] == "Gateway")
    routes = [o for o in objs if o["kind"] == "HTTPRoute"]

    async def features():
        st = (await env.get(gateway_class) or {}).get("status") or {}
        return st.get("supportedFeatures")

    published = await env.wait_until(features, "the GatewayClass publishes its supported features")
    assert [f["name"] for f in published] == list(SUPPORTED_FEATURES)

    live_routes = [await env.get(r) for r in routes]
    # The oldest route's name; ties (creationTimestamp has whole seconds) break on namespace/name.
    oldest = min(live_routes, key=lambda r: (r["metadata"]["creationTimestamp"],
                                             f"{r['metadata']['namespace']}/{r['metadata']['name']}"))

    async def address():
        return ((await env.get(gateway) or {}).get("status") or {}).get("addresses")

    addresses = await env.wait_until(address, "the Gateway has an address")
    assert addresses == [{"type": "Hostname", "value": oldest["metadata"]["annotations"][LATTICE_DOMAIN]}]

    # Once its routes are gone the Gateway has no address left.
    for route in routes:
        await env.delete(route)

    async def no_address():
        return not ((await env.get(gateway) or {}).get("status") or {}).get("addresses")

    await env.wait_until(no_address, "the Gateway's address goes with its last route")
