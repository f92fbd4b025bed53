"""Lattice resource names: pure, deterministic functions of the Kubernetes source.

Lattice names match `[a-z0-9-]+` with no leading, trailing or doubled hyphen, have per-type
length limits and forbidden prefixes (service `svc-`, listener `listener-`, rule `rule-`, TG `tg-`,
reserved for IDs). Kubernetes names may contain dots and are up to 253 characters, so names are
built in two ways:

* **reference form**, identical to the AWS controller's (`trunc(route,20)-trunc(ns,18)` for a
  service, `...-<port>-<proto>` for a listener), whenever that form is *lossless*: nothing was cut
  or rewritten. Keeping it lets latticegw adopt services the AWS controller created.
* **hashed form** otherwise: readable, truncated pieces plus a SHA-256 prefix of the full identity,
  so two sources that truncate to the same text never share a name.

Nothing here depends on time, randomness or the process, so names are stable across restarts and
releases. Changing any function in this module renames live resources; don't.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

NAME_RE = re.compile(r"^(?!-)(?!.*-$)(?!.*--)[a-z0-9-]+$")
# kind -> (min length, max length, forbidden prefix)
LIMITS: dict[str, tuple[int, int, str | None]] = {
    "servicenetwork": (3, 63, None),
    "service": (3, 40, "svc-"),
    "listener": (3, 63, "listener-"),
    "rule": (3, 63, "rule-"),
    "targetgroup": (3, 128, "tg-"),
}
SN_ID_RE = re.compile(r"^sn-[0-9a-z]{17}$")
_BAD = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def is_valid(kind: str, name: str) -> bool:
    lo, hi, prefix = LIMITS[kind]
    return lo <= len(name) <= hi and bool(NAME_RE.match(name)) and not (prefix and name.startswith(prefix))


def trunc(s: str, n: int) -> str:
    """The AWS controller's truncation: cut to n characters, then trim hyphens."""
    return s[:n].strip("-")


@lru_cache(maxsize=65536)
def sanitize(s: str) -> str:
    """Lower-case, map anything outside [a-z0-9-] to '-', collapse and trim hyphens."""
    return _DASHES.sub("-", _BAD.sub("-", s.lower())).strip("-")


@lru_cache(maxsize=65536)
def _piece(s: str, n: int) -> str:
    return trunc(sanitize(s), n)


def short_hash(*parts: str, n: int = 8) -> str:
    """First n hex digits of SHA-256 over the parts (NUL-separated, so ("a","bc") != ("ab","c"))."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:n]


def _join(*pieces: str) -> str:
    s = "-".join([p for p in pieces if p])
    if "--" in s:  # the regex is only needed when a piece brought its own hyphens
        s = _DASHES.sub("-", s)
    return s.strip("-")


def _fix_prefix(name: str, prefix: str | None, max_len: int) -> str:
    if prefix and name.startswith(prefix):
        name = _join("k8s", name)[:max_len].rstrip("-")
    return name


@lru_cache(maxsize=16384)  # asked for twice per route (service and listener names)
def service_base(route_name: str, namespace: str) -> tuple[str, bool]:
    """The `<route>-<ns>` stem shared by a route's service and listener names.

    Returns (stem, lossless). Lossless means the reference form kept every character.
    """
    ref = f"{trunc(route_name, 20)}-{trunc(namespace, 18)}"
    lossless = (
        len(route_name) <= 20
        and len(namespace) <= 18
        and sanitize(route_name) == route_name
        and sanitize(namespace) == namespace
        and NAME_RE.match(ref) is not None
    )
    if lossless:
        return ref, True
    h = short_hash(namespace, route_name)
    return _join(trunc(sanitize(route_name), 16), trunc(sanitize(namespace), 14), h), False


def service_name(route_name: str, namespace: str) -> str:
    """Lattice service name for a route (3-40 chars, never `svc-...`)."""
    base, lossless = service_base(route_name, namespace)
    if base.startswith("svc-"):
        # Prefixing changes the text, so add the hash if it isn't there yet (collision safety).
        if lossless:
            base = _join("k8s", trunc(base, 27), short_hash(namespace, route_name))
        else:
            base = _join("k8s", base)
    if len(base) < 3:  # e.g. route "a" in namespace "b" gives "a-b" (3), so only in odd inputs
        base = _join(base, short_hash(namespace, route_name))
    return base[:40].rstrip("-")


_PROTO_SUFFIX = {"HTTP": "http", "HTTPS": "https", "TLS_PASSTHROUGH": "tls"}


def listener_name(route_name: str, namespace: str, port: int, protocol: str) -> str:
    """`<route>-<ns>-<port>-<http|https|tls>` as the AWS controller names it (unique per service)."""
    base, _ = service_base(route_name, namespace)
    proto = _PROTO_SUFFIX.get(protocol) or sanitize(protocol)
    # base is a valid name stem and proto is sanitized, so joining cannot create "--"
    return _fix_prefix(f"{base}-{port}-{proto}" if proto else f"{base}-{port}", "listener-", 63)


def rule_name(match_key: str) -> str:
    """A rule's name: a hash of its match (unique per listener because matches are de-duplicated).

    Keyed by match rather than position so reordering rules only changes priorities (one
    BatchUpdateRule) instead of renaming, i.e. deleting and recreating, every rule.
    """
    # == short_hash(match_key, n=12), without the join of a single part (several rules per route)
    return "k8s-" + hashlib.sha256(match_key.encode()).hexdigest()[:12]


def target_group_name(
    *,
    cluster: str,
    vpc: str,
    source_kind: str,
    source_namespace: str,
    source_name: str,
    service_namespace: str,
    service_name: str,
    port: int | None,
    protocol: str,
    protocol_version: str,
    ip_address_type: str,
    custom_domain: str | None = None,
) -> str:
    """`k8s-<svcns>-<svc>-<route>-<hash>`: readable, and unique per account.

    The hash covers everything that identifies the TG, including the immutable Lattice config
    (protocol, protocolVersion, ipAddressType) and the owning cluster/VPC (TG names are unique per
    account). A change of any immutable field therefore yields a new name: the new TG is created and
    switched to before the old one is deleted. The route's custom domain is hashed in too: a domain
    change replaces the Lattice service, and a TG can serve only one service, so the replacement
    service needs its own TGs while the old service still uses the old ones.
    """
    parts = [
        cluster,
        vpc,
        source_kind,
        source_namespace,
        source_name,
        service_namespace,
        service_name,
        str(port or ""),
        protocol,
        protocol_version,
        ip_address_type,
    ]
    if custom_domain:
        parts.append(custom_domain)
    h = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:10]  # == short_hash(*parts, n=10)
    a, b = _piece(service_namespace, 30), _piece(service_name, 40)
    c = _piece(source_name, 30) if source_kind != "ServiceExport" else "export"
    if a and b and c:  # pieces are sanitized and trimmed, so plain joining cannot double a hyphen
        return f"k8s-{a}-{b}-{c}-{h}"  # at most 4+30+40+30+10+4 = 118 characters
    return _join("k8s", a, b, c, h)[:128]


def replacement_service_name(name: str, custom_domain: str | None) -> str:
    """The name of the service that replaces `name` when its custom domain must change.

    Lattice cannot change customDomainName in place and service names are unique, so the new service
    is created next to the old one under this name (make-before-break), then the old one is deleted.
    Pure function of the name and the new domain, so a crash mid-way resumes with the same name.
    """
    return _join(trunc(name, 31), short_hash(name, custom_domain or ""))


def lookup_placeholder(namespace: str, name: str) -> str:
    """The `targetGroupIdentifier` placeholder for a ServiceImport (never a valid Lattice name)."""
    return f"serviceimport/{namespace}/{name}"
