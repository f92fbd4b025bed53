"""GatewayClass and Gateway: which are ours, their status, and the service networks they need.

A Gateway maps to the *existing* Lattice service network whose name (or id) is the Gateway's name,
ignoring its namespace (same-named Gateways share one SN), or to DEFAULT_SERVICE_NETWORK when
ENABLE_SERVICE_NETWORK_OVERRIDE is set. It is looked up, never created; a `ServiceNetwork` custom
resource or DEFAULT_SERVICE_NETWORK is what makes latticegw create (or adopt) one. Whether the SN
exists is only known after apply, so translate leaves Gateway Programmed at False/Pending and the
controller sets it once the SN is found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from translate import listeners as listeners_mod
from translate import naming, policies, tags
from translate.config import TranslateConfig, owners
from translate.context import Context
from translate.fingerprint import fingerprint
from translate.frozen import freeze
from translate.listeners import GatewayListener
from translate.model import (
    AUTH_IAM,
    AUTH_NONE,
    GATEWAY_GROUP,
    AccessLogSubscription,
    AuthPolicy,
    Event,
    ListenerStatus,
    Outcome,
    ServiceNetwork,
    Source,
    VpcAssociation,
)
from translate.snapshot import Obj, Snapshot, annotations_of, generation_of, name_of, namespace_of, spec_of
from translate.status.conditions import (
    ACCEPTED,
    PROGRAMMED,
    R_ACCEPTED,
    R_INVALID,
    R_INVALID_PARAMETERS,
    R_LISTENERS_NOT_VALID,
    R_PENDING,
    RESOLVED_REFS,
    false,
    true,
)

CONFIG_SOURCE = Source("Config", "", "DEFAULT_SERVICE_NETWORK")
# On a Gateway (set by whoever runs it, not by route authors): the previous owners (ManagedBy values,
# comma-separated, or "*") whose Lattice services its routes may take over with the route annotation
# application-networking.k8s.aws/allow-takeover-from. Without it (or the controller-wide
# LATTICEGW_ALLOWED_TAKEOVER_FROM), a route's takeover annotation alone takes nothing over.
TAKEOVER_ALLOWED = "latticegw.io/allow-takeover-from"
# Written by the controller on a route once Lattice assigned its service a DNS name (as the
# AWS controller does); read here because a Gateway's address is one of those names.
DOMAIN_ANNOTATION = tags.A + "lattice-assigned-domain-name"
# Gateway API features latticegw claims in GatewayClass `status.supportedFeatures`: those whose
# conformance tests pass (`make conformance`; docs/conformance/ has the report). Features
# whose every conformance test sends traffic (GRPCRoute, HTTPRouteMethodMatching) cannot be shown
# without a VPC Lattice data plane, so they are not claimed although such routes are programmed.
# Claim a feature here only with its conformance tests passing: the suite reads this list and runs them.
SUPPORTED_FEATURES = tuple(
    sorted(
        {
            "Gateway",
            "GatewayPort8080",
            "HTTPRoute",
            "HTTPRouteParentRefPort",
            "ReferenceGrant",
            "TLSRoute",
        }
    )
)


@dataclass
class GatewayInfo:
    obj: Obj
    source: Source
    generation: int | None
    listeners: list[GatewayListener]
    accepted: bool
    service_network: str
    conditions: list[Any] = field(default_factory=list)
    attached: dict[str, int] = field(default_factory=dict)  # listener name → attached routes
    # `status.addresses`: a Lattice Gateway has no address of its own; like the AWS controller we
    # publish one service's DNS name (that of the oldest attached route that has one).
    hostname: str | None = None
    sn_valid: bool = True  # False when the name cannot be a Lattice SN name or id (never looked up)
    _standalone: bool | None = field(default=None, init=False, repr=False)

    @property
    def takeover_allowed(self) -> frozenset[str]:
        """Previous owners the Gateway's operator lets its routes take over (TAKEOVER_ALLOWED)."""
        return owners(annotations_of(self.obj).get(TAKEOVER_ALLOWED))

    @property
    def standalone(self) -> bool:
        # Read once per Gateway rather than once per attached route (computed lazily, as before).
        if self._standalone is None:
            self._standalone = annotations_of(self.obj).get(tags.A + "standalone", "").strip().lower() == "true"
        return self._standalone


def classes(snapshot: Snapshot, config: TranslateConfig) -> tuple[set[str], list[Outcome]]:
    """Names of our Accepted GatewayClasses, and the outcome of each class we own."""
    accepted: set[str] = set()
    outcomes: list[Outcome] = []
    for gc in snapshot.list("GatewayClass"):
        if spec_of(gc).get("controllerName") != config.controller_name:
            continue  # not ours: never touch its status
        name, gen = name_of(gc), generation_of(gc)
        if spec_of(gc).get("parametersRef"):
            c = false(ACCEPTED, R_INVALID_PARAMETERS, "latticegw GatewayClasses take no parametersRef", gen)
        else:
            c = true(ACCEPTED, R_ACCEPTED, f"Accepted by {config.controller_name}", gen)
            accepted.add(name)
        outcomes.append(Outcome(Source("GatewayClass", "", name), gen, (c,), supported_features=SUPPORTED_FEATURES))
    return accepted, outcomes


def gateways(snapshot: Snapshot, config: TranslateConfig, class_names: set[str]) -> dict[tuple[str, str], GatewayInfo]:
    out: dict[tuple[str, str], GatewayInfo] = {}
    for gw in snapshot.list("Gateway"):
        spec = spec_of(gw)
        if spec.get("gatewayClassName") not in class_names:
            continue
        ns, name, gen = namespace_of(gw), name_of(gw), generation_of(gw)
        lsts = listeners_mod.analyze(gw, gen, snapshot)
        sn = config.default_service_network if (config.service_network_override and config.default_service_network) else name
        info = GatewayInfo(gw, Source("Gateway", ns, name), gen, lsts, False, sn)
        # A listener is valid when it is Accepted and not Conflicted: routes attach to it. One whose
        # certificateRefs do not resolve stays valid (Gateway API: ResolvedRefs=False and
        # Programmed=False on that listener, the Gateway stays Accepted, routes still attach and are
        # counted); it is just not programmed in Lattice.
        valid = [lst for lst in lsts if lst.valid]
        unprogrammed = [lst.name for lst in valid if not lst.programmed]
        infra = spec.get("infrastructure") or {}
        if infra.get("parametersRef"):
            info.conditions.append(false(ACCEPTED, R_INVALID_PARAMETERS, "latticegw Gateways take no parametersRef", gen))
        elif spec.get("addresses"):
            info.conditions.append(false(ACCEPTED, "UnsupportedAddress", "VPC Lattice assigns addresses itself", gen))
        elif not valid:
            # Gateway API: Accepted=False with ListenersNotValid when no listener is valid.
            info.conditions.append(false(ACCEPTED, R_LISTENERS_NOT_VALID, "no listener is valid for VPC Lattice", gen))
        elif len(valid) < len(lsts) or unprogrammed:
            info.accepted = True
            notes = []
            if len(valid) < len(lsts):
                notes.append("not valid: " + ", ".join(lst.name for lst in lsts if not lst.valid))
            if unprogrammed:
                notes.append("without a usable certificate, not programmed: " + ", ".join(unprogrammed))
            info.conditions.append(true(ACCEPTED, R_LISTENERS_NOT_VALID, "listeners " + "; ".join(notes), gen))
        else:
            info.accepted = True
            info.conditions.append(true(ACCEPTED, R_ACCEPTED, config.controller_name, gen))
        if not info.accepted:
            info.conditions.append(false(PROGRAMMED, R_INVALID, "the Gateway is not accepted", gen))
        elif not (naming.is_valid("servicenetwork", sn) or naming.SN_ID_RE.match(sn)):
            info.sn_valid = False
            info.conditions.append(
                false(PROGRAMMED, R_INVALID, f"{sn!r} is not a valid VPC Lattice service network name or id", gen)
            )
        else:
            info.conditions.append(
                false(PROGRAMMED, R_PENDING, f"waiting for VPC Lattice service network {sn}", gen)
            )
        out[(ns, name)] = info
    return out


def outcome(info: GatewayInfo) -> Outcome:
    statuses = []
    for lst in info.listeners:
        statuses.append(
            ListenerStatus(
                name=lst.name,
                supported_kinds=tuple(freeze({"group": GATEWAY_GROUP, "kind": k}) for k in lst.supported_kinds),
                attached_routes=info.attached.get(lst.name, 0),
                conditions=lst.conditions,
            )
        )
    # A Warning per listener reference that does not resolve (certificates, route kinds): status says
    # it on the listener, the Event makes it visible in `kubectl describe gateway` and alerting.
    events = tuple(
        Event("Warning", c.reason, f"listener {lst.name}: {c.message}")
        for lst in info.listeners for c in lst.conditions if c.type == RESOLVED_REFS and c.status == "False"
    )
    return Outcome(info.source, info.generation, tuple(info.conditions), listeners=tuple(statuses), events=events,
                   hostnames=(info.hostname,) if info.hostname else ())


def _sn_parts(ctx: Context, gw_infos: list[GatewayInfo]) -> dict[str, Any]:
    """Auth policy, VPC association and access logs for an SN from its Gateways' policies."""
    cfg = ctx.config
    parts: dict[str, Any] = {"auth": None, "vpc": None, "als": {}}
    for info in gw_infos:  # sorted by namespace; the first Gateway with a policy wins
        key = ("Gateway", info.source.namespace, info.source.name)
        iap = ctx.policies.iam_auth.get(key)
        if iap is not None and parts["auth"] is None:
            parts["auth"] = policies.auth_policy(iap)
        vap = ctx.policies.vpc_association.get(key)
        if vap is not None and parts["vpc"] is None:
            vspec = spec_of(vap)
            user, _ = tags.parse_user_tags(annotations_of(vap))
            if vspec.get("associateWithVpc", True) is not False:
                parts["vpc"] = VpcAssociation(
                    Source("VpcAssociationPolicy", namespace_of(vap), name_of(vap)),
                    cfg.vpc_id,
                    tuple(sorted(str(s) for s in vspec.get("securityGroupIds") or ())),
                    tags.merge(user, tags.managed_by(cfg.managed_by)),
                )
            else:
                parts["vpc"] = False  # explicitly not associated
        for dtype, alp in ctx.policies.access_log.get(key, ()):
            if dtype not in parts["als"]:
                parts["als"][dtype] = access_log(ctx, alp, dtype)
    return parts


def access_log(ctx: Context, alp: Mapping[str, Any], dtype: str) -> AccessLogSubscription:
    ns, name = namespace_of(alp), name_of(alp)
    return AccessLogSubscription(
        Source("AccessLogPolicy", ns, name),
        str(spec_of(alp)["destinationArn"]),
        dtype,
        freeze(tags.access_log_tags(ctx.config.managed_by, ns, name)),
    )


def service_networks(ctx: Context, infos: dict[tuple[str, str], GatewayInfo]) -> tuple[list[ServiceNetwork], list[Outcome]]:
    cfg = ctx.config
    outcomes: list[Outcome] = []
    by_name: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return by_name.setdefault(name, {"sources": set(), "managed": False, "gateways": []})

    for sn in ctx.snapshot.list("ServiceNetwork"):
        name, gen = name_of(sn), generation_of(sn)
        src = Source("ServiceNetwork", "", name)
        if not naming.is_valid("servicenetwork", name):
            outcomes.append(Outcome(src, gen, (false(ACCEPTED, R_INVALID, f"{name!r} is not a valid Lattice service network name", gen),)))
            continue
        e = entry(name)
        e["sources"].add(src)
        e["managed"] = True
        outcomes.append(Outcome(src, gen, (true(ACCEPTED, R_ACCEPTED, "", gen),)))
    if cfg.default_service_network:
        e = entry(cfg.default_service_network)
        e["sources"].add(CONFIG_SOURCE)
        e["managed"] = True
        e["default"] = True
    for key in sorted(infos):
        info = infos[key]
        if not info.accepted or not info.sn_valid:
            continue
        e = entry(info.service_network)
        e["sources"].add(info.source)
        e["gateways"].append(info)
    result: list[ServiceNetwork] = []
    for name in sorted(by_name):
        e = by_name[name]
        parts = _sn_parts(ctx, e["gateways"])
        vpc = parts["vpc"]
        if vpc is None and e.get("default"):
            vpc = VpcAssociation(CONFIG_SOURCE, cfg.vpc_id, (), freeze(tags.managed_by(cfg.managed_by)))
        auth: AuthPolicy | None = parts["auth"]
        network = ServiceNetwork(
            name=name,
            sources=tuple(sorted(e["sources"])),
            managed=e["managed"],
            auth_type=AUTH_IAM if auth else AUTH_NONE,
            auth_policy=auth,
            vpc_association=vpc or None,
            access_log_subscriptions=tuple(parts["als"][k] for k in sorted(parts["als"])),
            tags=freeze(tags.managed_by(cfg.managed_by)) if e["managed"] else freeze({}),
        )
        fp = fingerprint({k: v for k, v in network.to_dict().items() if k != "fingerprint"})
        result.append(_with_fp(network, fp))
    return result, outcomes


def _with_fp(sn: ServiceNetwork, fp: str) -> ServiceNetwork:
    from dataclasses import replace

    return replace(sn, fingerprint=fp)
