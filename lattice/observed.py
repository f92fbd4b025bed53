"""What we last saw (or wrote) in Lattice: plain mutable records held by the inventory.

Records are owned by `Inventory`; `plan()` only reads them. `None` in `tags`, `targets`,
`auth_policy` or a child map means "not loaded yet" (the inventory hydrates lazily, see
inventory.py), never "empty".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translate.model import Source
from translate.tags import (
    MANAGED_BY,
    ROUTE_NAME,
    ROUTE_NAMESPACE,
    ROUTE_TYPE,
    ROUTE_TYPES,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SOURCE_TYPE,
)

IN_PROGRESS = ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS")
ROUTE_KINDS_BY_TYPE = {rtype: kind for kind, rtype in ROUTE_TYPES.items()}  # the RouteType tag, read back


def service_source(tags: dict[str, str] | None) -> Source | None:
    """The route a service's tags name (RouteType/RouteNamespace/RouteName), None if they name none."""
    t = tags or {}
    kind = ROUTE_KINDS_BY_TYPE.get(t.get(ROUTE_TYPE, ""))
    if kind and ROUTE_NAME in t:
        return Source(kind, t.get(ROUTE_NAMESPACE, ""), t[ROUTE_NAME])
    return None


def target_group_source(tags: dict[str, str] | None) -> Source | None:
    """The route or ServiceExport a target group's tags name (SourceTypeKey, ...), None if none."""
    t = tags or {}
    kind = t.get(SOURCE_TYPE, "")
    if kind == "ServiceExport" and SERVICE_NAME in t:
        return Source("ServiceExport", t.get(SERVICE_NAMESPACE, ""), t[SERVICE_NAME])
    if kind in ROUTE_KINDS_BY_TYPE.values() and ROUTE_NAME in t:
        return Source(kind, t.get(ROUTE_NAMESPACE, ""), t[ROUTE_NAME])
    return None


@dataclass(slots=True)
class RuleRec:
    id: str
    arn: str
    name: str
    priority: int | None
    match: dict[str, Any] | None
    action: dict[str, Any] | None
    tags: dict[str, str] | None = None


@dataclass(slots=True)
class ListenerRec:
    id: str
    arn: str
    name: str
    port: int
    protocol: str
    default_action: dict[str, Any] | None
    tags: dict[str, str] | None = None
    rules: dict[str, RuleRec] = field(default_factory=dict)  # by rule name, default rule excluded


@dataclass(slots=True)
class AssociationRec:
    """A service ↔ service network association (SNSA)."""

    id: str
    arn: str
    service_id: str
    service_network_id: str
    service_network_name: str
    status: str
    tags: dict[str, str] | None = None


@dataclass(slots=True)
class AccessLogRec:
    id: str
    arn: str
    resource_id: str
    destination_arn: str
    tags: dict[str, str] | None = None


@dataclass(slots=True)
class ServiceRec:
    id: str
    arn: str
    name: str
    status: str
    dns_name: str | None = None
    custom_domain_name: str | None = None
    certificate_arn: str | None = None
    auth_type: str | None = None
    tags: dict[str, str] | None = None
    # children: None until hydrated
    listeners: dict[str, ListenerRec] | None = None
    associations: dict[str, AssociationRec] | None = None  # by service network id
    access_logs: dict[str, AccessLogRec] | None = None  # by id
    auth_policy: str | None = None  # policy text if known to exist
    hydrated: bool = False

    @property
    def managed_by(self) -> str | None:
        return (self.tags or {}).get(MANAGED_BY)


@dataclass(slots=True)
class TargetGroupRec:
    id: str
    arn: str
    name: str
    type: str
    status: str
    config: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    vpc_identifier: str | None = None
    # from the list summary (config holds them too once loaded): what identifies a TG besides tags
    port: int | None = None
    protocol: str | None = None
    ip_address_type: str | None = None
    # (id, port) -> status; None until loaded. DRAINING targets are kept out (already deregistered).
    targets: dict[tuple[str, int], str] | None = None

    @property
    def managed_by(self) -> str | None:
        return (self.tags or {}).get(MANAGED_BY)


@dataclass(slots=True)
class VpcAssociationRec:
    id: str
    arn: str
    service_network_id: str
    vpc_id: str
    status: str
    security_group_ids: tuple[str, ...] = ()
    tags: dict[str, str] | None = None


@dataclass(slots=True)
class ServiceNetworkRec:
    id: str
    arn: str
    name: str
    auth_type: str | None = None
    tags: dict[str, str] | None = None
    vpc_associations: dict[str, VpcAssociationRec] | None = None  # by vpc id
    access_logs: dict[str, AccessLogRec] | None = None
    auth_policy: str | None = None
    hydrated: bool = False

    @property
    def managed_by(self) -> str | None:
        return (self.tags or {}).get(MANAGED_BY)
