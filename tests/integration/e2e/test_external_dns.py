"""ExternalDNS, end to end on the real API server: a DNSEndpoint follows each custom domain name.

The DNSEndpoint CRD is external-dns's own (built into the cache from its Go module at the version
pinned in tests/kube/versions.env). Without it nothing is written and nothing fails; once it is
installed, each route with a hostname gets `<route>-dns` (a CNAME to its Lattice DNS name, owned
by the route), which follows a change of the domain name, and an object of that name that the
route does not control is never touched. The CRD stays installed for the rest of the session:
this file is the only one that installs it, and other tests do not look for DNSEndpoints.
"""

from __future__ import annotations

import pytest

from controller.localkube.artifacts import locate_artifacts
from tests.integration.e2e.helpers import edited, find, idle

pytestmark = pytest.mark.integration

API = "/apis/externaldns.k8s.io/v1alpha1"
DOMAIN = "application-networking.k8s.aws/lattice-assigned-domain-name"


def with_hostname(route: dict, hostname: str) -> dict:
    return edited(route, spec=dict(route["spec"], hostnames=[hostname]))


async def dns_endpoint(env, namespace: str, name: str) -> dict | None:
    status, body = await env.kube.request("GET", f"{API}/namespaces/{namespace}/dnsendpoints/{name}")
    return body if status == 200 else None


async def served(env) -> bool:
    status, _ = await env.kube.request("GET", API)
    return status == 200


async def events_of(env, obj: dict) -> list[dict]:
    ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
    status, body = await env.kube.request("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events")
    assert status == 200, body
    return [e for e in body.get("items") or () if (e.get("regarding") or {}).get("name") == name]


async def test_dns_endpoints_follow_custom_domains(controller_env):
    env = controller_env
    hostnames = {"rates": "rates.example.com", "inventory": "inventory.example.com"}
    objs = [with_hostname(o, hostnames[o["metadata"]["name"]]) if o["kind"] == "HTTPRoute" else o
            for o in env.example("my-hotel")]
    rates, inventory = find(objs, "HTTPRoute", "rates"), find(objs, "HTTPRoute", "inventory")
    ns = rates["metadata"]["namespace"]

    # 1. No CRD: routes converge as always, nothing is written, nothing fails.
    assert not await served(env), "this test must start on an API server without the DNSEndpoint CRD"
    await env.create_service_networks(objs)
    await env.apply(objs)
    await env.wait_until(env.converged, "my-hotel with custom domains converges", timeout=90)
    await idle(env)
    live_rates = await env.get(rates)
    assert live_rates["metadata"]["annotations"].get(DOMAIN)

    # Someone else's DNSEndpoint holds inventory's name (created once the CRD is there).
    crd = locate_artifacts().dnsendpoint_crd
    assert crd is not None and crd.exists(), "tests/kube/build.sh did not fetch the DNSEndpoint CRD"
    await env.kube.install_crds([crd])
    foreign = {"apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
               "metadata": {"name": "inventory-dns", "namespace": ns},
               "spec": {"endpoints": [{"dnsName": "inventory.example.com", "recordType": "A",
                                       "targets": ["192.0.2.10"]}]}}
    await env.kube.apply(foreign, field_manager="someone-else")

    # 2. The CRD appears: a restarted controller (which skips AWS: nothing changed) publishes it.
    await env.stop()
    await env.start()
    await env.wait_until(lambda: dns_endpoint(env, ns, "rates-dns"), "rates-dns appears", timeout=60)
    ep = await dns_endpoint(env, ns, "rates-dns")
    uid = live_rates["metadata"]["uid"]
    assert ep["spec"] == {"endpoints": [{"dnsName": "rates.example.com", "recordType": "CNAME", "recordTTL": 300,
                                         "targets": [live_rates["metadata"]["annotations"][DOMAIN]]}]}
    assert ep["metadata"]["ownerReferences"] == [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "name": "rates", "uid": uid,
         "controller": True}]
    assert not ep["metadata"].get("labels")

    # The foreign object is untouched, and the route says why.
    async def warned():
        return any(e.get("reason") == "DNSEndpointConflict" for e in await events_of(env, inventory))

    await env.wait_until(warned, "a DNSEndpointConflict event on inventory", timeout=60)
    still = await dns_endpoint(env, ns, "inventory-dns")
    assert still["spec"] == foreign["spec"] and not still["metadata"].get("ownerReferences")

    # 3. A new domain name: Lattice gets a new service (customDomainName is create-only), and the
    # DNSEndpoint is patched in place to the new domain and DNS name.
    rates2 = with_hostname(rates, "rates2.example.com")
    await env.kube.apply(rates2, field_manager="itest")

    async def moved():
        ep2 = await dns_endpoint(env, ns, "rates-dns")
        live = await env.get(rates2)
        dns = (live["metadata"].get("annotations") or {}).get(DOMAIN)
        state = await env.state()
        custom = {s.get("customDomainName") for s in state["services"]}
        return (ep2 and dns and dns != live_rates["metadata"]["annotations"][DOMAIN]
                and ep2["spec"]["endpoints"][0] == {"dnsName": "rates2.example.com", "recordType": "CNAME",
                                                    "recordTTL": 300, "targets": [dns]}
                and "rates2.example.com" in custom)

    await env.wait_until(moved, "rates-dns follows the new domain", timeout=90)
    moved_ep = await dns_endpoint(env, ns, "rates-dns")
    assert moved_ep["metadata"]["uid"] == ep["metadata"]["uid"]  # patched, not re-created
