"""HTTPRoute / GRPCRoute / TLSRoute → one Lattice service, its listeners and rules, and route status.

Per route:
1. **Attach** to each parentRef that names a Gateway of ours: pick the Gateway listeners selected by
   sectionName/port, keep those that are valid, admit the route kind, admit the route's namespace
   (Same / All / Selector) and share a hostname with it. The first failing check gives the parent's
   Accepted=False reason (NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname).
   Parents on other classes' (or missing) Gateways are not ours and get no status entry.
2. **Rules** (`rules.py`) are built once for the route; they are the same on every Lattice listener.
3. **Service**: built when at least one parent accepted the route and at least one rule is valid.
   Listeners are the union of the attached Gateway listeners by port; service-network associations
   one per accepted parent Gateway's SN unless the route is standalone
   (`application-networking.k8s.aws/standalone`: the route's annotation beats the Gateway's).
   The custom domain is the first non-wildcard route hostname that an attached listener accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

from translate import certificates, naming, policies, rules, tags
from translate.context import Context
from translate.fingerprint import service_fingerprint
from translate.frozen import FrozenDict, freeze
from translate.gateway import TAKEOVER_ALLOWED, GatewayInfo, access_log
from translate.hostnames import intersect
from translate.listeners import GatewayListener, selector_matches
from translate.model import (
    AUTH_IAM,
    AUTH_NONE,
    GATEWAY_GROUP,
    TLS_PASSTHROUGH,
    Certificate,
    Condition,
    Event,
    Listener,
    Outcome,
    RouteParentStatus,
    Service,
    ServiceNetworkAssociation,
    Source,
    TargetGroup,
    TargetGroupLookup,
)
from translate.snapshot import spec_of
from translate.status.conditions import (
    ACCEPTED,
    PARTIALLY_INVALID,
    R_ACCEPTED,
    R_NO_MATCHING_LISTENER_HOSTNAME,
    R_NO_MATCHING_PARENT,
    R_NOT_ALLOWED_BY_LISTENERS,
    R_RESOLVED_REFS,
    R_UNSUPPORTED_VALUE,
    RESOLVED_REFS,
    false,
    true,
)

FIXED_404 = freeze({"fixedResponse": {"statusCode": 404}})


@dataclass(slots=True)
class RouteResult:
    outcome: Outcome | None = None
    service: Service | None = None
    target_groups: list[TargetGroup] = field(default_factory=list)
    lookups: list[TargetGroupLookup] = field(default_factory=list)
    attachments: list[tuple[tuple[str, str], str]] = field(default_factory=list)  # (gateway key, listener)
    # The service's custom domain is a listener hostname the route does not name itself: an
    # inherited claim, which never makes the route Conflicted (claims.py).
    inherited_domain: bool = False


@dataclass(slots=True)
class _Parent:
    ref: FrozenDict
    gateway: GatewayInfo
    listeners: list[GatewayListener]
    hostnames: list[str]  # effective hostnames ([] = any)
    reject: tuple[str, str] | None


def _parent_ref(pref: Mapping[str, Any], route_ns: str) -> dict[str, Any]:
    d = dict(pref)
    d.setdefault("group", GATEWAY_GROUP)
    d.setdefault("kind", "Gateway")
    d.setdefault("namespace", route_ns)
    return d


def _parent_refs(ctx: Context, pref: Mapping[str, Any], route_ns: str) -> tuple[dict[str, Any], FrozenDict]:
    """(the parentRef with defaults filled, its frozen form for status).

    Most routes of a Gateway carry the same parentRef, so the frozen form is built once per
    translation (ctx.memo) and shared; it is immutable, so sharing cannot change the output.
    """
    try:
        key = ("parentRef", route_ns, *pref.items())
        hit = ctx.memo.get(key)
    except (AttributeError, TypeError):  # not a mapping, or an unhashable value: no memo
        full = _parent_ref(pref, route_ns)
        return full, freeze(full)
    if hit is None:
        full = _parent_ref(pref, route_ns)
        hit = ctx.memo[key] = (full, freeze(full))
    return hit


def _attach(ctx: Context, kind: str, route_ns: str, hostnames: list[str], pref: Mapping[str, Any], gw: GatewayInfo) -> tuple[list[GatewayListener], list[str], tuple[str, str] | None]:
    if not gw.accepted:
        return [], [], (R_NOT_ALLOWED_BY_LISTENERS, f"Gateway {gw.source.namespace}/{gw.source.name} is not accepted")
    section, port = pref.get("sectionName"), pref.get("port")
    selected = [
        lst for lst in gw.listeners if (section is None or lst.name == section) and (port is None or lst.port == port)
    ]
    if not selected:
        what = " ".join(x for x in (f"sectionName {section}" if section else "", f"port {port}" if port else "") if x)
        return [], [], (R_NO_MATCHING_PARENT, f"Gateway {gw.source.namespace}/{gw.source.name} has no listener with {what}")
    valid = [lst for lst in selected if lst.valid]
    if not valid:
        return [], [], (R_NOT_ALLOWED_BY_LISTENERS, "no selected listener is valid")
    by_kind = [lst for lst in valid if kind in lst.supported_kinds]
    if not by_kind:
        return [], [], (R_NOT_ALLOWED_BY_LISTENERS, f"no selected listener allows {kind}")
    gw_ns = gw.source.namespace
    ns_labels = None
    by_ns = []
    for lst in by_kind:
        if lst.namespaces_from == "All" or (lst.namespaces_from == "Same" and route_ns == gw_ns):
            by_ns.append(lst)
        elif lst.namespaces_from == "Selector":
            if ns_labels is None:
                ns_labels = ctx.snapshot.namespace_labels(route_ns)
            if selector_matches(lst.selector, ns_labels):
                by_ns.append(lst)
    if not by_ns:
        return [], [], (R_NOT_ALLOWED_BY_LISTENERS, f"no selected listener allows routes from namespace {route_ns}")
    attached: list[GatewayListener] = []
    effective: list[str] = []
    for lst in by_ns:
        hs = intersect(lst.hostname, hostnames)
        if hs is None:
            continue
        attached.append(lst)
        for h in hs:
            if h not in effective:
                effective.append(h)
    if not attached:
        return [], [], (R_NO_MATCHING_LISTENER_HOSTNAME, "no route hostname matches a selected listener hostname")
    return attached, effective, None


def _attach_shared(ctx: Context, kind: str, route_ns: str, hostnames: list[str], pref: Mapping[str, Any], gw: GatewayInfo) -> tuple[list[GatewayListener], list[str], tuple[str, str] | None]:
    """`_attach`, computed once per translation for each distinct input (ctx.memo).

    Routes of one namespace attaching to one Gateway listener mostly share every input here; the
    result only depends on them (and on the snapshot's namespace labels), and callers only read it.
    """
    try:
        section, port = pref.get("sectionName"), pref.get("port")
        # types too: 80 and 80.0 are equal keys but read differently in a rejection message
        key = ("attach", gw.source.namespace, gw.source.name, kind, route_ns, section, type(section), port, type(port), *hostnames)
        hit = ctx.memo.get(key)
    except TypeError:  # an unhashable sectionName/port (invalid input): no memo
        return _attach(ctx, kind, route_ns, hostnames, pref, gw)
    if hit is None:
        hit = ctx.memo[key] = _attach(ctx, kind, route_ns, hostnames, pref, gw)
    return hit


def _custom_domain(parents: list[_Parent]) -> tuple[str | None, list[str]]:
    """(custom domain, hostnames that cannot be programmed).

    A Lattice service has exactly one custom domain and it cannot be changed in place: the first
    non-wildcard hostname of the route that an attached listener accepts. Listeners without their
    certificate count too, so a Secret that is missing for a while (a renewal) changes no custom
    domain, which would replace the service and change its Lattice DNS name.
    """
    effective: list[str] = []
    for p in parents:
        for h in p.hostnames:
            if h not in effective:
                effective.append(h)
    concrete = [h for h in effective if not h.startswith("*.")]
    domain = concrete[0] if concrete else None
    return domain, [h for h in effective if h != domain]


_STANDALONE = tags.A + "standalone"
_TAKEOVER = tags.A + "allow-takeover-from"
_NAME_OVERRIDE = tags.A + "service-name-override"
_by_name = attrgetter("name")


def _standalone(ann: Mapping[str, Any], gw: GatewayInfo) -> bool:
    """`ann`: the route's annotations."""
    if _STANDALONE in ann:
        return str(ann[_STANDALONE]).strip().lower() == "true"
    return gw.standalone


def _takeover(ctx: Context, ann: Mapping[str, Any], accepted: list[_Parent]) -> tuple[str | None, str | None]:
    """(the owner the route may take over, or why its allow-takeover-from annotation is refused).

    A route author alone must not be able to take another cluster's Lattice service: the owner
    named by the route must also be allowed by the cluster operator, controller-wide
    (LATTICEGW_ALLOWED_TAKEOVER_FROM) or on one of the route's accepted Gateways."""
    wanted = str(ann.get(_TAKEOVER) or "").strip()
    if not wanted:
        return None, None
    allowed = set(ctx.config.allowed_takeover_from)
    for p in accepted:
        allowed |= p.gateway.takeover_allowed
    if wanted in allowed or "*" in allowed:
        return wanted, None
    gws = ", ".join(f"{p.gateway.source.namespace}/{p.gateway.source.name}" for p in accepted)
    return None, (f"allow-takeover-from {wanted!r} is not allowed by the cluster operator: list it in the "
                  f"{TAKEOVER_ALLOWED} annotation of Gateway {gws} (or in LATTICEGW_ALLOWED_TAKEOVER_FROM)")


def translate_route(ctx: Context, kind: str, route: Mapping[str, Any], gateways: Mapping[tuple[str, str], GatewayInfo],
                    inherited_domain_held_by: str | None = None) -> RouteResult:
    """Translate one route. `inherited_domain_held_by`: the route (a Source key) that holds the custom
    domain this route would inherit from a listener hostname (claims.py); this route then gets no
    custom domain and is served under its own Lattice DNS name."""
    md = route.get("metadata") or {}
    ns, name = md.get("namespace") or "default", md.get("name") or ""
    gen = md.get("generation") if isinstance(md.get("generation"), int) else None
    ann = md.get("annotations") or {}
    src = Source(kind=kind, namespace=ns, name=name)
    spec = spec_of(route)
    hostnames = [str(h) for h in spec.get("hostnames") or ()]
    res = RouteResult()
    parents: list[_Parent] = []
    for pref in spec.get("parentRefs") or ():
        full, frozen_ref = _parent_refs(ctx, pref, ns)
        if full["group"] != GATEWAY_GROUP or full["kind"] != "Gateway":
            continue  # mesh (Service parents) is not supported by Lattice's model
        gw = gateways.get((str(full["namespace"]), str(full.get("name") or "")))
        if gw is None:
            continue
        attached, effective, reject = _attach_shared(ctx, kind, ns, hostnames, pref, gw)
        parents.append(_Parent(frozen_ref, gw, attached, effective, reject))
    if not parents:
        return res
    events: list[Event] = []
    user_tags, tag_problems = tags.parse_user_tags(ann)
    if tag_problems:
        events.extend(Event("Warning", "InvalidTags", p) for p in tag_problems)

    route_problem: tuple[str, str] | None = None
    if kind == "TLSRoute" and not hostnames:
        route_problem = (R_UNSUPPORTED_VALUE, "a TLSRoute needs at least one hostname (Lattice TLS passthrough needs a custom domain)")
    svc_name = naming.service_name(name, ns)
    override = ann.get(_NAME_OVERRIDE)
    if override is not None:
        if naming.is_valid("service", override):
            svc_name = override
        else:
            route_problem = route_problem or (
                R_UNSUPPORTED_VALUE,
                f"service-name-override {override!r} is not a valid Lattice service name (3-40 of [a-z0-9-], no svc- prefix, no leading, trailing or double hyphen)",
            )

    domain, skipped = _custom_domain([p for p in parents if p.reject is None])
    # Inherited: the custom domain is a listener hostname, not one the route names (it names none,
    # or a wildcard the listener hostname narrows).
    res.inherited_domain = domain is not None and domain not in hostnames
    not_served: str | None = None  # why an accepted route is served without its inherited hostname
    if res.inherited_domain and inherited_domain_held_by is not None:
        not_served = (f"hostname {domain} (inherited from the listener) is the custom domain of "
                      f"{inherited_domain_held_by}; this route is served under its own Lattice DNS name only")
        events.append(Event("Warning", "HostnamesNotProgrammed", not_served))
        domain, res.inherited_domain = None, False
    if skipped:
        events.append(
            Event(
                "Warning",
                "HostnamesNotProgrammed",
                f"a Lattice service has one custom domain ({domain or 'none'}); not programmed: {', '.join(skipped)}",
            )
        )
    if kind == "TLSRoute" and hostnames and domain is None and route_problem is None:
        # TLS_PASSTHROUGH listeners need the service's custom domain, which cannot be a wildcard.
        # "TLS listeners route requests using the SNI field ... if the matching condition is an exact
        # match to the client-hello" (VPC Lattice user guide, TLS listeners): wildcard SNI routing
        # does not exist in Lattice.
        route_problem = (R_UNSUPPORTED_VALUE, "Lattice TLS passthrough routes on an exact SNI match with the "
                         "service's custom domain, so a TLSRoute needs a non-wildcard hostname (or a listener "
                         "hostname that narrows its wildcard to one name)")
    common_tags = tags.managed_only(user_tags, ctx.managed_by)
    built = rules.build(ctx, src, route, user_tags, domain, common_tags)
    valid = built.valid
    if not valid and route_problem is None:
        if built.rejected:
            msgs = "; ".join(f"rule {i}: {m}" for i, (_, m) in sorted(built.rejected.items()))
            route_problem = (R_UNSUPPORTED_VALUE, f"no rule can be programmed: {msgs}")
        else:
            route_problem = (R_UNSUPPORTED_VALUE, "the route has no rules")

    if built.problems:
        first = built.problems[0]
        resolved = false(RESOLVED_REFS, first.reason, "; ".join(p.message for p in built.problems), gen)
    else:
        resolved = true(RESOLVED_REFS, R_RESOLVED_REFS, "", gen)
    partial: Condition | None = None
    if built.rejected and valid:
        msgs = "; ".join(f"rule {i}: {m}" for i, (_, m) in sorted(built.rejected.items()))
        partial = true(PARTIALLY_INVALID, R_UNSUPPORTED_VALUE, f"Dropped Rule(s): {msgs}", gen)

    statuses: list[RouteParentStatus] = []
    accepted: list[_Parent] = []
    controller_name = ctx.config.controller_name
    for p in parents:
        if p.reject:
            conds = [false(ACCEPTED, p.reject[0], p.reject[1], gen), resolved]
        elif route_problem:
            conds = [false(ACCEPTED, route_problem[0], route_problem[1], gen), resolved]
        else:
            # Accepted and counted in attachedRoutes (Gateway API: attachment does not depend on the
            # listener's certificate); what Lattice cannot serve is said in the message, which also
            # makes the status change when it does (route events are said on status changes).
            notes = [f"not served on listener {lst.name}: it has no usable certificate (Programmed=False)"
                     for lst in p.listeners if not lst.programmed]
            if not_served:
                notes.append(not_served)
            conds = [true(ACCEPTED, R_ACCEPTED, "; ".join(notes), gen), resolved]
            if partial:
                conds.append(partial)
            accepted.append(p)
            for lst in p.listeners:
                res.attachments.append(((p.gateway.source.namespace, p.gateway.source.name), lst.name))
        statuses.append(RouteParentStatus(parent_ref=p.ref, controller_name=controller_name, conditions=tuple(conds)))
    if accepted:
        takeover, refused = _takeover(ctx, ann, accepted)
        if refused:
            events.append(Event("Warning", "TakeoverNotAllowed", refused))
        res.service = _service(ctx, src, ann, svc_name, domain, accepted, built, user_tags, common_tags, takeover,
                               events)
        if res.service is not None:
            res.target_groups = sorted(built.target_groups.values(), key=_by_name)
            res.lookups = sorted(built.lookups.values(), key=_by_name)
    res.outcome = Outcome(source=src, generation=gen, parents=tuple(statuses), events=tuple(events))
    return res


def _service(
    ctx: Context,
    src: Source,
    ann: Mapping[str, Any],  # the route's annotations
    svc_name: str,
    domain: str | None,
    accepted: list[_Parent],
    built: rules.RouteRules,
    user_tags: FrozenDict,
    common_tags: FrozenDict,
    takeover: str | None,
    events: list[Event],  # the route's: a certificate that does not cover the custom domain is said here
) -> Service:
    # Lattice listeners: one per port, first Gateway listener (in parent order) wins a port.
    ports: dict[int, GatewayListener] = {}
    for p in accepted:
        for lst in p.listeners:
            if lst.programmed:  # attached to a listener without its certificate: not served there
                ports.setdefault(lst.port, lst)
    lattice_listeners: list[Listener] = []
    rule_objs = tuple(built.rules)
    for port in sorted(ports):
        lst = ports[port]
        lname = naming.listener_name(src.name, src.namespace, port, lst.protocol)
        if lst.protocol == TLS_PASSTHROUGH:
            if built.default_forward is None:
                continue
            lattice_listeners.append(
                Listener(name=lname, port=port, protocol=lst.protocol, default_action=built.default_forward, tags=common_tags)
            )
            continue
        lattice_listeners.append(
            Listener(name=lname, port=port, protocol=lst.protocol, default_action=FIXED_404, rules=rule_objs, tags=common_tags)
        )

    # One certificate per Lattice service. The certificate-arn option (the AWS controller's) wins,
    # then a certificateRefs Secret of the attached listeners (apply imports it into ACM): the one
    # covering the custom domain; with neither, apply discovers one in ACM for the custom domain.
    cert = None
    candidates: list[Certificate] = []
    for p in accepted:
        for lst in p.listeners:
            if not lst.programmed:
                continue
            if lst.certificate_arn and cert is None:
                cert = lst.certificate_arn
            candidates.extend(c for c in lst.certificates if c not in candidates)
    secret_cert = None
    if cert is None and domain is not None and candidates:  # no custom domain: Lattice's own certificate
        secret_cert, fits = certificates.choose(tuple(candidates), domain)
        if not fits and secret_cert is not None:
            events.append(Event("Warning", "CertificateMismatch",
                                f"no listener certificate covers {domain}; serving the one from "
                                f"{secret_cert.source.key} ({', '.join(secret_cert.domains)}), which clients will reject"))

    key = (src.kind, src.namespace, src.name)
    iap = ctx.policies.iam_auth.get(key)
    auth = policies.auth_policy(iap) if iap else None
    alps = ctx.policies.access_log.get(key)
    als = tuple(access_log(ctx, alp, dtype) for dtype, alp in sorted(alps, key=itemgetter(0))) if alps else ()

    sns: list[str] = []
    for p in accepted:
        if p.gateway.sn_valid and not _standalone(ann, p.gateway) and p.gateway.service_network not in sns:
            sns.append(p.gateway.service_network)
    assoc = tuple([ServiceNetworkAssociation(service_network=sn, tags=common_tags) for sn in sorted(sns)])
    fields: dict[str, Any] = dict(
        name=svc_name,
        source=src,
        custom_domain_name=domain,
        certificate_arn=cert,
        auth_type=AUTH_IAM if auth else AUTH_NONE,
        auth_policy=auth,
        associations=assoc,
        listeners=tuple(lattice_listeners),
        access_log_subscriptions=als,
        tags=tags.route_service_tags(user_tags, ctx.managed_by, src.kind, src.namespace, src.name),
        allow_takeover_from=takeover,
        replacement_name=naming.replacement_service_name(svc_name, domain),
        certificate=secret_cert,
    )
    return Service(**fields, fingerprint=service_fingerprint(fields))
