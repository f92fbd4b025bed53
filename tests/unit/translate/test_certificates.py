"""Listener certificateRefs per the Gateway API: the exact ResolvedRefs/Programmed outcome of every
kind of bad reference, the certificate a valid one gives the Lattice service, and that a private key
never appears in the plan output."""

from __future__ import annotations

import orjson
import pytest

from tests.tlsmaterial import b64, certificate, tls_secret
from translate import certificates

from .builders import GW, endpoints, gateway, gatewayclass, listener, parent_conditions, route, run, service

A = "application-networking.k8s.aws/"
HOST = "app.example.com"


def https(refs=None, options=None, name="https", port=443) -> dict:
    tls: dict = {"mode": "Terminate"}
    if refs is not None:
        tls["certificateRefs"] = refs
    if options is not None:
        tls["options"] = options
    return listener(name, "HTTPS", port, tls=tls)


def objects(*extra, refs=None, options=None, gw_ns="default") -> list[dict]:
    refs = [{"group": "", "kind": "Secret", "name": "app-tls"}] if refs is None else refs
    gw = gateway(ns=gw_ns, listeners=[listener("http", "HTTP", 80), https(refs, options)])
    parents = [{"name": "lgw", "namespace": gw_ns}]
    return [gatewayclass(), gw, service(), endpoints(), route(hostnames=[HOST], parents=parents), *extra]


def listener_conditions(result, name="https", ns="default") -> dict:
    gw = result.outcome("Gateway", ns, "lgw")
    (lst,) = [x for x in gw.listeners if x.name == name]
    return {c.type: c for c in lst.conditions}


def test_a_valid_secret_resolves_and_becomes_the_service_certificate():
    res = run(objects(tls_secret(domains=(HOST,))))
    conds = listener_conditions(res)
    assert (conds["ResolvedRefs"].status, conds["ResolvedRefs"].reason) == ("True", "ResolvedRefs")
    assert (conds["Programmed"].status, conds["Programmed"].reason) == ("True", "Programmed")
    (svc,) = res.services
    assert svc.certificate_arn is None
    assert svc.certificate is not None and svc.certificate.source.key == "Secret/default/app-tls"
    assert svc.certificate.domains == (HOST,)
    assert svc.certificate.certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" in svc.certificate.private_key
    assert [lst.protocol for lst in svc.listeners] == ["HTTP", "HTTPS"]


def test_a_chain_is_split_from_the_leaf():
    crt, key = certificate((HOST,), with_ca=True)
    (svc,) = run(objects(tls_secret(crt=crt, key=key))).services
    assert svc.certificate.certificate.count("BEGIN CERTIFICATE") == 1
    assert svc.certificate.chain.count("BEGIN CERTIFICATE") == 1


BAD = [
    ("missing secret", [], None, "InvalidCertificateRef", "does not exist"),
    ("wrong type", [tls_secret(type_="Opaque", domains=(HOST,))], None, "InvalidCertificateRef", "not kubernetes.io/tls"),
    ("no tls.key", [tls_secret(data={"tls.crt": b64(certificate((HOST,))[0])})], None, "InvalidCertificateRef", "no tls.key"),
    # the Gateway API conformance suite's malformed Secret: base64 of "Hello world" in both keys
    ("malformed pem", [tls_secret(data={"tls.crt": "SGVsbG8gd29ybGQK", "tls.key": "SGVsbG8gd29ybGQK"})], None,
     "InvalidCertificateRef", "no PEM certificate"),
    ("not base64", [tls_secret(data={"tls.crt": "%%%", "tls.key": "%%%"})], None, "InvalidCertificateRef", "base64"),
    ("key of another certificate", [tls_secret(crt=certificate((HOST,), seed=1)[0], key=certificate((HOST,), seed=2)[1])],
     None, "InvalidCertificateRef", "does not belong"),
    # "VPC Lattice only supports certificates with 2048-bit RSA keys" (user guide, BYOC)
    ("EC key", [tls_secret(domains=(HOST,), kind="ec")], None, "InvalidCertificateRef", "2048-bit RSA keys, not an EC key"),
    ("RSA 4096", [tls_secret(domains=(HOST,), kind="rsa4096")], None, "InvalidCertificateRef", "not a 4096-bit RSA key"),
    ("Ed25519", [tls_secret(domains=(HOST,), kind="ed25519")], None, "InvalidCertificateRef", "not an Ed25519 key"),
    ("wrong group", [tls_secret(domains=(HOST,))], [{"group": "wrong.group.company.io", "kind": "Secret", "name": "app-tls"}],
     "InvalidCertificateRef", "only core Secrets"),
    ("wrong kind", [tls_secret(domains=(HOST,))], [{"group": "", "kind": "WrongKind", "name": "app-tls"}],
     "InvalidCertificateRef", "only core Secrets"),
    ("cross-namespace, no grant", [tls_secret(ns="certs", domains=(HOST,))],
     [{"kind": "Secret", "name": "app-tls", "namespace": "certs"}], "RefNotPermitted", "no ReferenceGrant"),
    ("cross-namespace, no grant, no secret", [], [{"kind": "Secret", "name": "app-tls", "namespace": "certs"}],
     "RefNotPermitted", "no ReferenceGrant"),
    ("second ref bad", [tls_secret(domains=(HOST,))],
     [{"kind": "Secret", "name": "app-tls"}, {"kind": "Secret", "name": "gone"}], "InvalidCertificateRef", "gone"),
]


@pytest.mark.parametrize("case, extra, refs, reason, words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_certificate_ref_is_reported_and_the_listener_is_not_programmed(case, extra, refs, reason, words):
    res = run(objects(*extra, refs=refs))
    conds = listener_conditions(res)
    assert (conds["ResolvedRefs"].status, conds["ResolvedRefs"].reason) == ("False", reason)
    assert words in conds["ResolvedRefs"].message
    assert (conds["Programmed"].status, conds["Programmed"].reason) == ("False", "Invalid")
    assert conds["Accepted"].status == "True"  # the listener is fine; its reference is not
    assert "PRIVATE" not in conds["ResolvedRefs"].message
    # The other listener keeps working: the route is served over HTTP only, never with another certificate.
    http = listener_conditions(res, "http")
    assert http["Programmed"].status == "True" and http["ResolvedRefs"].status == "True"
    gw = {c.type: c for c in res.outcome("Gateway", "default", "lgw").conditions}
    assert (gw["Accepted"].status, gw["Accepted"].reason) == ("True", "ListenersNotValid")
    (svc,) = res.services
    assert [lst.protocol for lst in svc.listeners] == ["HTTP"]
    assert svc.certificate is None
    assert parent_conditions(res)["Accepted"].status == "True"
    attached = {x.name: x.attached_routes for x in res.outcome("Gateway", "default", "lgw").listeners}
    assert attached == {"http": 1, "https": 1}  # attached to both, served on http only


def test_a_route_only_on_the_bad_listener_is_attached_but_not_served():
    """Gateway API: attachment depends on allowedRoutes and parentRefs only, not on listener status.
    The route is Accepted and counted; its Lattice service gets no listener (no other certificate)."""
    objs = objects(refs=[{"kind": "Secret", "name": "gone"}])
    (r,) = [o for o in objs if o["kind"] == "HTTPRoute"]
    r["spec"]["parentRefs"] = [{"name": "lgw", "sectionName": "https"}]
    res = run(objs)
    acc = parent_conditions(res)["Accepted"]
    assert (acc.status, acc.reason) == ("True", "Accepted")
    (svc,) = res.services
    assert svc.listeners == () and svc.certificate is None
    attached = {x.name: x.attached_routes for x in res.outcome("Gateway", "default", "lgw").listeners}
    assert attached == {"http": 0, "https": 1}


def test_a_reference_grant_permits_a_cross_namespace_secret_and_removing_it_revokes():
    grant = {"apiVersion": f"{GW}/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": "certs"},
             "spec": {"from": [{"group": GW, "kind": "Gateway", "namespace": "default"}],
                      "to": [{"group": "", "kind": "Secret", "name": "app-tls"}]}}
    refs = [{"kind": "Secret", "name": "app-tls", "namespace": "certs"}]
    secret = tls_secret(ns="certs", domains=(HOST,))
    granted = run(objects(secret, grant, refs=refs))
    assert listener_conditions(granted)["ResolvedRefs"].status == "True"
    assert granted.services[0].certificate.source.key == "Secret/certs/app-tls"
    revoked = run(objects(secret, refs=refs))
    assert listener_conditions(revoked)["ResolvedRefs"].reason == "RefNotPermitted"


def test_the_certificate_arn_option_wins_and_keeps_the_listener_programmed():
    arn = "arn:aws:acm:us-west-2:111122223333:certificate/abc"
    res = run(objects(refs=[{"kind": "Secret", "name": "gone"}], options={A + "certificate-arn": arn}))
    conds = listener_conditions(res)
    assert conds["ResolvedRefs"].reason == "InvalidCertificateRef"  # honest about the ref
    assert conds["Programmed"].status == "True"  # but it has a certificate
    (svc,) = res.services
    assert svc.certificate_arn == arn and svc.certificate is None
    with_secret = run(objects(tls_secret(domains=(HOST,)), options={A + "certificate-arn": arn})).services[0]
    assert with_secret.certificate_arn == arn and with_secret.certificate is None


def test_a_rotated_secret_changes_the_fingerprints():
    first = tls_secret(domains=(HOST,), serial=1)
    one = run(objects(first)).services[0]
    two = run(objects(tls_secret(domains=(HOST,), serial=2))).services[0]
    assert one.certificate.fingerprint != two.certificate.fingerprint
    assert one.fingerprint != two.fingerprint
    again = run(objects(first)).services[0]
    assert again.fingerprint == one.fingerprint


def test_without_a_custom_domain_no_certificate_is_imported():
    objs = objects(tls_secret(domains=(HOST,)))
    (r,) = [o for o in objs if o["kind"] == "HTTPRoute"]
    del r["spec"]["hostnames"]
    (svc,) = run(objs).services
    assert svc.custom_domain_name is None and svc.certificate is None


def test_the_plan_output_never_holds_key_material():
    crt, key = certificate((HOST,), with_ca=True)
    res = run(objects(tls_secret(crt=crt, key=key)))
    text = orjson.dumps(res.to_dict()).decode()
    body = "".join(key.splitlines()[1:-1])
    assert body[:40] not in text and "PRIVATE KEY" not in text
    assert res.services[0].certificate.fingerprint in text
    assert "PRIVATE" not in repr(res.services[0])


def test_parse_is_memoised_by_content():
    crt, key = certificate((HOST,))
    certificates.parse.cache_clear()
    certificates.parse(b64(crt), b64(key))
    certificates.parse(b64(crt), b64(key))
    assert certificates.parse.cache_info().hits == 1


def test_a_bad_certificate_ref_is_also_a_warning_event_on_the_gateway():
    res = run(objects(refs=[{"kind": "Secret", "name": "gone"}]))
    (ev,) = res.outcome("Gateway", "default", "lgw").events
    assert (ev.type, ev.reason) == ("Warning", "InvalidCertificateRef")
    assert ev.message.startswith("listener https: Secret default/gone does not exist")
    assert run(objects(tls_secret(domains=(HOST,)))).outcome("Gateway", "default", "lgw").events == ()


def test_the_certificate_covering_the_custom_domain_is_chosen():
    """Lattice serves one certificate per service: of the listener's refs, the one whose names cover
    the route's custom domain (exact before wildcard, Gateway API's longest SNI), else the first with
    a Warning (clients would reject it)."""
    refs = [{"kind": "Secret", "name": "other"}, {"kind": "Secret", "name": "wild"}, {"kind": "Secret", "name": "exact"}]
    secrets = [tls_secret("other", domains=("other.org",)), tls_secret("wild", domains=("*.example.com",)),
               tls_secret("exact", domains=(HOST,))]
    res = run(objects(*secrets, refs=refs))
    (svc,) = res.services
    assert svc.certificate.source.name == "exact"
    assert [e.reason for e in res.outcome("HTTPRoute", "default", "r").events] == []
    res = run(objects(*secrets[:2], refs=refs[:2]))
    assert res.services[0].certificate.source.name == "wild"
    res = run(objects(secrets[0], refs=refs[:1]))
    assert res.services[0].certificate.source.name == "other"
    (ev,) = [e for e in res.outcome("HTTPRoute", "default", "r").events if e.reason == "CertificateMismatch"]
    assert ev.type == "Warning" and HOST in ev.message and "other.org" in ev.message


@pytest.mark.parametrize("name, domain, ok", [
    ("app.example.com", "app.example.com", True), ("APP.example.com.", "app.example.com", True),
    ("*.example.com", "app.example.com", True), ("*.example.com", "example.com", False),
    ("*.example.com", "a.app.example.com", False), ("other.example.com", "app.example.com", False),
])
def test_covers(name, domain, ok):
    assert certificates.covers(name, domain) is ok
