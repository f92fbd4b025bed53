"""ACM certificates: import (and re-import), list, describe, tags, delete.

Behaviour follows the ACM API reference:
- ImportCertificate takes the PEM certificate, its unencrypted private key (RSA 1024-4096, EC P-256/
  P-384/P-521) and an optional chain (base64 blobs on the wire). The key must belong to the
  certificate. Without CertificateArn it creates an IMPORTED certificate with a new ARN; with one it
  re-imports in place (same ARN, new content) and refuses Tags ("tags cannot be applied while
  re-importing").
- ListCertificates filters by CertificateStatuses and Includes.keyTypes, whose default is RSA_1024
  and RSA_2048 only: EC certificates are listed only when asked for. Pages of MaxItems with
  NextToken.
- DeleteCertificate refuses a certificate a Lattice service of the same account and region uses
  (ResourceInUseException), as ACM does for certificates associated with AWS services.
- Tags: 1-50 per certificate; keys and values as the model allows.
Timestamps are ISO 8601 text (botocore parses both that and ACM's epoch numbers). Records live in the partition (`part.certificates`, by ARN); the private key is kept for
re-import checks only and never returned (ACM cannot export imported keys either).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..ops import Ctx, iso
from ..store import Record
from .errors import InUse, InvalidArn, InvalidParameter, NotFound, Validation

DEFAULT_KEY_TYPES = ("RSA_1024", "RSA_2048")
MAX_TAGS = 50
EC_NAMES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}


def _blob(p: dict[str, Any], name: str) -> bytes:
    try:
        return base64.b64decode(p[name], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidParameter(f"{name} is not a valid blob") from None


def _key_algorithm(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size in (1024, 2048, 3072, 4096):
        return f"RSA_{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in EC_NAMES:
        return EC_NAMES[key.curve.name]
    raise InvalidParameter("The private key is not supported (RSA 1024-4096 or EC P-256/P-384/P-521)")


def _parse(p: dict[str, Any]) -> dict[str, Any]:
    try:
        cert = x509.load_pem_x509_certificate(_blob(p, "Certificate"))
    except ValueError:
        raise InvalidParameter("The certificate field contains no valid PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(_blob(p, "PrivateKey"), password=None)
    except (ValueError, TypeError):
        raise InvalidParameter("The private key is not a valid unencrypted PEM key") from None
    algorithm = _key_algorithm(key)
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(der, spki) != key.public_key().public_bytes(der, spki):
        raise InvalidParameter("The private key does not match the certificate")
    if p.get("CertificateChain"):
        try:
            x509.load_pem_x509_certificates(_blob(p, "CertificateChain"))
        except ValueError:
            raise InvalidParameter("The certificate chain contains no valid PEM certificate") from None
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    cns = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    domain = cns[0] if cns else (sans[0] if sans else "")
    return {
        "DomainName": domain,
        "SubjectAlternativeNames": list(dict.fromkeys([domain, *sans])) if domain else sans,
        "Serial": ":".join(f"{b:02x}" for b in cert.serial_number.to_bytes(20, "big").lstrip(b"\0") or b"\0"),
        "Subject": cert.subject.rfc4514_string(),
        "Issuer": cert.issuer.rfc4514_string(),
        "NotBefore": iso(cert.not_valid_before_utc.timestamp()),
        "NotAfter": iso(cert.not_valid_after_utc.timestamp()),
        "KeyAlgorithm": algorithm,
        "SignatureAlgorithm": (cert.signature_hash_algorithm.name.upper() if cert.signature_hash_algorithm else "NONE")
        + "WITH" + ("RSA" if algorithm.startswith("RSA") else "ECDSA"),
        "_pem": base64.b64encode(_blob(p, "Certificate")).decode(),
    }


def _record(ctx: Ctx, arn: Any) -> Record:
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":certificate/" not in arn:
        raise InvalidArn(f"{str(arn)[:200]} is not a valid certificate ARN")
    rec = ctx.part.certificates.get(arn)
    if rec is None:
        raise NotFound(f"Could not find certificate {arn}.")
    return rec


def _status(ctx: Ctx, rec: Record) -> str:
    return "EXPIRED" if rec["NotAfter"] < ctx.stamp else "ISSUED"  # same ISO format: compares as text


def _tags(rec: Record) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} if v is not None else {"Key": k} for k, v in rec["_tags"].items()]


def _set_tags(rec: Record, tags: list[dict[str, Any]]) -> None:
    merged = dict(rec["_tags"])
    for t in tags:
        if str(t.get("Key", "")).startswith("aws:"):
            raise InvalidParameter("Tag keys starting with aws: are reserved")
        merged[t["Key"]] = t.get("Value")
    if len(merged) > MAX_TAGS:
        raise InvalidParameter(f"A certificate can have at most {MAX_TAGS} tags")
    rec["_tags"] = merged


def import_certificate(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    parsed = _parse(p)
    arn = p.get("CertificateArn")
    if arn is not None:
        rec = _record(ctx, arn)
        if p.get("Tags"):
            raise InvalidParameter("Tags cannot be applied while re-importing a certificate")
        rec.update(parsed)
        rec["ImportedAt"] = ctx.stamp
        return {"CertificateArn": arn}
    arn = f"arn:aws:acm:{ctx.region}:{ctx.account}:certificate/{uuid.UUID(int=ctx.part.rng.getrandbits(128), version=4)}"
    ctx.part.seq += 1
    rec = {"CertificateArn": arn, "Type": "IMPORTED", "CreatedAt": ctx.stamp, "ImportedAt": ctx.stamp, "_tags": {},
           "_seq": ctx.part.seq, **parsed}
    _set_tags(rec, p.get("Tags") or [])
    ctx.part.certificates[arn] = rec
    return {"CertificateArn": arn}


def _in_use(ctx: Ctx, arn: str) -> list[str]:
    return [svc["arn"] for svc in ctx.part.tables["service"].values() if svc.get("certificateArn") == arn]


def describe_certificate(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rec = _record(ctx, p["CertificateArn"])
    public = {k: v for k, v in rec.items() if not k.startswith("_")}
    return {"Certificate": {**public, "Status": _status(ctx, rec), "InUseBy": _in_use(ctx, rec["CertificateArn"]),
                            "RenewalEligibility": "INELIGIBLE"}}


def list_certificates(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    statuses = set(p.get("CertificateStatuses") or ())
    key_types = set((p.get("Includes") or {}).get("keyTypes") or DEFAULT_KEY_TYPES)
    limit = p.get("MaxItems") or 1000
    try:
        after = int(base64.b64decode(p["NextToken"]).decode()) if p.get("NextToken") else 0
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Validation("NextToken is not valid") from None
    items = []
    for rec in sorted(ctx.part.certificates.values(), key=lambda r: r["_seq"]):
        if rec["_seq"] < after or rec["KeyAlgorithm"] not in key_types:
            continue
        status = _status(ctx, rec)
        if statuses and status not in statuses:
            continue
        items.append(rec)
    page, rest = items[:limit], items[limit:]
    out: dict[str, Any] = {"CertificateSummaryList": [{
        "CertificateArn": r["CertificateArn"], "DomainName": r["DomainName"],
        "SubjectAlternativeNameSummaries": r["SubjectAlternativeNames"],
        "HasAdditionalSubjectAlternativeNames": False, "Status": _status(ctx, r), "Type": r["Type"],
        "KeyAlgorithm": r["KeyAlgorithm"], "InUse": bool(_in_use(ctx, r["CertificateArn"])),
        "NotBefore": r["NotBefore"], "NotAfter": r["NotAfter"], "CreatedAt": r["CreatedAt"],
        "ImportedAt": r["ImportedAt"], "RenewalEligibility": "INELIGIBLE"} for r in page]}
    if rest:
        out["NextToken"] = base64.b64encode(str(rest[0]["_seq"]).encode()).decode()
    return out


def delete_certificate(ctx: Ctx, p: dict[str, Any]) -> None:
    rec = _record(ctx, p["CertificateArn"])
    users = _in_use(ctx, rec["CertificateArn"])
    if users:
        raise InUse(f"Certificate {rec['CertificateArn']} is in use by {', '.join(users)}")
    del ctx.part.certificates[rec["CertificateArn"]]


def list_tags(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": _tags(_record(ctx, p["CertificateArn"]))}


def add_tags(ctx: Ctx, p: dict[str, Any]) -> None:
    _set_tags(_record(ctx, p["CertificateArn"]), p["Tags"])


def remove_tags(ctx: Ctx, p: dict[str, Any]) -> None:
    rec = _record(ctx, p["CertificateArn"])
    for t in p["Tags"]:
        if t["Key"] in rec["_tags"] and ("Value" not in t or rec["_tags"][t["Key"]] == t.get("Value")):
            del rec["_tags"][t["Key"]]

