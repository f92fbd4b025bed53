"""ACM through the real client against the emulator: certificate discovery, and listener Secrets
imported, re-imported on change, shared, found again after a restart, and deleted once unused."""

from __future__ import annotations

import aioboto3
import pytest

from lattice.certificates import FINGERPRINT, CertificateFinder, CertificateImporter
from lattice.certificates import MANAGED_BY as MANAGED_BY_TAG
from lattice.client import LatticeClient
from tests.integration.lattice.conftest import MANAGED_BY, converge, make_config, translate_objects
from tests.tlsmaterial import certificate, tls_secret
from tests.unit.translate.builders import endpoints, gateway, gatewayclass, listener, route, service
from translate import Source

pytestmark = pytest.mark.integration

A = "application-networking.k8s.aws/"


@pytest.fixture
async def acm(lattice_emulator, ctl):
    async with aioboto3.Session().client("acm", **lattice_emulator.client_kwargs()) as client:
        yield client


@pytest.fixture
async def acm_sync(make_sync, lattice_emulator):
    """A LatticeSync with ACM on (as `latticegw run` with LATTICEGW_ACM_ENDPOINT)."""

    async def factory():
        sync = await make_sync(acm_endpoint_url=lattice_emulator.url)
        await sync.client.close()
        sync.client.with_acm = True
        await sync.client.open()
        sync.certificates = CertificateFinder(sync.client)
        sync.importer = CertificateImporter(sync.client, MANAGED_BY)
        return sync

    return factory


def split(crt: str) -> tuple[bytes, bytes]:
    end = "-----END CERTIFICATE-----\n"
    leaf, _, chain = crt.partition(end)
    return (leaf + end).encode(), chain.encode()


async def test_discovery_picks_only_certificates_lattice_can_serve(lattice_emulator, acm, ctl):
    arns = {}
    for name, domain, kind in (("ec", "ec.example.com", "ec"), ("wild", "*.example.com", "rsa2048"),
                               ("exact", "api.example.com", "rsa2048"), ("big", "big.example.com", "rsa4096"),
                               ("small", "small.example.com", "rsa1024")):
        crt, key = certificate((domain,), kind=kind, with_ca=True)
        leaf, chain = split(crt)
        arns[name] = (await acm.import_certificate(Certificate=leaf, PrivateKey=key.encode(),
                                                   CertificateChain=chain))["CertificateArn"]
    async with LatticeClient(make_config(lattice_emulator.url, acm_endpoint_url=lattice_emulator.url),
                             with_acm=True) as client:
        finder = CertificateFinder(client)
        assert await finder.find("api.example.com") == arns["exact"]  # exact beats the wildcard
        assert await finder.find("other.example.com") == arns["wild"]  # one-label wildcard
        # Lattice serves only RSA 2048 certificates: the exact EC, RSA 4096 and RSA 1024 matches are
        # skipped for the wildcard (ACM's default listing would have offered the RSA 1024 one)
        for host in ("ec.example.com", "big.example.com", "small.example.com"):
            assert await finder.find(host) == arns["wild"], host
        assert await finder.find("a.b.example.com") is None
        assert client.calls["ListCertificates"] == 1  # cached (a miss relists only after 30 s)


def world(*routes: dict, secret: dict) -> list[dict]:
    gw = gateway(listeners=[listener("https", "HTTPS", 443, tls={
        "mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret["metadata"]["name"]}]})])
    return [gatewayclass(), gw, service(), endpoints(), secret, *routes]


def app(name: str, host: str) -> dict:
    return route(name, hostnames=[host], annotations={A + "standalone": "true"})


async def test_a_listener_secret_is_imported_reimported_shared_and_deleted(acm_sync, acm, ctl):
    secret = tls_secret("app-tls", domains=("*.example.com",), with_ca=True, serial=1)
    one, two = app("one", "one.example.com"), app("two", "two.example.com")
    translation = translate_objects(world(one, two, secret=secret))
    sync = await acm_sync()
    await sync.client.call("CreateServiceNetwork", name="lgw")  # the Gateway's (looked up, never created)
    await converge(sync, translation)
    state = await ctl.partition()
    (cert,) = state["certificates"]  # one certificate for the Secret, however many routes use it
    arn = cert["CertificateArn"]
    assert {s["name"]: s.get("certificateArn") for s in state["services"]} == {"one-default": arn, "two-default": arn}
    assert cert["tags"][MANAGED_BY_TAG] == MANAGED_BY and cert["tags"][A + "SecretName"] == "app-tls"
    assert cert["tags"][FINGERPRINT] == translation.services[0].certificate.fingerprint
    assert sync.client.calls["ImportCertificate"] == 1

    # Converged: no ACM call at all.
    before = dict(sync.client.calls)
    for svc in translation.services:
        res = await sync.apply_source(svc.source, (svc,), translation.target_groups_of(svc.source))
        assert res.converged and not res.operations
    assert {k: v for k, v in sync.client.calls.items() if v != before.get(k)} == {}

    # A new process finds the certificate by its tags: nothing re-imported.
    restarted = await acm_sync()
    await converge(restarted, translation)
    assert restarted.client.calls["ImportCertificate"] == 0 and len((await ctl.partition())["certificates"]) == 1

    # cert-manager renews the Secret: re-imported in place (same ARN, new serial), services untouched.
    serial = (await acm.describe_certificate(CertificateArn=arn))["Certificate"]["Serial"]
    renewed = translate_objects(world(one, two, secret=tls_secret("app-tls", domains=("*.example.com",),
                                                                  with_ca=True, serial=2)))
    await converge(restarted, renewed)
    (cert,) = (await ctl.partition())["certificates"]
    assert cert["CertificateArn"] == arn and restarted.client.calls["ImportCertificate"] == 1
    assert (await acm.describe_certificate(CertificateArn=arn))["Certificate"]["Serial"] != serial
    assert cert["tags"][FINGERPRINT] == renewed.services[0].certificate.fingerprint
    assert restarted.client.calls.get("UpdateService", 0) == 0

    # One route goes: the certificate stays (the other still uses it); the last one goes: deleted.
    await converge_delete(restarted, Source("HTTPRoute", "default", "one"))
    assert [c["CertificateArn"] for c in (await ctl.partition())["certificates"]] == [arn]
    await converge_delete(restarted, Source("HTTPRoute", "default", "two"))
    state = await ctl.partition()
    assert state["certificates"] == [] and state["services"] == []


async def test_the_certificate_arn_option_wins_over_the_secret(acm_sync, acm, ctl):
    crt, key = certificate(("one.example.com",), with_ca=True)
    leaf, chain = split(crt)
    option = (await acm.import_certificate(Certificate=leaf, PrivateKey=key.encode(),
                                           CertificateChain=chain))["CertificateArn"]
    objs = world(app("one", "one.example.com"), secret=tls_secret("app-tls", domains=("one.example.com",)))
    objs[1]["spec"]["listeners"][0]["tls"]["options"] = {A + "certificate-arn": option}
    sync = await acm_sync()
    await sync.client.call("CreateServiceNetwork", name="lgw")
    await converge(sync, translate_objects(objs))
    state = await ctl.partition()
    assert [s.get("certificateArn") for s in state["services"]] == [option]
    assert [c["CertificateArn"] for c in state["certificates"]] == [option]  # nothing imported
    assert sync.client.calls.get("ImportCertificate", 0) == 0


async def converge_delete(sync, source: Source) -> None:
    import asyncio

    for _ in range(40):
        res = await sync.apply_source(source, (), ())
        assert not res.errors, res.errors
        if res.converged:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{source.key} was not deleted: {res.in_progress}")
