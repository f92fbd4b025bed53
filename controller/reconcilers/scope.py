"""Which cached objects a reconcile hands to `translate`: a scoped snapshot. Pure.

Translating the whole cache for every key would make a reconcile O(cluster); the
translation of one route only depends on the route, its parent Gateways, their
GatewayClasses and listener certificate Secrets, its backends (Services or ServiceImports, their EndpointSlices,
the ServiceExports and policies that shape their target groups), the
ReferenceGrants of the namespaces it points into, the policies that target any
of those, Namespaces (allowedRoutes selectors) and ServiceNetwork objects. So we
gather exactly that closure from the informer caches and indexes, and translate
it. The same translation of the whole cluster is what `latticegw plan` does; a
test checks that both agree for the seed examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from controller.kube.indexes import gateway_class, gateway_secrets, policy_target, route_backends, route_parents
from controller.kube.snapshot import SnapshotView
from translate.exports import exported_service
from translate.model import ROUTE_KINDS

Obj = Mapping[str, Any]


class _Collector:
    def __init__(self, view: SnapshotView) -> None:
        self.view = view
        self._objs: dict[tuple[str, str, str], Obj] = {}

    def add(self, obj: Obj | None) -> None:
        if obj is None:
            return
        meta = obj.get("metadata") or {}
        self._objs[(obj.get("kind", ""), meta.get("namespace") or "", meta.get("name") or "")] = obj

    def add_all(self, objs: Iterable[Obj]) -> None:
        for obj in objs:
            self.add(obj)

    def add_ref(self, kind: str, namespace: str, name: str) -> Obj | None:
        obj = self.view.get(kind, namespace, name)
        self.add(obj)
        return obj

    def policies_for(self, kind: str, namespace: str, name: str) -> None:
        self.add_all(self.view.policies_for(kind, namespace, name))

    def common(self) -> None:
        # Cheap, cluster-wide context: namespace labels and managed service networks.
        self.add_all(self.view.list("Namespace"))
        self.add_all(self.view.list("ServiceNetwork"))

    def gateway(self, namespace: str, name: str) -> None:
        gw = self.add_ref("Gateway", namespace, name)
        if gw is None:
            return
        for _, _, cls in gateway_class(gw):
            self.add_ref("GatewayClass", "", cls)
        self.policies_for("Gateway", namespace, name)
        # Listener certificates, and the grants that may allow those in other namespaces.
        for _, secret_ns, secret_name in sorted(gateway_secrets(gw)):
            self.add_ref("Secret", secret_ns, secret_name)
            if secret_ns != namespace:
                self.add_all(self.view.reference_grants(secret_ns))

    def backend(self, kind: str, namespace: str, name: str) -> None:
        if kind == "Service":
            if self.add_ref("Service", namespace, name) is not None:
                self.add_all(self.view.endpoint_slices(namespace, name))
            self.policies_for("Service", namespace, name)
            self.add_ref("ServiceExport", namespace, name)
            self.policies_for("ServiceExport", namespace, name)
        elif kind == "ServiceImport":
            self.add_ref("ServiceImport", namespace, name)
            self.policies_for("ServiceImport", namespace, name)
        self.add_all(self.view.reference_grants(namespace))

    def hostname_rivals(self, *objs: Obj) -> None:
        """Routes that may claim the same custom domain, with their Gateways (not their backends):
        translate keeps a hostname for the oldest claimant, so each must see the others."""
        gateways: set[tuple[str, str, str]] = set()
        for rival in self.view.hostname_rivals(*objs):
            self.add(rival)
            gateways |= route_parents(rival)
        for _, gw_ns, gw_name in sorted(gateways):
            self.gateway(gw_ns, gw_name)

    def objects(self) -> Iterator[Obj]:
        return iter(self._objs.values())


def route_scope(view: SnapshotView, route: Obj) -> list[Obj]:
    c = _Collector(view)
    c.common()
    c.add(route)
    meta = route.get("metadata") or {}
    ns, name = meta.get("namespace") or "", meta.get("name") or ""
    c.policies_for(route["kind"], ns, name)
    for _, gw_ns, gw_name in sorted(route_parents(route)):
        c.gateway(gw_ns, gw_name)
        c.add_all(view.reference_grants(gw_ns))
    for kind, b_ns, b_name in sorted(route_backends(route)):
        c.backend(kind, b_ns, b_name)
    c.hostname_rivals(route)
    return list(c.objects())


def gateway_scope(view: SnapshotView, gateway: Obj) -> list[Obj]:
    """A Gateway's status counts its attached routes, so they come along (not their backends)."""
    c = _Collector(view)
    c.common()
    meta = gateway.get("metadata") or {}
    c.gateway(meta.get("namespace") or "", meta.get("name") or "")
    routes = view.routes_for_gateway(meta.get("namespace") or "", meta.get("name") or "")
    c.add_all(routes)
    c.hostname_rivals(*routes)  # a route that loses its hostname attaches to no listener
    return list(c.objects())


def gateway_class_scope(view: SnapshotView, gateway_class_obj: Obj) -> list[Obj]:
    return [gateway_class_obj]


def policy_scope(view: SnapshotView, policy: Obj) -> list[Obj]:
    """A policy's Accepted condition depends on its target and on rival policies on that target."""
    c = _Collector(view)
    c.common()
    c.add(policy)
    for kind, ns, name in sorted(policy_target(policy)):
        target = c.add_ref(kind, ns, name)
        c.policies_for(kind, ns, name)
        if target is None:
            continue
        if kind == "Gateway":
            c.gateway(ns, name)
        elif kind in ROUTE_KINDS:
            c.add_all(route_scope(view, target))
        elif kind in ("Service", "ServiceExport"):
            c.backend("Service", ns, name)
    return list(c.objects())


def service_export_scope(view: SnapshotView, export: Obj) -> list[Obj]:
    c = _Collector(view)
    c.common()
    c.add(export)
    meta = export.get("metadata") or {}
    c.backend("Service", meta.get("namespace") or "", exported_service(export))
    return list(c.objects())


def service_network_scope(view: SnapshotView, sn: Obj) -> list[Obj]:
    c = _Collector(view)
    c.common()
    c.add(sn)
    c.policies_for("ServiceNetwork", "", sn["metadata"]["name"])
    return list(c.objects())
