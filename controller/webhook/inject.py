"""Which new pods get the readiness gate (drop-in with the AWS controller's pod_readiness_gate_injector.go).

The MutatingWebhookConfiguration already limits the webhook to pod CREATEs in namespaces labelled
`application-networking.k8s.aws/pod-readiness-gate-inject: enabled`. Inside those, a pod gets the
gate when a Service of its namespace selects it and that Service is a backend of an HTTPRoute or
GRPCRoute (not TLSRoute, as the AWS controller) whose parent is a Gateway of a GatewayClass of
ours, or is exported by a ServiceExport of the same name. A pod that already carries the gate is
left as it is (the AWS controller's webhook may have added it during a migration).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from controller.reconcilers.readiness_gates import GATE

NAMESPACE_LABEL = "application-networking.k8s.aws/pod-readiness-gate-inject"
GATED_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
GATEWAY_GROUP = "gateway.networking.k8s.io"


def selects(service: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    selector = (service.get("spec") or {}).get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _gateway_is_ours(view, namespace: str, ref: Mapping[str, Any], controller_name: str) -> bool:
    if (ref.get("group") or GATEWAY_GROUP) != GATEWAY_GROUP or (ref.get("kind") or "Gateway") != "Gateway":
        return False
    gw = view.get("Gateway", ref.get("namespace") or namespace, ref.get("name", ""))
    if gw is None:
        return False
    gc = view.get("GatewayClass", "", (gw.get("spec") or {}).get("gatewayClassName", ""))
    return gc is not None and (gc.get("spec") or {}).get("controllerName") == controller_name


def backs_lattice(view, namespace: str, service_name: str, controller_name: str) -> bool:
    """Is this Service a backend of a route of ours (HTTP/gRPC), or exported?"""
    if view.get("ServiceExport", namespace, service_name) is not None:
        return True
    for route in view.routes_for_service(namespace, service_name):
        if route.get("kind") not in GATED_ROUTE_KINDS:
            continue
        rns = (route.get("metadata") or {}).get("namespace", "")
        if any(_gateway_is_ours(view, rns, ref, controller_name)
               for ref in (route.get("spec") or {}).get("parentRefs") or ()):
            return True
    return False


def needs_gate(pod: Mapping[str, Any], namespace: str, view, controller_name: str) -> bool:
    spec = pod.get("spec") or {}
    if any(g.get("conditionType") == GATE for g in spec.get("readinessGates") or ()):
        return False
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return any(selects(svc, labels) and backs_lattice(view, namespace, svc["metadata"]["name"], controller_name)
               for svc in view.list("Service", namespace))


def gate_patch(pod: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The JSONPatch (RFC 6902) that adds our readiness gate."""
    if (pod.get("spec") or {}).get("readinessGates"):
        return [{"op": "add", "path": "/spec/readinessGates/-", "value": {"conditionType": GATE}}]
    return [{"op": "add", "path": "/spec/readinessGates", "value": [{"conditionType": GATE}]}]


def review_response(request: Mapping[str, Any], patch: list[dict[str, Any]] | None = None,
                    denied: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": denied is None}
    if denied is not None:
        response["status"] = {"code": 500, "message": denied}
    elif patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(patch)).decode()
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


def admit(review: Mapping[str, Any], view, controller_name: str, synced: bool) -> dict[str, Any]:
    """The AdmissionReview answer for one request (pure but for reading the cache)."""
    request = review.get("request") or {}
    pod = request.get("object") or {}
    if request.get("operation") != "CREATE" or (request.get("kind") or {}).get("kind") != "Pod":
        return review_response(request)
    if not synced:
        # Deny rather than guess: a pod admitted without its gate would be served before Lattice is
        # ready for it. The ReplicaSet controller retries; the caches sync within seconds of start.
        return review_response(request, denied="latticegw: caches not synced yet; retry")
    namespace = request.get("namespace") or (pod.get("metadata") or {}).get("namespace", "")
    if needs_gate(pod, namespace, view, controller_name):
        return review_response(request, gate_patch(pod))
    return review_response(request)
