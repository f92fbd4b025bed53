"""`SnapshotView`: what a reconciler reads, a read-only view over the informer caches.

It answers the lookups translate needs (same method names as
`translate.snapshot.Snapshot`: `get`, `list`, `endpoint_slices`,
`reference_grants`, `namespace_labels`) plus the reverse lookups the indexes
provide. It is *live*: it reads the caches at call time, so a reconcile that
needs several reads to agree should do them without awaiting in between (all
cache writes happen on the event loop), or build an immutable
`translate.snapshot.Snapshot.of(view.objects(...))` once and work on that.

Objects are the cache's own dicts, shared, never copied: treat them as
read-only (copy before you change anything). The cache never mutates a stored
object; updates replace it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from controller.kube import keys
from controller.kube.cache import Cache
from controller.kube.indexes import ROUTE_KINDS, hostname_claims

CLUSTER_SCOPED = frozenset({"GatewayClass", "Namespace", "ServiceNetwork"})


class SnapshotView:
    __slots__ = ("_cache",)

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    # ------------------------------------------------------------ basic reads
    def kinds(self) -> list[str]:
        return sorted(self._cache.stores)

    def has_kind(self, kind: str) -> bool:
        """False when the kind's CRD is absent (or not yet discovered)."""
        return kind in self._cache.stores

    def get(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        st = self._cache.stores.get(kind)
        if st is None:
            return None
        return st.get(None if kind in CLUSTER_SCOPED else namespace, name)

    def get_key(self, key: str) -> Mapping[str, Any] | None:
        """The object a work-queue key names, or None (deleted, or never seen)."""
        st = self._cache.stores.get(keys.kind_of(key))
        return st.get_key(key) if st is not None else None

    def list(self, kind: str, namespace: str | None = None) -> tuple[Mapping[str, Any], ...]:
        """All objects of a kind (optionally in one namespace), sorted by (namespace, name)."""
        st = self._cache.stores.get(kind)
        if st is None:
            return ()
        return tuple(sorted(st.list(namespace), key=_sort_key))

    def objects(self, kinds: Iterable[str] | None = None) -> Iterator[Mapping[str, Any]]:
        """Every cached object of `kinds` (default: all), for `translate.snapshot.Snapshot.of`."""
        for kind in kinds if kinds is not None else list(self._cache.stores):
            st = self._cache.stores.get(kind)
            if st is not None:
                yield from list(st)

    # ------------------------------------------------- translate's lookups
    def endpoint_slices(self, namespace: str, service_name: str) -> tuple[Mapping[str, Any], ...]:
        ks = self._cache.indexes.lookup("slice-service", ("Service", namespace, service_name))
        return self._resolve(ks)

    def reference_grants(self, namespace: str) -> tuple[Mapping[str, Any], ...]:
        """ReferenceGrants living in `namespace` (the namespace of the referenced object)."""
        return self.list("ReferenceGrant", namespace)

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        ns = self.get("Namespace", "", namespace)
        if ns is None:
            return None
        labels = dict((ns.get("metadata") or {}).get("labels") or {})
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels

    # ------------------------------------------------------ reverse lookups
    def routes_for_gateway(self, namespace: str, name: str) -> tuple[Mapping[str, Any], ...]:
        return self._resolve(self._cache.indexes.lookup("route-parent", ("Gateway", namespace, name)))

    def routes_for_service(self, namespace: str, name: str, kind: str = "Service") -> tuple[Mapping[str, Any], ...]:
        return self._resolve(self._cache.indexes.lookup("route-backend", (kind, namespace, name)))

    def policies_for(self, kind: str, namespace: str, name: str) -> tuple[Mapping[str, Any], ...]:
        """Policies whose targetRef names this object."""
        ns = "" if kind in CLUSTER_SCOPED else namespace
        return self._resolve(self._cache.indexes.lookup("policy-target", (kind, ns, name)))

    def grants_from(self, namespace: str) -> tuple[Mapping[str, Any], ...]:
        """ReferenceGrants (in any namespace) that admit references from `namespace`."""
        return self._resolve(self._cache.indexes.lookup("grant-from", ("Namespace", "", namespace)))

    def gateways_for_secret(self, namespace: str, name: str) -> tuple[Mapping[str, Any], ...]:
        """Gateways whose listeners name this Secret in certificateRefs."""
        return self._resolve(self._cache.indexes.lookup("gateway-secret", ("Secret", namespace, name)))

    def gateways_of_class(self, class_name: str) -> tuple[Mapping[str, Any], ...]:
        return self._resolve(self._cache.indexes.lookup("gateway-class", ("GatewayClass", "", class_name)))

    def routes(self, namespace: str | None = None) -> tuple[Mapping[str, Any], ...]:
        out: list[Mapping[str, Any]] = []
        for kind in ROUTE_KINDS:
            out.extend(self.list(kind, namespace))
        return tuple(out)

    def hostname_rivals(self, *objs: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
        """Routes that may claim a custom domain one of `objs` (routes or Gateways) may claim:
        only one route keeps a hostname (translate/claims.py), so they belong in each other's
        scope. One call for many objects (a Gateway's routes) resolves each hostname once."""
        idx = self._cache.indexes
        claims: set[tuple[str, str, str]] = set()
        for obj in objs:
            claims |= hostname_claims(obj)
        hostnames = {ref[2] for ref in claims if ref[0] == "Hostname"}
        for kind, ns, name in claims:
            if kind == "HostnameFrom":  # the listener hostnames this route may inherit
                gw = self.get("Gateway", ns, name)
                if gw is not None:
                    hostnames |= {ref[2] for ref in hostname_claims(gw)}
        out: set[str] = set()
        for key in idx.lookup_many("hostname", [("Hostname", "", h) for h in hostnames]):
            k = keys.parse(key)
            if k.kind == "Gateway":  # routes that may inherit the hostname from this Gateway
                out |= idx.lookup("hostname", ("HostnameFrom", k.namespace, k.name))
            else:
                out.add(key)
        for obj in objs:
            out.discard(keys.of(str(obj.get("kind") or ""), obj))
        return self._resolve(out)

    def _resolve(self, ks: set[str]) -> tuple[Mapping[str, Any], ...]:
        out = []
        for k in sorted(ks):
            obj = self.get_key(k)
            if obj is not None:
                out.append(obj)
        return tuple(out)


def _sort_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")
