"""Target group config: protocol, health check defaults and TargetGroupPolicy overrides.

Defaults are the AWS controller's (`target_group_manager.go`): HTTP1 → health check on, HTTP `/`,
matcher 200, every 30 s, timeout 5 s, healthy 5, unhealthy 2; HTTP2, GRPC and TCP → health check
off. The TG `port` is always 80 as in the AWS controller (the real port is on each target).
The desired health check is always written out in full so that plan compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translate.frozen import FrozenDict, freeze

TG_PORT = 80

HC_FIELDS = {  # TargetGroupPolicy healthCheck field → Lattice healthCheck member
    "enabled": "enabled",
    "intervalSeconds": "healthCheckIntervalSeconds",
    "timeoutSeconds": "healthCheckTimeoutSeconds",
    "healthyThresholdCount": "healthyThresholdCount",
    "unhealthyThresholdCount": "unhealthyThresholdCount",
    "path": "path",
    "port": "port",
    "protocol": "protocol",
    "protocolVersion": "protocolVersion",
}
HC_RANGES = {
    "intervalSeconds": (5, 300),
    "timeoutSeconds": (1, 120),
    "healthyThresholdCount": (2, 10),
    "unhealthyThresholdCount": (2, 10),
    "port": (1, 65535),
}


@dataclass(frozen=True, slots=True)
class Protocol:
    protocol: str  # HTTP | HTTPS | TCP
    version: str  # HTTP1 | HTTP2 | GRPC | "" for TCP


def default_health_check(proto: Protocol) -> dict[str, Any]:
    if proto.protocol == "TCP":
        return {"enabled": False}
    return {
        "enabled": proto.version == "HTTP1",
        "protocol": "HTTP",
        "protocolVersion": "HTTP1",
        "path": "/",
        "healthCheckIntervalSeconds": 30,
        "healthCheckTimeoutSeconds": 5,
        "healthyThresholdCount": 5,
        "unhealthyThresholdCount": 2,
        "matcher": {"httpCode": "200"},
    }


def validate_policy_spec(spec: Mapping[str, Any]) -> str | None:
    """A TargetGroupPolicy problem in words, or None when valid."""
    proto = spec.get("protocol")
    version = spec.get("protocolVersion")
    if proto is not None and proto not in ("HTTP", "HTTPS", "TCP"):
        return f"protocol {proto!r} must be HTTP, HTTPS or TCP"
    if version is not None and version not in ("HTTP1", "HTTP2"):
        return f"protocolVersion {version!r} must be HTTP1 or HTTP2"
    if proto == "TCP" and version:
        return "protocolVersion cannot be set with protocol TCP"
    hc = spec.get("healthCheck") or {}
    if not isinstance(hc, Mapping):
        return "healthCheck must be an object"
    for key, (lo, hi) in HC_RANGES.items():
        v = hc.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi):
            return f"healthCheck.{key} {v!r} must be an integer in {lo}..{hi}"
    if hc.get("protocol") not in (None, "HTTP", "HTTPS"):
        return f"healthCheck.protocol {hc.get('protocol')!r} must be HTTP or HTTPS"
    if hc.get("protocolVersion") not in (None, "HTTP1", "HTTP2"):
        return f"healthCheck.protocolVersion {hc.get('protocolVersion')!r} must be HTTP1 or HTTP2"
    path = hc.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        return f"healthCheck.path {path!r} must start with /"
    return None


def route_protocol(route_kind: str, policy_spec: Mapping[str, Any] | None) -> Protocol:
    """TG protocol for a route backend: HTTPRoute HTTP/HTTP1, GRPCRoute HTTP/GRPC, TLSRoute TCP;
    a TargetGroupPolicy may switch HTTP↔HTTPS and HTTP1↔HTTP2 (not for gRPC or TLS)."""
    if route_kind == "TLSRoute":
        return Protocol("TCP", "")
    proto, version = "HTTP", "GRPC" if route_kind == "GRPCRoute" else "HTTP1"
    if policy_spec:
        p = policy_spec.get("protocol")
        if p in ("HTTP", "HTTPS"):
            proto = p
        if route_kind == "HTTPRoute" and policy_spec.get("protocolVersion") in ("HTTP1", "HTTP2"):
            version = policy_spec["protocolVersion"]
    return Protocol(proto, version)


def export_protocol(route_type: str, policy_spec: Mapping[str, Any] | None) -> Protocol:
    """ServiceExport exportedPorts routeType → protocol (HTTP→HTTP/HTTP1, GRPC→HTTP/GRPC, TLS→TCP)."""
    kind = {"HTTP": "HTTPRoute", "GRPC": "GRPCRoute", "TLS": "TLSRoute"}.get(route_type, "HTTPRoute")
    return route_protocol(kind, policy_spec)


def health_check(proto: Protocol, policy_spec: Mapping[str, Any] | None) -> dict[str, Any]:
    hc = default_health_check(proto)
    override = (policy_spec or {}).get("healthCheck") or {}
    if not override:
        return hc
    if proto.protocol == "TCP" and override.get("enabled"):
        # A TCP TG health check needs protocol and version; fill the HTTP defaults under it.
        hc = {**default_health_check(Protocol("HTTP", "HTTP1")), "enabled": True}
    for src, dst in HC_FIELDS.items():
        if override.get(src) is not None:
            hc[dst] = override[src]
    if override.get("statusMatch"):
        hc["matcher"] = {"httpCode": str(override["statusMatch"])}
    return hc


def config(proto: Protocol, *, vpc_id: str, ip_address_type: str, policy_spec: Mapping[str, Any] | None,
           port: int = TG_PORT) -> FrozenDict:
    """A target group's immutable configuration. `port` is the TG's default port (targets are
    registered with their own ports): 80, except for a ServiceExport `exportedPorts` entry, whose TG
    the AWS controller creates on that entry's port (and adoption matches that shape)."""
    cfg: dict[str, Any] = {
        "port": port,
        "protocol": proto.protocol,
        "ipAddressType": ip_address_type,
        "vpcIdentifier": vpc_id,
        "healthCheck": health_check(proto, policy_spec),
    }
    if proto.version:
        cfg["protocolVersion"] = proto.version
    frozen: FrozenDict = freeze(cfg)
    return frozen
