"""Listener certificateRefs end to end: the real API server (Secrets through the filtered informer),
the controller, and the emulator.

The my-hotel walkthrough gets an HTTPS listener naming a Secret, and its routes get hostnames. The
listener's status follows the Secret: missing, of the wrong type, valid; the HTTP listener keeps
serving throughout.
"""

from __future__ import annotations

import pytest

from tests.integration.e2e.helpers import by_name, find, idle
from tests.tlsmaterial import b64, certificate

pytestmark = pytest.mark.integration


def with_https(objs: list[dict], secret: str = "hotel-tls") -> list[dict]:
    gw = find(objs, "Gateway", "my-hotel")
    gw["spec"]["listeners"].append({"name": "https", "protocol": "HTTPS", "port": 443, "tls": {
        "mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret}]}})
    for o in objs:
        if o["kind"] == "HTTPRoute":
            o["spec"]["hostnames"] = [f"{o['metadata']['name']}.example.com"]
            for ref in o["spec"]["parentRefs"]:
                ref.pop("sectionName", None)
    return objs


def secret(ns: str, type_: str = "kubernetes.io/tls", name: str = "hotel-tls", serial: int = 1) -> dict:
    crt, key = certificate(("rates.example.com", "inventory.example.com"), with_ca=True, serial=serial)
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": type_,
            "data": {"tls.crt": b64(crt), "tls.key": b64(key)}}


async def listener_status(env, gw: dict) -> dict[str, dict[str, tuple[str, str]]]:
    live = await env.get(gw)
    out = {}
    for lst in ((live or {}).get("status") or {}).get("listeners") or ():
        out[lst["name"]] = {c["type"]: (c["status"], c["reason"]) for c in lst.get("conditions") or ()}
    return out


async def test_listener_status_follows_its_certificate_secret(controller_env):
    env = controller_env
    objs = with_https(env.example("my-hotel"))
    await env.create_service_networks(objs)
    await env.apply(objs)
    gw = find(objs, "Gateway", "my-hotel")
    ns = gw["metadata"]["namespace"]

    async def https_is(reason):
        got = (await listener_status(env, gw)).get("https", {})
        return got.get("ResolvedRefs") == ("False" if reason != "ResolvedRefs" else "True", reason) and got

    got = await env.wait_until(lambda: https_is("InvalidCertificateRef"), "missing Secret reported", timeout=90)
    assert got["Programmed"] == ("False", "Invalid")
    http = (await listener_status(env, gw))["http"]
    assert http["Programmed"] == ("True", "Programmed") and http["ResolvedRefs"] == ("True", "ResolvedRefs")
    # The routes are served over HTTP only: no HTTPS listener with some other certificate.
    await env.wait_until(lambda: env.converged([o for o in objs if o["kind"] == "HTTPRoute"]), "routes converge", 90)
    await idle(env)
    state = await env.state()
    rates = by_name(state["services"])[f"rates-{ns}"]
    assert {lst["protocol"] for lst in state["listeners"] if lst["serviceId"] == rates["id"]} == {"HTTP"}

    # An Opaque Secret of that name is not a certificate, and never reaches the controller: the
    # informer asks for type=kubernetes.io/tls only (else the message would name its type).
    await env.apply([secret(ns, type_="Opaque")])
    await idle(env)
    assert (await listener_status(env, gw))["https"]["ResolvedRefs"] == ("False", "InvalidCertificateRef")
    live = await env.get(gw)
    (https,) = [lst for lst in live["status"]["listeners"] if lst["name"] == "https"]
    (refs,) = [c for c in https["conditions"] if c["type"] == "ResolvedRefs"]
    assert "does not exist" in refs["message"] and "Opaque" not in refs["message"]
    assert env.manager.view.get("Secret", ns, "hotel-tls") is None

    # The TLS Secret (Secrets cannot change type: replace it) resolves the listener.
    await env.delete(secret(ns, type_="Opaque"))
    await env.apply([secret(ns)])
    got = await env.wait_until(lambda: https_is("ResolvedRefs"), "valid Secret resolves", timeout=90)
    assert got["Programmed"] == ("True", "Programmed")

    # The Secret is imported into ACM once and both routes' Lattice services use it over HTTPS.
    async def served_with_it():
        state = await env.state()
        certs = state.get("certificates") or []
        svcs = {s["name"]: s for s in state["services"]}
        if len(certs) != 1 or not all(svcs.get(f"{r}-{ns}", {}).get("certificateArn") == certs[0]["CertificateArn"]
                                      for r in ("rates", "inventory")):
            return None
        https = {lst["serviceId"] for lst in state["listeners"] if lst["protocol"] == "HTTPS"}
        if not all(svcs[f"{r}-{ns}"]["id"] in https for r in ("rates", "inventory")):
            return None  # the certificate is set with the service update; the listener comes right after
        return state

    state = await env.wait_until(served_with_it, "services use the imported certificate", timeout=90)
    (cert,) = state["certificates"]
    assert cert["tags"]["application-networking.k8s.aws/SecretName"] == "hotel-tls"
    rates = by_name(state["services"])[f"rates-{ns}"]
    assert {lst["protocol"] for lst in state["listeners"] if lst["serviceId"] == rates["id"]} == {"HTTP", "HTTPS"}

    # Renewed (as cert-manager does): re-imported under the same ARN.
    await env.apply([secret(ns, serial=2)])

    async def reimported():
        certs = (await env.state()).get("certificates") or []
        return len(certs) == 1 and certs[0]["CertificateArn"] == cert["CertificateArn"] and \
            certs[0]["tags"]["latticegw.io/certificate-fingerprint"] != cert["tags"]["latticegw.io/certificate-fingerprint"]

    await env.wait_until(reimported, "the renewed Secret is re-imported", timeout=90)

    # The routes go: their services, then the certificate nobody uses any more.
    for o in objs:
        if o["kind"] == "HTTPRoute":
            await env.delete(o)

    async def gone():
        state = await env.state()
        return not state.get("certificates") and not [s for s in state["services"] if s["name"].endswith(ns)]

    await env.wait_until(gone, "services and certificate deleted", timeout=120)
