"""An informer's store: the objects of one kind, as plain dicts, keyed by work-queue key.

Objects are kept as the API server returns them, minus what no reconcile reads
and what costs the most memory: `metadata.managedFields` and the
`kubectl.kubernetes.io/last-applied-configuration` annotation (together often
more than half of an object), and for EndpointSlices each endpoint's
`targetRef`, `nodeName`, `hints` and `deprecatedTopology`; for Secrets every `data` key but the
certificate and key a listener can use (`tls.crt`, `tls.key`: `ca.crt` and anything else never
leave this process). LIST items lack `apiVersion`/`kind`; the
informer stamps them so every cached object is self-describing, as translate's
snapshot expects.

Objects are never mutated after they are stored: an update replaces the dict.
A reconcile holding a reference therefore holds a consistent point-in-time
version, whatever the informer does meanwhile.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator

from controller.kube import keys

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# EndpointSlices are the bulk of a cluster's cache. Reconciles read an endpoint's
# addresses, conditions and zone; who runs it (targetRef, nodeName) and routing
# hints never reach Lattice, and dropping them saves about a third of the memory.
ENDPOINT_DROP = ("targetRef", "nodeName", "hints", "deprecatedTopology")
SECRET_KEEP = ("tls.crt", "tls.key")


def project(obj: dict, api_version: str, kind: str) -> dict:
    """Trim an API object to what reconciles need (in place: the dict is fresh from orjson)."""
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    meta = obj.get("metadata")
    if meta:
        meta.pop("managedFields", None)
        ann = meta.get("annotations")
        if ann and LAST_APPLIED in ann:
            del ann[LAST_APPLIED]
            if not ann:
                del meta["annotations"]
    if kind == "EndpointSlice":
        for ep in obj.get("endpoints") or ():
            ref = ep.get("targetRef")
            for k in ENDPOINT_DROP:
                ep.pop(k, None)
            # A pod that is not ready may be waiting for our readiness gate: keep which pod it is
            # (only then, and only its name) so the gate can be set from its target's health.
            if ref and ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get("ready") is False:
                ep["targetRef"] = {"kind": "Pod", "name": ref.get("name", "")}
    elif kind == "Secret":
        data = obj.get("data")
        if data:
            obj["data"] = {k: data[k] for k in SECRET_KEEP if k in data}
    return obj


class Store:
    def __init__(self, kind: str, namespaced: bool) -> None:
        self.kind = kind
        self.namespaced = namespaced
        self._objs: dict[str, dict] = {}
        self._by_ns: dict[str, set[str]] = {}

    def key_of(self, obj: dict) -> str:
        meta = obj["metadata"]
        return keys.make(self.kind, meta.get("namespace") if self.namespaced else None, meta["name"])

    def get(self, namespace: str | None, name: str) -> dict | None:
        return self._objs.get(keys.make(self.kind, namespace if self.namespaced else None, name))

    def get_key(self, key: str) -> dict | None:
        return self._objs.get(key)

    def list(self, namespace: str | None = None) -> list[dict]:
        if namespace is None:
            return list(self._objs.values())
        return [self._objs[k] for k in self._by_ns.get(namespace, ())]

    def keys(self) -> Iterable[str]:
        return self._objs.keys()

    def __len__(self) -> int:
        return len(self._objs)

    def __iter__(self) -> Iterator[dict]:
        return iter(self._objs.values())

    def upsert(self, obj: dict) -> dict | None:
        """Store `obj`; return the previous version (None if new)."""
        key = self.key_of(obj)
        old = self._objs.get(key)
        self._objs[key] = obj
        if old is None and self.namespaced:
            self._by_ns.setdefault(obj["metadata"].get("namespace") or "", set()).add(key)
        return old

    def delete(self, obj: dict) -> dict | None:
        key = self.key_of(obj)
        old = self._objs.pop(key, None)
        if old is not None and self.namespaced:
            ns = old["metadata"].get("namespace") or ""
            bucket = self._by_ns.get(ns)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self._by_ns[ns]
        return old

    def replace(self, objs: builtins.list[dict]) -> builtins.list[tuple[dict | None, dict | None]]:
        """Swap in a full LIST; return the (old, new) changes, deletions included.

        This is how a relist after a 410 or a long disconnect still reports the
        objects deleted meanwhile: whatever we held that the LIST lacks is gone.
        Unchanged objects (same resourceVersion) are kept and not reported.
        """
        changes: builtins.list[tuple[dict | None, dict | None]] = []
        seen: set[str] = set()
        for obj in objs:
            key = self.key_of(obj)
            seen.add(key)
            old = self._objs.get(key)
            if old is not None and _rv(old) == _rv(obj):
                continue
            self.upsert(obj)
            changes.append((old, obj))
        for key in [k for k in self._objs if k not in seen]:
            old = self._objs[key]
            self.delete(old)
            changes.append((old, None))
        return changes


def _rv(obj: dict) -> str | None:
    return obj.get("metadata", {}).get("resourceVersion")
