"""A route's rules → Lattice rule specs (match, action, priority), plus what was rejected and why.

One Gateway API rule with N matches becomes N Lattice rules with the same action. Anything Lattice
cannot express rejects only that rule (reason + message) and the route reports PartiallyInvalid;
nothing is dropped silently. Unsupported: every filter type (Lattice rules have no filters),
`timeouts`, `retry`, `sessionPersistence`, and the match features listed in `matches.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from translate import backends, matches, priorities, tags
from translate.backends import Problem
from translate.context import Context
from translate.errors import RuleRejected
from translate.frozen import FrozenDict
from translate.model import Rule, Source, TargetGroup, TargetGroupLookup
from translate.naming import rule_name
from translate.priorities import Candidate
from translate.snapshot import annotations_of, spec_of
from translate.status.conditions import R_UNSUPPORTED_VALUE

_ANY_MATCH: tuple[Mapping[str, Any], ...] = ({},)  # a rule without matches matches every request
DEFAULT_HTTP_RULES: tuple[Mapping[str, Any], ...] = ({"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]},)


@dataclass(slots=True)
class RouteRules:
    rules: list[Rule] = field(default_factory=list)  # HTTP/gRPC, sorted by priority
    default_forward: FrozenDict | None = None  # TLSRoute: the listener's forward default action
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # rule index → (reason, message)
    problems: list[Problem] = field(default_factory=list)  # backend reference problems
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)  # referenced TGs only
    lookups: dict[str, TargetGroupLookup] = field(default_factory=dict)
    rule_count: int = 0
    unroutable: bool = False  # TLSRoute whose backends are all invalid (accepted, nothing to forward to)

    @property
    def valid(self) -> bool:
        return bool(self.rules) or self.default_forward is not None or self.unroutable


def _unsupported(kind: str, rule: Mapping[str, Any]) -> None:
    filters = rule.get("filters") or ()
    if filters:
        types = sorted({str(f.get("type")) for f in filters})
        raise RuleRejected(R_UNSUPPORTED_VALUE, f"filters are not supported by Lattice: {', '.join(types)}")
    for key in ("timeouts", "retry", "sessionPersistence"):
        if rule.get(key):
            raise RuleRejected(R_UNSUPPORTED_VALUE, f"{key} is not supported by Lattice")


def _within_quotas(config: Any, placed: Mapping[tuple[int, int], int], actions: Mapping[int, backends.Forward],
                   rejected: dict[int, tuple[str, str]]) -> None:
    """Lattice's quotas on one listener's rules and one service's target groups (adjustable per
    account; TranslateConfig holds the values in force). A Gateway API rule fits whole or not at
    all; rules are taken in precedence order (their best priority) and those beyond are rejected."""
    prios: dict[int, list[int]] = {}
    for (i, _), prio in placed.items():
        if i not in rejected:
            prios.setdefault(i, []).append(prio)
    needed = sum(map(len, prios.values()))
    rules_left = config.rules_per_listener
    tgs_used: set[str] = set()
    for i in sorted(prios, key=lambda i: min(prios[i])):
        n = len(prios[i])
        tgs = {e["targetGroupIdentifier"] for e in (actions[i].action.get("forward") or {}).get("targetGroups", ())}
        if n > rules_left:
            rejected[i] = (R_UNSUPPORTED_VALUE, (
                f"it needs {n} Lattice rule{'s' if n > 1 else ''} (one per match) and the listener has "
                f"room for {rules_left}: Lattice allows {config.rules_per_listener} rules per listener, this route "
                f"needs {needed} (the quota is adjustable: raise it in Service Quotas, then "
                f"LATTICEGW_QUOTA_RULES_PER_LISTENER)"))
            continue
        if len(tgs_used | tgs) > config.target_groups_per_service:
            rejected[i] = (R_UNSUPPORTED_VALUE, (
                f"it would bring the service to {len(tgs_used | tgs)} target groups: Lattice allows "
                f"{config.target_groups_per_service} per service (adjustable: raise it in Service Quotas, then "
                f"LATTICEGW_QUOTA_TARGET_GROUPS_PER_SERVICE)"))
            continue
        rules_left -= n
        tgs_used |= tgs


def build(
    ctx: Context,
    route_src: Source,
    route: Mapping[str, Any],
    user_tags: FrozenDict,
    domain: str | None = None,
    rule_tags: FrozenDict | None = None,
) -> RouteRules:
    """Build the route's rules. `domain` (the service's custom domain) is part of TG identity;
    `rule_tags` are the tags every Lattice rule carries (ManagedBy + user tags)."""
    if rule_tags is None:
        rule_tags = tags.merge(user_tags, tags.managed_by(ctx.managed_by))
    kind = route_src.kind
    spec = spec_of(route)
    raw_rules: Sequence[Mapping[str, Any]] = spec.get("rules") or ()
    if not raw_rules and kind != "TLSRoute":
        raw_rules = DEFAULT_HTTP_RULES
    out = RouteRules(rule_count=len(raw_rules))
    cache: dict[str, TargetGroup] = {}
    actions: dict[int, backends.Forward] = {}
    candidates: list[priorities.Candidate] = []
    built: dict[tuple[int, int], tuple[FrozenDict, str]] = {}
    seen_matches: dict[str, tuple[int, int]] = {}

    for i, rule in enumerate(raw_rules):
        try:
            fwd = backends.forward(ctx, cache, route_src, rule.get("backendRefs"), user_tags, domain)
            if fwd.problems:
                out.problems.extend(fwd.problems)
            if rule.get("filters") or rule.get("timeouts") or rule.get("retry") or rule.get("sessionPersistence"):
                _unsupported(kind, rule)
            if kind == "TLSRoute":
                if i > 0:
                    raise RuleRejected(R_UNSUPPORTED_VALUE, "Lattice TLS passthrough supports exactly one TLSRoute rule")
                if "forward" not in fwd.action:
                    if fwd.problems:
                        # Every backend is invalid: the route stays Accepted, ResolvedRefs says why
                        # (Gateway API). TLS passthrough has no fixed response, so the listener
                        # forwards nowhere: the service keeps its name and DNS, without a listener.
                        out.unroutable = True
                        continue
                    raise RuleRejected(R_UNSUPPORTED_VALUE, "a TLSRoute rule needs at least one valid backend")
                actions[i] = fwd
                out.default_forward = fwd.action
                continue
            raw_matches = rule.get("matches") or _ANY_MATCH
            # Every match is built before any is registered: one that Lattice cannot express
            # rejects the whole rule.
            if kind == "GRPCRoute":
                mine = [(lm, prec, matches.match_key(lm)) for lm, prec in map(matches.grpc_match, raw_matches)]
            else:
                mine = list(map(matches.http_match_keyed, raw_matches))
            for j, (lm, prec, key) in enumerate(mine):
                if key in seen_matches:
                    continue  # an identical earlier match always wins; this one could never match
                seen_matches[key] = (i, j)
                built[(i, j)] = (lm, key)
                candidates.append(Candidate(i, j, prec))
            actions[i] = fwd
        except RuleRejected as exc:
            out.rejected[i] = (exc.reason, exc.message)

    if kind != "TLSRoute":
        placed, overflow = priorities.assign(
            candidates, priorities.annotated_priorities(annotations_of(route)), ctx.config.max_rule_priority
        )
        for i, msg in overflow.items():
            out.rejected.setdefault(i, (R_UNSUPPORTED_VALUE, msg))
        _within_quotas(ctx.config, placed, actions, out.rejected)
        for (i, j), prio in sorted(placed.items(), key=itemgetter(1)):
            if i in out.rejected:
                continue
            lm, key = built[(i, j)]
            out.rules.append(
                Rule(
                    name=rule_name(key), priority=prio, match=lm, action=actions[i].action,
                    tags=rule_tags, route_rule=i, route_match=j,
                )
            )
    for i, fwd in actions.items():
        if i in out.rejected:
            continue
        used = {e["targetGroupIdentifier"] for e in (fwd.action.get("forward") or {}).get("targetGroups", ())}
        for tg in fwd.target_groups:
            if tg.name in used:
                out.target_groups[tg.name] = tg
        for lk in fwd.lookups:
            if lk.name in used:
                out.lookups[lk.name] = lk
    return out
