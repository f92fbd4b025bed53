"""Tiny object builders for the runtime's unit tests."""

from __future__ import annotations


def obj(kind, name, ns="default", rv="1", api="v1", **fields):
    meta = {"name": name, "resourceVersion": rv}
    if ns:
        meta["namespace"] = ns
    for k in ("labels", "annotations", "generation", "finalizers"):
        if k in fields:
            meta[k] = fields.pop(k)
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


def route(name, ns="default", parents=(), backends=(), kind="HTTPRoute", rv="1"):
    return obj(
        kind, name, ns, rv, "gateway.networking.k8s.io/v1",
        spec={
            "parentRefs": [dict(p) for p in parents],
            "rules": [{"backendRefs": [dict(b) for b in backends]}],
        },
    )
