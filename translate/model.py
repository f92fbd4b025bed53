"""The desired Lattice model and the per-object outcome: what `translate()` returns.

Theory of operation
-------------------
`translate(snapshot, config)` looks at every Kubernetes object in a `Snapshot` and returns a
`Translation`:

* the **desired Lattice model**: `service_networks`, `services` (each with its service-network
  associations, listeners and rules), `target_groups` (each with its targets) and
  `target_group_lookups` (TGs we reference but do not own: ServiceImport backends). Everything in
  it is frozen, sorted and free of IDs/ARNs: resources refer to each other **by Lattice name**
  (which is a pure function of the Kubernetes source, see `naming.py`). `lattice/plan.py` turns
  names into IDs when it diffs against observed state.
* one **`Outcome` per relevant input object**: the conditions (Gateway API reasons), per-parent
  route status, per-listener Gateway status and events the controller should write.

Shapes
------
`match`, `action`, `default_action` and `config` are the Lattice API's own shapes with botocore's
member names (`{"httpMatch": {"pathMatch": {"match": {"prefix": "/x"}, "caseSensitive": True}}}`,
`{"forward": {"targetGroups": [{"targetGroupIdentifier": "<tg name>", "weight": 1}]}}`,
`{"fixedResponse": {"statusCode": 404}}`, `{"port": 80, "protocol": "HTTP", "healthCheck": {...}}`),
frozen (`FrozenDict`/tuples, see `frozen.py`) so plan/apply can pass them to botocore as they are,
after swapping `targetGroupIdentifier` names for IDs. Every forward entry carries its `weight`.

Scalar fields are snake_case Python attributes; `to_dict()` renders every type with the Lattice
member names the `latticegw plan` JSON contract uses (docs/reference/plan-output.md).

Ownership
---------
Every resource we create carries `tags`, a full mapping that already includes the ownership tags
(`application-networking.k8s.aws/ManagedBy` = `<account>/<cluster>/<vpc>`, RouteName, ...; see
`tags.py`) and the user tags from the `application-networking.k8s.aws/tags` annotation. A
resource is ours only when its observed ManagedBy equals `config.managed_by`.

Fingerprints
------------
`Service.fingerprint` covers the service and everything under it (associations, listeners, rules);
`TargetGroup.fingerprint` covers the TG's name, type, config and tags, and
`TargetGroup.targets_fingerprint` only its targets, so a controller can tell a pod-churn-only change
(register/deregister) from a config change without diffing. All are 24-hex-digit SHA-256 prefixes
of a canonical text of the resource (`fingerprint.py`), stable across processes and runs; equal
desired state gives equal fingerprints, and they are also fit for clientTokens. A release that changes the
model may change them; that costs one no-op comparison per resource, never a wrong write, because
fingerprints only say "maybe changed" and plan still diffs against observed state.

Stability promise: fields may be added (with defaults); existing names, meanings and `to_dict()` keys
do not change without a note in this docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from translate.frozen import EMPTY, FrozenDict

# ---------------------------------------------------------------------------------------------
# Constants shared by plan/apply.

GATEWAY_GROUP = "gateway.networking.k8s.io"  # the Gateway API's kinds
AWS_GROUP = "application-networking.k8s.aws"  # the AWS controller's CRDs; prefix of its annotations and tags
ANNOTATION_PREFIX = AWS_GROUP + "/"
# The AWS controller's policy CRDs, in the order they are resolved (policies.py).
POLICY_KINDS = ("TargetGroupPolicy", "VpcAssociationPolicy", "AccessLogPolicy", "IAMAuthPolicy")
# The route kinds that become Lattice services (the one list; controller and lattice import it).
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
DEFAULT_CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"

# Listener protocols (Lattice enum values).
HTTP, HTTPS, TLS_PASSTHROUGH = "HTTP", "HTTPS", "TLS_PASSTHROUGH"
# authType values.
AUTH_NONE, AUTH_IAM = "NONE", "AWS_IAM"

# Lattice: customDomainName cannot be changed after CreateService, so a different value means the
# service must be replaced; certificateArn and authType are updatable in place.
SERVICE_CREATE_ONLY_FIELDS = ("custom_domain_name",)
# Lattice: a TG's type/port/protocol/protocolVersion/ipAddressType/vpc are immutable; only
# config.healthCheck can be updated (UpdateTargetGroup). Our TG names hash the immutable part, so a
# change there always shows up as a different TG name (make-before-break), never as an update.
TARGET_GROUP_MUTABLE_CONFIG = ("healthCheck",)

# Access log destinations. Lattice allows one subscription per destination type per resource, and
# the type is the ARN's service field (arn:<partition>:<service>:...). This is the only place that
# reads it: policies.py validates a user's ARN on top of it, plan and the service-network steps use
# it to pair observed subscriptions with desired ones (so an observed ARN is never re-validated).
ACCESS_LOG_DESTINATION_TYPES = ("s3", "logs", "firehose")


def destination_type(arn: str) -> str | None:
    """"s3" | "logs" | "firehose" for an access log destination ARN; None for anything else."""
    parts = arn.split(":", 3)
    if len(parts) < 4 or parts[0] != "arn" or parts[2] not in ACCESS_LOG_DESTINATION_TYPES:
        return None
    return parts[2]


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """The Kubernetes object a Lattice resource (or an outcome) comes from.

    `namespace` is "" for cluster-scoped kinds and for configuration (`kind="Config"`).
    """

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        """The work-queue key: `Kind/namespace/name`, or `Kind/name` when cluster-scoped."""
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


# ---------------------------------------------------------------------------------------------
# Desired Lattice resources.


@dataclass(frozen=True, slots=True)
class AccessLogSubscription:
    """An access log subscription on a service network or service (from an AccessLogPolicy).

    Lattice allows one subscription per destination type (S3, CloudWatch Logs, Firehose) per
    resource; `destination_type` is that type, derived from the ARN, so plan can match observed
    subscriptions by it (update destinationArn in place; delete + create if the type differs).
    """

    source: Source  # the AccessLogPolicy
    destination_arn: str
    destination_type: str  # "s3" | "logs" | "firehose": destination_type(destination_arn)
    tags: FrozenDict = EMPTY  # includes ManagedBy and A/AccessLogPolicy = "<ns>/<name>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.to_dict(),
            "destinationArn": self.destination_arn,
            "destinationType": self.destination_type,
            "tags": self.tags,
        }


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """An IAM auth policy (PutAuthPolicy) on a service network or service (from an IAMAuthPolicy).

    Its presence means the resource's authType is AWS_IAM. Ordering matters to avoid a deny-all
    window: put the policy first, then switch authType to AWS_IAM; on removal switch to NONE first,
    then delete the policy.
    """

    source: Source  # the IAMAuthPolicy
    policy: str  # the user's JSON document, re-serialised compactly (Lattice forbids newlines)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.to_dict(), "policy": self.policy}


@dataclass(frozen=True, slots=True)
class VpcAssociation:
    """A service-network ↔ VPC association (SNVA) for the cluster's VPC.

    Comes from a VpcAssociationPolicy with `associateWithVpc` true (the default) or from the default
    service network configured by DEFAULT_SERVICE_NETWORK (no security groups).
    """

    source: Source  # the VpcAssociationPolicy, or Source("Config", "", "DEFAULT_SERVICE_NETWORK")
    vpc_identifier: str
    security_group_ids: tuple[str, ...] = ()
    tags: FrozenDict = EMPTY

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.to_dict(),
            "vpcIdentifier": self.vpc_identifier,
            "securityGroupIds": list(self.security_group_ids),
            "tags": self.tags,
        }


@dataclass(frozen=True, slots=True)
class ServiceNetwork:
    """A service network the desired model needs.

    `managed` tells plan what it may do with it:
    * False: **look up only** (a Gateway maps to an existing SN whose name or id equals the
      Gateway's name; namespaces are ignored so same-named Gateways share one SN). Never created,
      updated or deleted, except for the pieces below that we own (auth policy, ALS, SNVA).
    * True: **create or adopt** (a `ServiceNetwork` custom resource, or DEFAULT_SERVICE_NETWORK);
      deleted when its source goes away, only if its ManagedBy tag is ours.

    `auth_type`/`auth_policy`, `vpc_association` and `access_log_subscriptions` are the parts we
    own even on a looked-up SN (each carries its own source and tags).
    """

    name: str
    sources: tuple[Source, ...]  # Gateways, ServiceNetwork CRs, or Config, sorted
    managed: bool
    auth_type: str = AUTH_NONE
    auth_policy: AuthPolicy | None = None
    vpc_association: VpcAssociation | None = None
    access_log_subscriptions: tuple[AccessLogSubscription, ...] = ()
    tags: FrozenDict = EMPTY  # applied only when managed
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sources": [s.to_dict() for s in self.sources],
            "managed": self.managed,
            "authType": self.auth_type,
            "authPolicy": self.auth_policy.to_dict() if self.auth_policy else None,
            "vpcAssociation": self.vpc_association.to_dict() if self.vpc_association else None,
            "accessLogSubscriptions": [a.to_dict() for a in self.access_log_subscriptions],
            "tags": self.tags,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class ServiceNetworkAssociation:
    """A service ↔ service-network association (SNSA), by service-network name."""

    service_network: str
    tags: FrozenDict = EMPTY

    def to_dict(self) -> dict[str, Any]:
        return {"serviceNetwork": self.service_network, "tags": self.tags}


@dataclass(frozen=True, slots=True)
class Rule:
    """A listener rule. One Gateway API match becomes one Lattice rule (Lattice ANDs conditions
    and allows one match per rule, so an OR of matches is expanded into several rules).

    `name` is derived from the route and the match (stable when rules are reordered, so a reorder is
    a BatchUpdateRule of priorities rather than delete + create). `priority` is unique per listener
    in 1..100; lower wins, as in Lattice. `route_rule`/`route_match` index the Gateway API rule and
    match this came from (for status and people).
    """

    name: str
    priority: int
    match: FrozenDict  # RuleMatch: {"httpMatch": {...}}
    action: FrozenDict  # RuleAction: {"forward": {...}} | {"fixedResponse": {"statusCode": 500}}
    tags: FrozenDict = EMPTY
    route_rule: int = 0
    route_match: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "priority": self.priority,
            "match": self.match,
            "action": self.action,
            "tags": self.tags,
            "routeRule": self.route_rule,
            "routeMatch": self.route_match,
        }


@dataclass(frozen=True, slots=True)
class Listener:
    """A Lattice listener: unique per (port) within its service; protocol HTTP/HTTPS/TLS_PASSTHROUGH.

    HTTP/HTTPS listeners default to a fixed 404 (no rule matched) and carry rules; a TLS_PASSTHROUGH
    listener has no rules and forwards in its default action.
    """

    name: str
    port: int
    protocol: str
    default_action: FrozenDict
    rules: tuple[Rule, ...] = ()  # sorted by priority
    tags: FrozenDict = EMPTY

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.port,
            "protocol": self.protocol,
            "defaultAction": self.default_action,
            "rules": [r.to_dict() for r in self.rules],
            "tags": self.tags,
        }


@dataclass(frozen=True, slots=True)
class Certificate:
    """A TLS certificate from a listener's `certificateRefs` Secret, to import into ACM.

    `fingerprint` (24 hex digits of SHA-256 over the PEM texts) changes whenever the Secret's
    certificate, chain or key does, which is what makes apply re-import it. The PEM texts never
    appear in `to_dict()` or `repr()`: `latticegw plan` and logs must not print a private key.
    """

    source: Source  # the Secret
    fingerprint: str
    domains: tuple[str, ...]  # DNS names the certificate covers (SANs, else the CN)
    certificate: str = field(repr=False, compare=False, default="")  # PEM of the leaf
    private_key: str = field(repr=False, compare=False, default="")  # PEM (PKCS#8, unencrypted)
    chain: str = field(repr=False, compare=False, default="")  # PEM of the intermediates, may be ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.to_dict(), "fingerprint": self.fingerprint, "domains": list(self.domains)}


@dataclass(frozen=True, slots=True)
class Service:
    """A Lattice service: one per accepted route (HTTPRoute, GRPCRoute, TLSRoute).

    * `custom_domain_name` is create-only in Lattice (see SERVICE_CREATE_ONLY_FIELDS): a different
      value on an existing service means a replacement, which plan must order safely.
    * `certificate_arn` None with a custom domain on an HTTPS listener means: import `certificate`
      (a listener's certificateRefs Secret) into ACM, or without one "discover in ACM" (both I/O, so
      not done here); None without a custom domain means Lattice manages the certificate. The
      `certificate-arn` TLS option (the AWS controller's) wins over certificateRefs.
    * `allow_takeover_from`: the `A/allow-takeover-from` annotation, i.e. the ManagedBy value of
      another controller whose service (and SNSAs, listeners, rules) we may retag as ours.
    """

    name: str
    source: Source  # the route
    custom_domain_name: str | None
    certificate_arn: str | None
    auth_type: str
    auth_policy: AuthPolicy | None
    associations: tuple[ServiceNetworkAssociation, ...]  # sorted by service network
    listeners: tuple[Listener, ...]  # sorted by port
    access_log_subscriptions: tuple[AccessLogSubscription, ...] = ()
    tags: FrozenDict = EMPTY
    allow_takeover_from: str | None = None
    fingerprint: str = ""
    # Where the service goes when an existing one for the same source has another custom domain
    # (see SERVICE_CREATE_ONLY_FIELDS and translate/README.md "Changing a custom domain safely").
    replacement_name: str = ""
    certificate: Certificate | None = None  # from certificateRefs; imported into ACM by apply

    @property
    def service_networks(self) -> tuple[str, ...]:
        return tuple(a.service_network for a in self.associations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source.to_dict(),
            "customDomainName": self.custom_domain_name,
            "certificateArn": self.certificate_arn,
            "authType": self.auth_type,
            "authPolicy": self.auth_policy.to_dict() if self.auth_policy else None,
            "serviceNetworks": list(self.service_networks),
            "serviceNetworkAssociations": [a.to_dict() for a in self.associations],
            "listeners": [lst.to_dict() for lst in self.listeners],
            "accessLogSubscriptions": [a.to_dict() for a in self.access_log_subscriptions],
            "tags": self.tags,
            "allowTakeoverFrom": self.allow_takeover_from,
            "replacementName": self.replacement_name,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """A target: a pod IP and the port traffic goes to (RegisterTargets' `{id, port}`)."""

    id: str
    port: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "port": self.port}


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """A target group we own: one per (route, backend Service, backend port), or per exported port.

    `type` is always "IP". `config` is the CreateTargetGroup `config` structure (port, protocol,
    protocolVersion, ipAddressType, vpcIdentifier, healthCheck). Only `config["healthCheck"]` is
    mutable; everything else is hashed into the name.
    """

    name: str
    source: Source  # the route (or ServiceExport) this TG serves
    backend: Source  # the Kubernetes Service (kind "Service") whose endpoints are the targets
    type: str
    config: FrozenDict
    targets: tuple[Target, ...]  # sorted, unique
    tags: FrozenDict = EMPTY
    fingerprint: str = ""
    targets_fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source.to_dict(),
            "backend": self.backend.to_dict(),
            "type": self.type,
            "config": self.config,
            "targets": [t.to_dict() for t in self.targets],
            "tags": self.tags,
            "fingerprint": self.fingerprint,
            "targetsFingerprint": self.targets_fingerprint,
        }


@dataclass(frozen=True, slots=True)
class TargetGroupLookup:
    """A target group we reference but never create, tag, register into or delete (ServiceImport).

    `name` is the placeholder that appears as `targetGroupIdentifier` in forward actions; plan
    resolves it to an ID: by `arn` when set (annotation `A/target-group-arn`), else by finding the
    TG whose tags contain all of `tags` (ServiceExport-made TGs, possibly from other clusters).
    """

    name: str
    source: Source  # the ServiceImport
    arn: str | None = None
    tags: FrozenDict = EMPTY
    vpc_identifier: str | None = None  # A/aws-vpc: only TGs in this VPC match

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source.to_dict(),
            "arn": self.arn,
            "tags": self.tags,
            "vpcIdentifier": self.vpc_identifier,
        }


# ---------------------------------------------------------------------------------------------
# Outcomes: what the controller writes back to Kubernetes.


@dataclass(frozen=True, slots=True)
class Condition:
    """A metav1.Condition without lastTransitionTime (the writer sets it when status changes).

    `observed_generation` is the `metadata.generation` of the object the condition was computed
    from (for route parents and Gateway listeners: the route's / Gateway's generation).
    """

    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str = ""
    observed_generation: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
        }
        if self.observed_generation is not None:
            d["observedGeneration"] = self.observed_generation
        return d


@dataclass(frozen=True, slots=True)
class RouteParentStatus:
    """One entry of a route's `status.parents[]` (only for parentRefs we own)."""

    parent_ref: FrozenDict  # as in the route spec, with defaults filled (group, kind, namespace)
    controller_name: str
    conditions: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "parentRef": self.parent_ref,
            "controllerName": self.controller_name,
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True, slots=True)
class ListenerStatus:
    """One entry of a Gateway's `status.listeners[]`."""

    name: str
    supported_kinds: tuple[FrozenDict, ...]  # [{"group": ..., "kind": ...}]
    attached_routes: int
    conditions: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "supportedKinds": list(self.supported_kinds),
            "attachedRoutes": self.attached_routes,
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True, slots=True)
class Event:
    """A Kubernetes Event to record on the object (`type` "Normal" or "Warning")."""

    type: str
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "reason": self.reason, "message": self.message}


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything translate concluded about one input object.

    * GatewayClass, policies, ServiceNetwork: `conditions`.
    * Gateway: `conditions` (Accepted, Programmed) and `listeners`.
    * Routes: `parents` (one per parentRef that points at a Gateway of our class).
    Programmed on a Gateway is left Unknown/Pending by translate: only apply knows whether the
    service network exists.
    """

    source: Source
    generation: int | None = None
    conditions: tuple[Condition, ...] = ()
    parents: tuple[RouteParentStatus, ...] = ()
    listeners: tuple[ListenerStatus, ...] = ()
    events: tuple[Event, ...] = ()
    # GatewayClass only: `status.supportedFeatures` (Gateway API feature names), sorted.
    supported_features: tuple[str, ...] = ()
    # Gateway only: `status.addresses`, as hostnames (type Hostname).
    hostnames: tuple[str, ...] = ()

    def condition(self, type_: str) -> Condition | None:
        for c in self.conditions:
            if c.type == type_:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = self.source.to_dict()
        d["conditions"] = [c.to_dict() for c in self.conditions]
        if self.source.kind in ROUTE_KINDS:
            d["parents"] = [p.to_dict() for p in self.parents]
        if self.source.kind == "Gateway":
            d["listeners"] = [lst.to_dict() for lst in self.listeners]
            if self.hostnames:
                d["addresses"] = [{"type": "Hostname", "value": h} for h in self.hostnames]
        if self.supported_features:
            d["supportedFeatures"] = [{"name": f} for f in self.supported_features]
        if self.events:
            d["events"] = [e.to_dict() for e in self.events]
        return d


# ---------------------------------------------------------------------------------------------
# The result.


@dataclass(frozen=True, slots=True)
class Translation:
    """The desired model plus outcomes. All tuples are sorted (names, then source keys)."""

    service_networks: tuple[ServiceNetwork, ...] = ()
    services: tuple[Service, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    target_group_lookups: tuple[TargetGroupLookup, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    _outcome_index: Mapping[str, Outcome] = field(default_factory=dict, compare=False, repr=False)

    def outcome(self, kind: str, namespace: str, name: str) -> Outcome | None:
        key = Source(kind, namespace, name).key
        if self._outcome_index:
            return self._outcome_index.get(key)
        for o in self.outcomes:
            if o.source.key == key:
                return o
        return None

    def services_of(self, source: Source) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.source == source)

    def target_groups_of(self, source: Source) -> tuple[TargetGroup, ...]:
        return tuple(t for t in self.target_groups if t.source == source)

    def to_dict(self) -> dict[str, Any]:
        """The `latticegw plan` JSON contract (docs/reference/plan-output.md)."""
        return {
            "serviceNetworks": [s.to_dict() for s in self.service_networks],
            "services": [s.to_dict() for s in self.services],
            "targetGroups": [t.to_dict() for t in self.target_groups],
            "targetGroupLookups": [t.to_dict() for t in self.target_group_lookups],
            "status": [o.to_dict() for o in self.outcomes],
        }
