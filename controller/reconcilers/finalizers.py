"""Finalizers: the names we use and the fenced writes that add or remove them.

The names are the AWS controller's own, so that a cluster switching controllers
never strands an object behind a finalizer nobody removes any more.

Writes are JSON merge patches of `metadata.finalizers` with the object's
resourceVersion as a precondition: a merge patch replaces the whole list, so
without the precondition we could drop a finalizer another controller added
between our read and our write. A 409 surfaces as a TemporaryError and the key
runs again with fresh cache contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.kube.client import MERGE_PATCH, KubeClient, KubeError
from controller.reconcile import TemporaryError
from controller.status import StatusWriter
from controller.leader.fence import current_fence

# The finalizer we add, on the kinds whose Lattice resources we delete before letting them go.
FINALIZERS: dict[str, str] = {
    "HTTPRoute": "httproute.k8s.aws/resources",
    "GRPCRoute": "grpcroute.k8s.aws/resources",
    "TLSRoute": "tlsroute.k8s.aws/resources",
    "ServiceExport": "serviceexport.k8s.aws/resources",
    "ServiceNetwork": "servicenetwork.k8s.aws/resources",
}

# Every finalizer the AWS controller sets (v2.1.x, and the legacy misspelt Service one of its early
# versions), by kind. We remove them, once the Lattice cleanup each stood for is done, so no object
# it finalized stays Terminating after a switch: routes, ServiceExports and ServiceNetworks after
# deleting what we own for them (ours are the same strings); policies after their target's
# reconcile, which no longer sees the policy, succeeded; Gateways, ServiceImports and Services at
# once (the AWS controller does no Lattice cleanup for them; a Gateway's routes detach by themselves).
AWS_FINALIZERS: dict[str, tuple[str, ...]] = {
    **{kind: (name,) for kind, name in FINALIZERS.items()},
    "Gateway": ("gateway.k8s.aws/resources",),
    "ServiceImport": ("serviceimport.k8s.aws/resource",),
    "AccessLogPolicy": ("accesslogpolicy.k8s.aws/resources",),
    "VpcAssociationPolicy": ("vpcassociationpolicies.application-networking.k8s.aws/resources",),
    "IAMAuthPolicy": ("application-networking.k8s.aws/iam-auth-policy",),
    "Service": ("service.ki8s.aws/resources",),  # (sic): the AWS controller's legacy spelling
}


def finalizers_of(obj: Mapping[str, Any]) -> list[str]:
    return list((obj.get("metadata") or {}).get("finalizers") or ())


def has_finalizer(obj: Mapping[str, Any]) -> bool:
    """Our own finalizer is on the object."""
    return FINALIZERS.get(obj.get("kind", "")) in finalizers_of(obj)


def held(obj: Mapping[str, Any]) -> bool:
    """A finalizer we remove (ours or the AWS controller's) is on the object."""
    names = AWS_FINALIZERS.get(obj.get("kind", ""), ())
    return any(f in names for f in finalizers_of(obj))


def being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def releasable(obj: Mapping[str, Any] | None) -> bool:
    """Being deleted, and held by a finalizer we remove."""
    return obj is not None and being_deleted(obj) and held(obj)


async def _patch_metadata(
    kube: KubeClient, status: StatusWriter, obj: Mapping[str, Any], metadata: dict, *, precondition: bool = True
) -> dict:
    fence = current_fence()
    body = {"metadata": dict(metadata)}
    if precondition:
        body["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"]
    try:
        return await kube.request(
            "PATCH", status.path(obj), body=body, content_type=MERGE_PATCH, timeout=fence.bounded(10.0)
        )
    except KubeError as exc:
        if exc.conflict:
            raise TemporaryError(f"{obj['kind']} changed while we wrote its metadata; retrying") from exc
        if exc.not_found:
            return {}
        raise


async def add_finalizer(kube: KubeClient, status: StatusWriter, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """Add our finalizer (before the first AWS call); returns the object as written."""
    if has_finalizer(obj):
        return obj
    name = FINALIZERS[obj["kind"]]
    written = await _patch_metadata(kube, status, obj, {"finalizers": finalizers_of(obj) + [name]})
    return written or obj


async def remove_finalizer(kube: KubeClient, status: StatusWriter, obj: Mapping[str, Any]) -> None:
    """Remove every finalizer we release on this kind (ours and the AWS controller's), in one write;
    other controllers' finalizers stay."""
    if not held(obj):
        return
    names = AWS_FINALIZERS[obj["kind"]]
    await _patch_metadata(kube, status, obj, {"finalizers": [f for f in finalizers_of(obj) if f not in names]})


async def patch_annotations(
    kube: KubeClient, status: StatusWriter, obj: Mapping[str, Any], annotations: Mapping[str, str | None]
) -> None:
    """Set (or, with None, remove) annotations when they differ from what the object has.

    No resourceVersion precondition: a merge patch of annotations touches only these
    keys, so it cannot clobber anyone else's write.
    """
    current = (obj.get("metadata") or {}).get("annotations") or {}
    changes = {k: v for k, v in annotations.items() if current.get(k) != v}
    if changes:
        await _patch_metadata(kube, status, obj, {"annotations": changes}, precondition=False)
