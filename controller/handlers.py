"""Event handlers: which work-queue keys a cache change affects. Pure functions.

Two questions per change:

1. `relevant(old, new)`: can this change affect the desired model at all? An
   update that only touches `status`, `resourceVersion`, `managedFields`,
   finalizers or other bookkeeping cannot -- and that is exactly what our own
   status, finalizer and progress-annotation (`controller.progress`) writes
   produce, so they enqueue nothing and the
   controller does not chase its own tail. (Kinds with `metadata.generation`
   bump it on spec changes; comparing the spec directly covers core kinds
   such as Service that have no generation.)
2. `affected_keys(kind, old, new, view)`: the keys to reconcile. Reverse
   lookups use the indexes, and old *and* new references count: a route moved
   from Gateway A to Gateway B must wake both.

One output is also an input: a route's Lattice DNS name (`LATTICE_DOMAIN`) is its
Gateways' address. `keys_for` is the handlers' entry point: the keys of a relevant
change, or, when only that annotation moved, the route's Gateways (never the route,
which wrote it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.annotations import LATTICE_DOMAIN, OUTPUT_ANNOTATIONS
from controller.kube import keys
from controller.kube.indexes import (
    POLICY_KINDS,
    ROUTE_KINDS,
    gateway_secrets,
    grant_from_namespaces,
    policy_target,
    route_backends,
    route_parents,
    slice_service,
)
from controller.kube.snapshot import SnapshotView
from controller.reconcilers.finalizers import releasable
from translate.exports import exported_service

_IGNORED_TOP = frozenset({"metadata", "status", "apiVersion", "kind"})


def essence(obj: Mapping[str, Any]) -> tuple:
    """The parts of an object a reconcile can depend on."""
    meta = obj.get("metadata") or {}
    body = {k: v for k, v in obj.items() if k not in _IGNORED_TOP}
    annotations = meta.get("annotations") or {}
    if not OUTPUT_ANNOTATIONS.isdisjoint(annotations):
        annotations = {k: v for k, v in annotations.items() if k not in OUTPUT_ANNOTATIONS}
    return (
        meta.get("labels") or {},
        annotations,
        meta.get("deletionTimestamp"),
        body,
    )


def relevant(old: Mapping | None, new: Mapping | None) -> bool:
    if old is None or new is None:
        return True
    return essence(old) != essence(new)


def keys_for(kind: str, old: Mapping | None, new: Mapping | None, view: SnapshotView) -> set[str]:
    """The keys a cache change must wake (empty for our own bookkeeping writes)."""
    if relevant(old, new):
        return affected_keys(kind, old, new, view)
    if kind in ROUTE_KINDS and old is not None and new is not None and _dns_name(old) != _dns_name(new):
        return {_k("Gateway", ref) for o in (old, new) for ref in route_parents(o)}
    return set()


def _dns_name(obj: Mapping[str, Any]) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(LATTICE_DOMAIN)


def _k(kind: str, ref: tuple[str, str, str]) -> str:
    return keys.make(kind, ref[1], ref[2])


def affected_keys(kind: str, old: Mapping | None, new: Mapping | None, view: SnapshotView) -> set[str]:
    objs = [o for o in (old, new) if o is not None]
    if not objs:
        return set()
    obj = objs[-1]
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    name = meta.get("name") or ""
    own = keys.of(kind, obj)
    idx = view._cache.indexes  # noqa: SLF001 - same package, read-only use
    out: set[str] = set()

    if kind == "GatewayClass":
        out.add(own)
        out |= idx.lookup("gateway-class", ("GatewayClass", "", name))
    elif kind == "Gateway":
        out.add(own)
        out |= idx.lookup("route-parent", ("Gateway", ns, name))
        out |= idx.lookup("policy-target", ("Gateway", ns, name))
        for o in objs:  # routes elsewhere that may claim a listener hostname it had or has
            out |= {keys.of(str(r.get("kind")), r) for r in view.hostname_rivals(o)}
    elif kind in ROUTE_KINDS:
        out.add(own)
        for o in objs:
            out |= {_k("Gateway", ref) for ref in route_parents(o)}
            # routes contending for a hostname it had or has: one of them may win or lose it now
            out |= {keys.of(str(r.get("kind")), r) for r in view.hostname_rivals(o)}
        out |= idx.lookup("policy-target", (kind, ns, name))
    elif kind == "Service":
        out |= _service_keys(view, ns, name)
        if releasable(obj):  # the AWS controller's legacy finalizer on a deleting Service
            out.add(own)
    elif kind == "EndpointSlice":
        for o in objs:
            for ref in slice_service(o):
                out |= _service_keys(view, ref[1], ref[2])
    elif kind == "Namespace":
        # Namespace labels decide allowedRoutes selectors: re-evaluate its routes.
        out |= {keys.of(k, r) for k in ROUTE_KINDS for r in view.list(k, name)}
    elif kind == "Secret":
        # A listener certificate: its Gateways' listener status, and the routes whose Lattice
        # service carries the certificate (they import it into ACM). Never a key of its own.
        for gw in view.gateways_for_secret(ns, name):
            out |= _gateway_keys(view, gw)
    elif kind == "ReferenceGrant":
        for o in objs:
            for ref in grant_from_namespaces(o):
                for gw in view.list("Gateway", ref[2]):
                    if any(s[1] == ns for s in gateway_secrets(gw)):  # a certificateRef into ns
                        out |= _gateway_keys(view, gw)
                for rk in ROUTE_KINDS:
                    for route in view.list(rk, ref[2]):
                        targets = route_backends(route) | route_parents(route)
                        if any(t[1] == ns for t in targets):
                            out.add(keys.of(rk, route))
    elif kind in POLICY_KINDS:
        out.add(own)
        for o in objs:
            for ref in policy_target(o):
                tkind = ref[0]
                if tkind in ROUTE_KINDS or tkind in ("Gateway", "ServiceExport"):
                    out.add(_k(tkind, ref))
                elif tkind == "Service":
                    out |= _service_keys(view, ref[1], ref[2])
    elif kind == "ServiceImport":
        out.add(own)
        out |= idx.lookup("route-backend", ("ServiceImport", ns, name))
    else:
        out.add(own)
    return out


def _gateway_keys(view: SnapshotView, gw: Mapping[str, Any]) -> set[str]:
    """A Gateway and the routes attached to it."""
    meta = gw.get("metadata") or {}
    idx = view._cache.indexes  # noqa: SLF001
    return {keys.of("Gateway", gw)} | idx.lookup("route-parent", ("Gateway", meta.get("namespace") or "", meta.get("name") or ""))


def _service_keys(view: SnapshotView, ns: str, name: str) -> set[str]:
    idx = view._cache.indexes  # noqa: SLF001
    out = idx.lookup("route-backend", ("Service", ns, name))
    # The exports of this Service: its namesake, or any naming it in the service-name annotation
    # (a namespace holds few ServiceExports).
    for export in view.list("ServiceExport", ns):
        if exported_service(export) == name:
            out.add(keys.of("ServiceExport", export))
    out |= {k for k in idx.lookup("policy-target", ("Service", ns, name))}
    return out
