"""Finalizers: the names we use and release, and what an object says about them. Pure.

The names are the AWS controller's own, so that a cluster switching controllers
never strands an object behind a finalizer nobody removes any more. Adding ours
and removing the ones we release is part of a reconcile's one metadata patch
(`controller.reconcilers.writes`, with the object's resourceVersion as a
precondition: a merge patch replaces the whole list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
