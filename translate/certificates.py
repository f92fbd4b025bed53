"""Listener `certificateRefs`: resolve them per the Gateway API, and read the Secret they name.

Rules (Gateway API `ListenerTLSConfig.certificateRefs` and the listener condition reasons), checked
for every ref of an HTTPS listener in this order, the first failure decides:

1. group "" (core) and kind Secret, else ResolvedRefs=False / InvalidCertificateRef;
2. a ref into another namespace needs a ReferenceGrant there (from Gateway in the Gateway's
   namespace, to Secret), else ResolvedRefs=False / RefNotPermitted, whether the Secret exists or
   not (the reference is not allowed, so its target is not looked at);
3. the Secret exists, has type `kubernetes.io/tls`, and `tls.crt` / `tls.key` hold a PEM
   certificate chain and an unencrypted PEM private key that belongs to the first certificate and
   is a 2048-bit RSA key (the only kind VPC Lattice serves), else InvalidCertificateRef with the
   reason in the message.

A listener with a bad ref is not programmed (its routes would otherwise be served with some other
certificate); the Gateway's other listeners keep working. Lattice serves one certificate per
service: of all the certificates the route's listeners name, the one covering the service's custom
domain (exact before wildcard) is imported into ACM (`lattice/certificates.py`); every ref is still
checked so status is honest.

Parsing is pure (no clock: expiry is ACM's business) and memoised by the Secret's bytes, so a
Secret shared by many routes is parsed once per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from translate import grants
from translate.model import GATEWAY_GROUP, Certificate, Source
from translate.snapshot import Snapshot
from translate.status.conditions import R_INVALID_CERTIFICATE_REF, R_REF_NOT_PERMITTED

if TYPE_CHECKING:
    from cryptography import x509

# cryptography (~10 MiB of RSS) is imported by `parse` on the first TLS Secret, not here: most
# controllers (and every plan without HTTPS listeners) never read one.

TLS_SECRET_TYPE = "kubernetes.io/tls"
# "VPC Lattice only supports certificates with 2048-bit RSA keys" (VPC Lattice user guide, Bring
# Your Own Certificate, limitations). ACM would import more (RSA 1024-4096, ECDSA), Lattice would not
# serve them; cert-manager issues RSA 2048 by default (`privateKey.algorithm: RSA`, size 2048).
LATTICE_RSA_BITS = 2048


class CertificateProblem(ValueError):
    """Why a ref cannot be used: `reason` is the listener ResolvedRefs reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def resolve(snapshot: Snapshot, gateway_ns: str, refs: Any) -> tuple[tuple[Certificate, ...], CertificateProblem | None]:
    """(the certificates of the refs, in order; the first problem of any ref). With a problem the
    listener has no certificate from its refs: ((), problem)."""
    out: list[Certificate] = []
    for ref in refs or ():
        try:
            out.append(_one(snapshot, gateway_ns, ref))
        except CertificateProblem as problem:
            return (), problem
    return tuple(out), None


def covers(name: str, domain: str) -> bool:
    """TLS name matching as Lattice does it: exact, or a wildcard for exactly one more label."""
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    if name == domain:
        return True
    head, _, rest = domain.partition(".")
    return name.startswith("*.") and bool(head) and rest == name[2:]


def choose(candidates: tuple[Certificate, ...], domain: str) -> tuple[Certificate | None, bool]:
    """(the certificate to serve `domain` with, whether it covers it). Lattice serves one certificate
    per service: an exact name beats a wildcard (Gateway API: the longest matching SNI), the
    earlier listener/ref wins a tie; with no match, the first one (status says it does not cover)."""
    for exact in (True, False):
        for cert in candidates:
            if any((d == domain.lower().rstrip(".")) if exact else covers(d, domain) for d in cert.domains):
                return cert, True
    return (candidates[0] if candidates else None), False


def _one(snapshot: Snapshot, gateway_ns: str, ref: Any) -> Certificate:
    if not isinstance(ref, Mapping):
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, "certificateRefs entries must be objects")
    group, kind = str(ref.get("group") or ""), str(ref.get("kind") or "Secret")
    name = str(ref.get("name") or "")
    ns = str(ref.get("namespace") or gateway_ns)
    if group not in ("", "core") or kind != "Secret":
        raise CertificateProblem(
            R_INVALID_CERTIFICATE_REF,
            f"certificateRef {group or 'core'}/{kind} {name}: only core Secrets (group \"\", kind Secret) are supported")
    if not grants.permitted(snapshot, from_group=GATEWAY_GROUP, from_kind="Gateway", from_namespace=gateway_ns,
                            to_group="", to_kind="Secret", to_namespace=ns, to_name=name):
        raise CertificateProblem(R_REF_NOT_PERMITTED,
                                 f"Secret {ns}/{name}: no ReferenceGrant in {ns} allows Gateways from {gateway_ns}")
    secret = snapshot.get("Secret", ns, name)
    if secret is None:
        # The controller watches only kubernetes.io/tls Secrets (docs/operations.md), so a Secret of
        # another type looks missing too.
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF,
                                 f"Secret {ns}/{name} does not exist (or is not of type {TLS_SECRET_TYPE})")
    if secret.get("type") != TLS_SECRET_TYPE:
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF,
                                 f"Secret {ns}/{name} has type {secret.get('type')!r}, not {TLS_SECRET_TYPE}")
    data = secret.get("data") or {}
    missing = [k for k in ("tls.crt", "tls.key") if not data.get(k)]
    if missing:
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, f"Secret {ns}/{name} has no {' or '.join(missing)}")
    try:
        parsed = parse(str(data["tls.crt"]), str(data["tls.key"]))
    except CertificateProblem as exc:
        raise CertificateProblem(exc.reason, f"Secret {ns}/{name}: {exc.message}") from None
    return Certificate(Source("Secret", ns, name), *parsed)


@lru_cache(maxsize=1024)
def parse(crt_b64: str, key_b64: str) -> tuple[str, tuple[str, ...], str, str, str]:
    """(fingerprint, domains, leaf PEM, key PEM, chain PEM) of a Secret's base64 `tls.crt`/`tls.key`.

    Raises CertificateProblem (InvalidCertificateRef) for anything ACM would refuse to import or
    Lattice would refuse to serve.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        crt_pem, key_pem = base64.b64decode(crt_b64, validate=True), base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, "tls.crt or tls.key is not valid base64") from None
    try:
        certs = x509.load_pem_x509_certificates(crt_pem)
    except ValueError:
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, "tls.crt holds no PEM certificate") from None
    try:
        # The RSA consistency check (p*q == n, CRT values) costs ~20-200 ms per key on the event loop;
        # the realistic mistake, a key of another certificate, is caught below by comparing public
        # keys, and ACM validates the rest at import (a FailedDeployModel event says so).
        key = serialization.load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError) as exc:
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, f"tls.key holds no unencrypted PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != LATTICE_RSA_BITS:
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF,
                                 f"VPC Lattice serves only certificates with 2048-bit RSA keys, not {_describe(key)}")
    leaf = certs[0]
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if leaf.public_key().public_bytes(enc, raw) != key.public_key().public_bytes(enc, raw):
        raise CertificateProblem(R_INVALID_CERTIFICATE_REF, "tls.key does not belong to the first certificate of tls.crt")
    pem = serialization.Encoding.PEM
    leaf_pem = leaf.public_bytes(pem).decode()
    chain_pem = "".join(c.public_bytes(pem).decode() for c in certs[1:])
    key_text = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    fp = hashlib.sha256("\x1f".join((leaf_pem, chain_pem, key_text)).encode()).hexdigest()[:24]
    return fp, _domains(leaf), leaf_pem, key_text, chain_pem


def _domains(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return tuple(dict.fromkeys(n.lower().rstrip(".") for n in names))


def _describe(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return f"a {key.key_size}-bit RSA key"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    return f"an {type(key).__name__.removeprefix('_').removesuffix('PrivateKey')} key"
