"""Gateway listeners: which are valid for Lattice, what routes they admit, and their status.

Protocol mapping (as the AWS controller): HTTP → Lattice HTTP; HTTPS (TLS mode Terminate, the
default) → HTTPS with the certificate from `tls.options["application-networking.k8s.aws/certificate-arn"]`,
else the `certificateRefs` Secret (imported into ACM by apply; `certificates.py` resolves the refs
per the Gateway API and a bad one leaves the listener unprogrammed), else discovered in ACM /
managed by Lattice; TLS with mode Passthrough → TLS_PASSTHROUGH. TLS with
Terminate, TCP and UDP are rejected (UnsupportedProtocol). The listener `hostname` only decides
which routes attach; Lattice has no listener hostname. Several Gateway listeners on one port with
different Lattice protocols conflict (ProtocolConflict) and admit no routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translate import certificates
from translate.frozen import FrozenDict, freeze
from translate.model import ANNOTATION_PREFIX, GATEWAY_GROUP, HTTP, HTTPS, TLS_PASSTHROUGH, Certificate
from translate.snapshot import Snapshot
from translate.status.conditions import (
    ACCEPTED,
    CONFLICTED,
    PROGRAMMED,
    R_ACCEPTED,
    R_HOSTNAME_CONFLICT,
    R_INVALID,
    R_INVALID_ROUTE_KINDS,
    R_PROGRAMMED,
    R_PROTOCOL_CONFLICT,
    R_RESOLVED_REFS,
    R_UNSUPPORTED_PROTOCOL,
    R_UNSUPPORTED_VALUE,
    RESOLVED_REFS,
    false,
    true,
)

CERT_ARN_OPTION = ANNOTATION_PREFIX + "certificate-arn"
# GRPCRoute on HTTP listeners too: "VPC Lattice can listen on HTTP, HTTPS, HTTP/1.1, and HTTP/2 ...
# We do not require that the listener and target group protocols match" (VPC Lattice user guide,
# Listeners); gRPC over a plain HTTP listener is HTTP/2 with prior knowledge (h2c), which gRPC
# clients use for insecure channels. The AWS controller admits GRPCRoutes on HTTPS listeners only.
DEFAULT_KINDS = {
    HTTP: ("HTTPRoute", "GRPCRoute"),
    HTTPS: ("HTTPRoute", "GRPCRoute"),
    TLS_PASSTHROUGH: ("TLSRoute",),
}


@dataclass(frozen=True, slots=True)
class GatewayListener:
    name: str
    port: int
    protocol: str  # Lattice protocol, "" when unsupported
    hostname: str | None
    supported_kinds: tuple[str, ...]  # route kinds (group gateway.networking.k8s.io)
    namespaces_from: str  # Same | All | Selector
    selector: FrozenDict
    certificate_arn: str | None
    certificates: tuple[Certificate, ...]  # of the certificateRefs Secrets, in order (when all refs resolve)
    valid: bool  # Accepted and not Conflicted: routes may attach
    conditions: tuple[Any, ...]  # without generation-specific attachedRoutes; Condition objects
    programmed: bool = True  # valid, with a usable certificate: becomes a Lattice listener


def _lattice_protocol(listener: Mapping[str, Any]) -> tuple[str, tuple[str, str] | None]:
    """(Lattice protocol, (Accepted=False reason, message) when Lattice cannot program it).

    A protocol Lattice lacks is UnsupportedProtocol; a supported protocol in a TLS mode Lattice
    lacks is UnsupportedValue (the protocol is fine, the value of tls.mode is not).
    """
    proto = listener.get("protocol")
    tls = listener.get("tls") or {}
    mode = tls.get("mode") or "Terminate"
    if proto == "HTTP":
        return HTTP, None
    if proto == "HTTPS":
        if mode != "Terminate":
            return "", (R_UNSUPPORTED_VALUE, "HTTPS listeners must use TLS mode Terminate")
        return HTTPS, None
    if proto == "TLS":
        if mode != "Passthrough":
            return "", (R_UNSUPPORTED_VALUE, "Lattice supports TLS listeners only in Passthrough mode")
        return TLS_PASSTHROUGH, None
    return "", (R_UNSUPPORTED_PROTOCOL, f"protocol {proto} is not supported by VPC Lattice (HTTP, HTTPS, TLS Passthrough)")


def analyze(gateway: Mapping[str, Any], generation: int | None, snapshot: Snapshot | None = None) -> list[GatewayListener]:
    spec = gateway.get("spec") or {}
    gw_ns = str((gateway.get("metadata") or {}).get("namespace") or "default")
    raw = list(spec.get("listeners") or ())
    prelim: list[dict[str, Any]] = []
    for lst in raw:
        proto, problem = _lattice_protocol(lst)
        allowed = lst.get("allowedRoutes") or {}
        ns = allowed.get("namespaces") or {}
        kinds_spec = allowed.get("kinds")
        defaults = DEFAULT_KINDS.get(proto, ())
        bad_kinds: list[str] = []
        if kinds_spec:
            kinds = []
            for k in kinds_spec:
                g, kd = k.get("group", GATEWAY_GROUP) or GATEWAY_GROUP, k.get("kind")
                if g == GATEWAY_GROUP and kd in defaults:
                    if kd not in kinds:
                        kinds.append(kd)
                else:
                    bad_kinds.append(f"{g}/{kd}")
        else:
            kinds = list(defaults)
        tls = lst.get("tls") or {}
        cert = (tls.get("options") or {}).get(CERT_ARN_OPTION)
        secret_certs: tuple[Certificate, ...] = ()
        cert_problem = None
        if proto == HTTPS and snapshot is not None:
            secret_certs, cert_problem = certificates.resolve(snapshot, gw_ns, tls.get("certificateRefs"))
        prelim.append(
            {
                "name": str(lst.get("name") or ""),
                "port": int(lst.get("port") or 0),
                "protocol": proto,
                "problem": problem,
                "hostname": lst.get("hostname") or None,
                "kinds": tuple(kinds),
                "bad_kinds": bad_kinds,
                "from": ns.get("from") or "Same",
                "selector": freeze(ns.get("selector") or {}),
                "cert": str(cert) if cert else None,
                "secret_certs": secret_certs,
                "cert_problem": cert_problem,
            }
        )
    # Conflicts among listeners Lattice could program.
    by_port: dict[int, set[str]] = {}
    seen: dict[tuple[int, str, str | None], int] = {}
    dup: set[int] = set()
    for idx, p in enumerate(prelim):
        if p["problem"]:
            continue
        by_port.setdefault(p["port"], set()).add(p["protocol"])
        key = (p["port"], p["protocol"], p["hostname"])
        if key in seen:
            dup.update({idx, seen[key]})
        seen[key] = idx
    out: list[GatewayListener] = []
    g = generation
    for idx, p in enumerate(prelim):
        conds = []
        conflict = None
        if not p["problem"] and len(by_port[p["port"]]) > 1:
            conflict = (R_PROTOCOL_CONFLICT, f"port {p['port']} is used with different protocols")
        elif idx in dup:
            conflict = (R_HOSTNAME_CONFLICT, f"another listener uses port {p['port']} with the same hostname")
        if p["problem"]:
            reason, message = p["problem"]
            conds.append(false(ACCEPTED, reason, message, g))
        else:
            conds.append(true(ACCEPTED, R_ACCEPTED, "", g))
        if conflict:
            conds.append(true(CONFLICTED, conflict[0], conflict[1], g))
        cert_problem = p["cert_problem"]
        if cert_problem is not None:
            conds.append(false(RESOLVED_REFS, cert_problem.reason, cert_problem.message, g))
        elif p["bad_kinds"]:
            conds.append(
                false(RESOLVED_REFS, R_INVALID_ROUTE_KINDS, f"unsupported route kinds: {', '.join(p['bad_kinds'])}", g)
            )
        else:
            conds.append(true(RESOLVED_REFS, R_RESOLVED_REFS, "", g))
        # A bad certificateRef leaves the listener without its certificate: not programmed (rather
        # than served with another one), unless the certificate-arn option names the certificate.
        # Routes still attach to it (Gateway API: attachment depends on allowedRoutes and parentRefs
        # only, not on listener status); they are just not served on it.
        no_certificate = cert_problem is not None and not p["cert"]
        valid = not p["problem"] and conflict is None
        programmed = valid and not no_certificate
        if programmed:
            conds.append(true(PROGRAMMED, R_PROGRAMMED, "", g))
        elif valid:
            conds.append(false(PROGRAMMED, R_INVALID, f"listener has no usable certificate: {cert_problem.message}", g))
        else:
            conds.append(false(PROGRAMMED, R_INVALID, "listener is not programmed", g))
        out.append(
            GatewayListener(
                name=p["name"],
                port=p["port"],
                protocol=p["protocol"],
                hostname=p["hostname"],
                supported_kinds=p["kinds"],
                namespaces_from=p["from"],
                selector=p["selector"],
                certificate_arn=p["cert"],
                certificates=p["secret_certs"],
                valid=valid,
                programmed=programmed,
                conditions=tuple(conds),
            )
        )
    return out


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str] | None) -> bool:
    """metav1.LabelSelector semantics. Unknown namespaces (labels None) match nothing."""
    if labels is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), list(expr.get("values") or ())
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True
