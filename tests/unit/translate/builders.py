"""Tiny builders for Kubernetes objects as the API server returns them (plain dicts)."""

from __future__ import annotations

from typing import Any

from translate import Snapshot, TranslateConfig, translate

GW = "gateway.networking.k8s.io"
AWS = "application-networking.k8s.aws"
CONFIG = TranslateConfig(cluster_name="test", vpc_id="vpc-0123456789abcdef0", account_id="111122223333",
                         region="us-west-2")


def gatewayclass(name: str = "amazon-vpc-lattice", controller: str = "application-networking.k8s.aws/gateway-api-controller", **spec: Any) -> dict:
    return {"apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": name, "generation": 1},
            "spec": {"controllerName": controller, **spec}}


def listener(name: str = "http", protocol: str = "HTTP", port: int = 80, **extra: Any) -> dict:
    return {"name": name, "protocol": protocol, "port": port, **extra}


def gateway(name: str = "lgw", ns: str = "default", listeners: list | None = None, cls: str = "amazon-vpc-lattice",
            annotations: dict | None = None, **spec: Any) -> dict:
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns, "generation": 1, "annotations": annotations or {}},
            "spec": {"gatewayClassName": cls, "listeners": listeners if listeners is not None else [listener()], **spec}}


def backend(name: str, port: int | None = 80, ns: str | None = None, weight: int | None = None, **extra: Any) -> dict:
    b: dict[str, Any] = {"name": name, **extra}
    if port is not None:
        b["port"] = port
    if ns is not None:
        b["namespace"] = ns
    if weight is not None:
        b["weight"] = weight
    return b


def prefix(value: str, **extra: Any) -> dict:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def exact(value: str, **extra: Any) -> dict:
    return {"path": {"type": "Exact", "value": value}, **extra}


def rule(*backends: dict, matches: list | None = None, **extra: Any) -> dict:
    r: dict[str, Any] = {"backendRefs": list(backends), **extra}
    if matches is not None:
        r["matches"] = matches
    return r


def route(name: str = "r", ns: str = "default", rules: list | None = None, parents: list | None = None,
          kind: str = "HTTPRoute", hostnames: list | None = None, annotations: dict | None = None,
          created: str = "2026-01-01T00:00:00Z", generation: int = 1) -> dict:
    spec: dict[str, Any] = {"parentRefs": parents if parents is not None else [{"name": "lgw"}],
                            "rules": rules if rules is not None else [rule(backend("svc"))]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GW}/v1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "generation": generation,
                         "creationTimestamp": created, "annotations": annotations or {}},
            "spec": spec}


def service(name: str = "svc", ns: str = "default", ports: list | None = None, families: list | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080}],
                     "ipFamilies": families or ["IPv4"]}}


def endpoints(svc: str = "svc", ns: str = "default", ips: tuple = ("10.0.0.1", "10.0.0.2"), port: int = 8080,
              port_name: str = "http", name: str | None = None, terminating: tuple = ()) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name or f"{svc}-abc", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True, "terminating": ip in terminating}} for ip in ips]}


def namespace(name: str, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def refgrant(ns: str, from_ns: str, from_kind: str = "HTTPRoute", to_kind: str = "Service", to_name: str | None = None,
             name: str = "grant") -> dict:
    to: dict[str, Any] = {"group": "", "kind": to_kind}
    if to_name:
        to["name"] = to_name
    return {"apiVersion": f"{GW}/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": name, "namespace": ns},
            "spec": {"from": [{"group": GW, "kind": from_kind, "namespace": from_ns}], "to": [to]}}


def policy(kind: str, name: str, ns: str, target_kind: str, target_name: str, target_group: str = "",
           created: str = "2026-01-01T00:00:00Z", **spec: Any) -> dict:
    return {"apiVersion": f"{AWS}/v1alpha1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "generation": 1, "creationTimestamp": created},
            "spec": {"targetRef": {"group": target_group, "kind": target_kind, "name": target_name}, **spec}}


def base(*extra: dict) -> list[dict]:
    """A class, a Gateway `gw` with an HTTP listener, Service `svc` with two endpoints."""
    return [gatewayclass(), gateway(), service(), endpoints(), *extra]


def run(objs: list[dict], config: TranslateConfig = CONFIG):
    return translate(Snapshot.of(objs), config)


def parent_conditions(result, name: str = "r", ns: str = "default", kind: str = "HTTPRoute", index: int = 0) -> dict:
    o = result.outcome(kind, ns, name)
    assert o is not None, f"no outcome for {kind} {ns}/{name}"
    return {c.type: c for c in o.parents[index].conditions}


def only_service(result):
    assert len(result.services) == 1, [s.name for s in result.services]
    return result.services[0]


def rules_of(result, listener_index: int = 0):
    return only_service(result).listeners[listener_index].rules
