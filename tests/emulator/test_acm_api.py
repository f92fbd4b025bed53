"""ACM on the emulator's port, through the real aioboto3 client (json 1.1, `X-Amz-Target:
CertificateManager.*`), with strict output checks against botocore's acm model."""

from __future__ import annotations

import aioboto3
import pytest
from aiobotocore.config import AioConfig

from tests.tlsmaterial import certificate

from .helpers import raises

HOST = "app.example.com"


@pytest.fixture(scope="session")
async def acm_client(emulator):
    once = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})
    async with aioboto3.Session().client("acm", config=once, **emulator.client_kwargs()) as client:
        yield client


@pytest.fixture
async def acm(acm_client, ctl):
    return acm_client


def split(crt: str) -> tuple[bytes, bytes]:
    """(leaf, chain) PEM bytes of a tls.crt holding a leaf and its CA."""
    end = "-----END CERTIFICATE-----\n"
    leaf, _, chain = crt.partition(end)
    return (leaf + end).encode(), chain.encode()


async def imported(acm, domains=(HOST,), kind="rsa2048", seed=0, serial=1, **kw) -> str:
    crt, key = certificate(domains, kind=kind, seed=seed, with_ca=True, serial=serial)
    leaf, chain = split(crt)
    got = await acm.import_certificate(Certificate=leaf, PrivateKey=key.encode(), CertificateChain=chain, **kw)
    return got["CertificateArn"]


async def test_import_describe_and_tags(acm):
    arn = await imported(acm, (HOST, "www.example.com"), Tags=[{"Key": "ManagedBy", "Value": "us"}])
    assert arn.startswith("arn:aws:acm:us-west-2:") and ":certificate/" in arn
    d = (await acm.describe_certificate(CertificateArn=arn))["Certificate"]
    assert (d["DomainName"], d["SubjectAlternativeNames"]) == (HOST, [HOST, "www.example.com"])
    assert (d["Type"], d["Status"], d["KeyAlgorithm"], d["InUseBy"]) == ("IMPORTED", "ISSUED", "RSA_2048", [])
    assert (await acm.list_tags_for_certificate(CertificateArn=arn))["Tags"] == [{"Key": "ManagedBy", "Value": "us"}]
    await acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "fp", "Value": "1"}])
    await acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "ManagedBy"}])
    assert (await acm.list_tags_for_certificate(CertificateArn=arn))["Tags"] == [{"Key": "fp", "Value": "1"}]


async def test_list_defaults_to_rsa_1024_and_2048_like_acm(acm):
    ec = await imported(acm, kind="ec")
    rsa = await imported(acm, ("rsa.example.com",), kind="rsa2048")
    await imported(acm, ("big.example.com",), kind="rsa4096")  # listed only when asked for
    default = {c["CertificateArn"] for c in (await acm.list_certificates())["CertificateSummaryList"]}
    assert default == {rsa}
    every = await acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]}, CertificateStatuses=["ISSUED"])
    assert {c["CertificateArn"] for c in every["CertificateSummaryList"]} == {ec, rsa}
    page = await acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]}, MaxItems=1)
    assert len(page["CertificateSummaryList"]) == 1 and page["NextToken"]
    rest = await acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]}, NextToken=page["NextToken"])
    assert {c["CertificateArn"] for c in page["CertificateSummaryList"] + rest["CertificateSummaryList"]} == {ec, rsa}


async def test_reimport_keeps_the_arn_and_refuses_tags(acm):
    arn = await imported(acm, serial=1)
    before = (await acm.describe_certificate(CertificateArn=arn))["Certificate"]["Serial"]
    assert await imported(acm, serial=2, CertificateArn=arn) == arn
    assert (await acm.describe_certificate(CertificateArn=arn))["Certificate"]["Serial"] != before
    async with raises("InvalidParameterException"):
        await imported(acm, CertificateArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    async with raises("ResourceNotFoundException"):
        await imported(acm, CertificateArn=arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000")


async def test_import_refuses_what_acm_refuses(acm):
    crt, _ = certificate((HOST,), seed=1)
    _, other_key = certificate((HOST,), seed=2)
    async with raises("InvalidParameterException"):
        await acm.import_certificate(Certificate=crt.encode(), PrivateKey=other_key.encode())
    ed_crt, ed_key = certificate((HOST,), kind="ed25519")
    async with raises("InvalidParameterException"):
        await acm.import_certificate(Certificate=ed_crt.encode(), PrivateKey=ed_key.encode())


async def test_delete_refuses_a_certificate_a_lattice_service_uses(acm, lattice):
    arn = await imported(acm)
    svc = await lattice.create_service(name="uses-cert", customDomainName=HOST, certificateArn=arn)
    d = (await acm.describe_certificate(CertificateArn=arn))["Certificate"]
    assert d["InUseBy"] == [svc["arn"]]
    async with raises("ResourceInUseException"):
        await acm.delete_certificate(CertificateArn=arn)
    await lattice.delete_service(serviceIdentifier=svc["id"])
    await lattice.list_services()  # the deletion completes at the next request (delay 0)
    await acm.delete_certificate(CertificateArn=arn)
    async with raises("ResourceNotFoundException"):
        await acm.describe_certificate(CertificateArn=arn)


async def test_state_dump_lists_certificates_without_their_pem(acm, ctl):
    arn = await imported(acm, Tags=[{"Key": "ManagedBy", "Value": "us"}])
    (cert,) = (await ctl.partition())["certificates"]
    assert cert["CertificateArn"] == arn and cert["tags"] == {"ManagedBy": "us"}
    assert not any("BEGIN" in str(v) for v in cert.values())


async def test_lattice_services_take_only_known_rsa_2048_certificates(acm, lattice, emulator):
    good = await imported(acm)
    ec = await imported(acm, ("ec.example.com",), kind="ec")
    missing = good.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    for bad in (ec, missing):
        async with raises("ValidationException"):
            await lattice.create_service(name="bad-cert", customDomainName=HOST, certificateArn=bad)
    svc = await lattice.create_service(name="good-cert", customDomainName=HOST, certificateArn=good)
    await lattice.list_services()  # ACTIVE at the next request (delay 0)
    async with raises("ValidationException"):
        await lattice.update_service(serviceIdentifier=svc["id"], certificateArn=ec)
    # another account's certificate cannot be checked from here: accepted as before
    other = "arn:aws:acm:us-west-2:999999999999:certificate/00000000-0000-4000-8000-000000000001"
    await lattice.update_service(serviceIdentifier=svc["id"], certificateArn=other)
