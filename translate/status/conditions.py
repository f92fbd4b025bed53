"""Condition types and reasons (Gateway API v1 names), and small constructors.

Only reasons defined by the Gateway API (or, for policies and the AWS-controller-compatible
backend reasons, by the AWS controller) are used, so tools that switch on reasons keep working.
"""

from __future__ import annotations

from functools import lru_cache

from translate.model import Condition, RouteParentStatus

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# Types
ACCEPTED = "Accepted"
PROGRAMMED = "Programmed"
RESOLVED_REFS = "ResolvedRefs"
CONFLICTED = "Conflicted"
PARTIALLY_INVALID = "PartiallyInvalid"

# Reasons: shared
R_ACCEPTED = "Accepted"
R_PROGRAMMED = "Programmed"
R_RESOLVED_REFS = "ResolvedRefs"
R_PENDING = "Pending"
R_INVALID = "Invalid"
R_UNSUPPORTED_VALUE = "UnsupportedValue"
# GatewayClass
R_INVALID_PARAMETERS = "InvalidParameters"
# Gateway
R_LISTENERS_NOT_VALID = "ListenersNotValid"
# Listener
R_UNSUPPORTED_PROTOCOL = "UnsupportedProtocol"
R_INVALID_ROUTE_KINDS = "InvalidRouteKinds"
R_PROTOCOL_CONFLICT = "ProtocolConflict"
R_HOSTNAME_CONFLICT = "HostnameConflict"
R_NO_CONFLICTS = "NoConflicts"
R_INVALID_CERTIFICATE_REF = "InvalidCertificateRef"
# Route parents
R_NOT_ALLOWED_BY_LISTENERS = "NotAllowedByListeners"
R_NO_MATCHING_LISTENER_HOSTNAME = "NoMatchingListenerHostname"
R_NO_MATCHING_PARENT = "NoMatchingParent"
R_INCOMPATIBLE_FILTERS = "IncompatibleFilters"
R_BACKEND_NOT_FOUND = "BackendNotFound"
R_INVALID_KIND = "InvalidKind"
R_REF_NOT_PERMITTED = "RefNotPermitted"
R_CONFLICTED = "Conflicted"
# AWS controller (ServiceImport backends, policies)
R_INVALID_EXTERNAL_TG = "InvalidExternalTargetGroup"
R_CONFLICTING_IMPORT_ANNOTATIONS = "ConflictingServiceImportAnnotations"
R_TARGET_NOT_FOUND = "TargetNotFound"


@lru_cache(maxsize=8192)  # conditions are immutable; most are identical across objects
def cond(type_: str, status: str, reason: str, message: str = "", generation: int | None = None) -> Condition:
    return Condition(type=type_, status=status, reason=reason, message=message, observed_generation=generation)


def true(type_: str, reason: str, message: str = "", generation: int | None = None) -> Condition:
    return cond(type_, TRUE, reason, message, generation)


def false(type_: str, reason: str, message: str = "", generation: int | None = None) -> Condition:
    return cond(type_, FALSE, reason, message, generation)


def conflicted(parents: tuple[RouteParentStatus, ...], message: str) -> tuple[RouteParentStatus, ...]:
    """A route's parents with Accepted turned False/Conflicted (`message` names the winner); the
    other conditions stay. One rule for every conflict a route can lose: a Lattice name or hostname
    another route holds (translate), or a resource Lattice says is taken (the route reconciler)."""
    return not_accepted(parents, R_CONFLICTED, message)


def not_accepted(parents: tuple[RouteParentStatus, ...], reason: str, message: str) -> tuple[RouteParentStatus, ...]:
    """A route's parents with Accepted turned False for `reason`; the other conditions stay."""
    return tuple(
        RouteParentStatus(
            parent_ref=p.parent_ref,
            controller_name=p.controller_name,
            conditions=tuple(
                false(ACCEPTED, reason, message, c.observed_generation) if c.type == ACCEPTED else c
                for c in p.conditions
            ),
        )
        for p in parents
    )
