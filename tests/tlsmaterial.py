"""Real TLS material for tests: self-signed (or CA-signed) certificates and kubernetes.io/tls Secrets.

Everything is minted with `cryptography`, as cert-manager would issue it: a leaf with DNS SANs,
optionally with its issuing CA appended to `tls.crt` (the chain), and an unencrypted PKCS#8 key.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@lru_cache(maxsize=None)
def private_key(kind: str = "rsa2048", seed: int = 0):
    """A key per (kind, seed); cached because RSA generation is slow."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec-k1":  # a curve ACM does not import
        return ec.generate_private_key(ec.SECP256K1())
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:] or 2048))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def _pem_key(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def certificate(domains: tuple[str, ...] = ("app.example.com",), kind: str = "rsa2048", seed: int = 0,
                with_ca: bool = False, serial: int = 1) -> tuple[str, str]:
    """(tls.crt PEM, tls.key PEM): a leaf for `domains`, self-signed or issued by a test CA (appended).

    RSA 2048 by default: the only key VPC Lattice serves (and cert-manager's default)."""
    leaf_key = private_key(kind, seed)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
    if with_ca:
        ca_key = private_key("ec", 1000 + seed)
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "latticegw test CA")])
        ca = (x509.CertificateBuilder().subject_name(issuer).issuer_name(issuer).public_key(ca_key.public_key())
              .serial_number(7).not_valid_before(_NOW).not_valid_after(_NOW + dt.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(ca_key, hashes.SHA256()))
    else:
        ca_key, issuer, ca = leaf_key, subject, None
    signer = ca_key
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    leaf = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(leaf_key.public_key())
            .serial_number(serial).not_valid_before(_NOW).not_valid_after(_NOW + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
            .sign(signer, algorithm))
    crt = leaf.public_bytes(serialization.Encoding.PEM).decode()
    if ca is not None:
        crt += ca.public_bytes(serialization.Encoding.PEM).decode()
    return crt, _pem_key(leaf_key)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tls_secret(name: str = "app-tls", ns: str = "default", crt: str | None = None, key: str | None = None,
               type_: str = "kubernetes.io/tls", data: dict[str, str] | None = None, **cert_kw: Any) -> dict:
    """A Secret as the API server returns it (base64 `data`)."""
    if data is None:
        if crt is None or key is None:
            crt, key = certificate(**cert_kw)
        data = {"tls.crt": b64(crt), "tls.key": b64(key)}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "type": type_, "data": data}
