"""The `application-networking.k8s.aws` policies: which one applies to what, and their status.

TargetGroupPolicy → Service | ServiceExport; VpcAssociationPolicy → Gateway; AccessLogPolicy and
IAMAuthPolicy → Gateway | HTTPRoute | GRPCRoute. As in the AWS controller: `targetRef` is resolved
in the policy's own namespace, and when several policies of a kind target the same object the
oldest (creationTimestamp, then name) wins and the others are Conflicted. AccessLogPolicies only
conflict when they share a destination type (one subscription per type is allowed per resource).
A policy being deleted (deletionTimestamp set) is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from translate import targetgroups
from translate.model import AWS_GROUP, GATEWAY_GROUP, AuthPolicy, Outcome, Source, destination_type
from translate.snapshot import Obj, Snapshot, generation_of, meta, name_of, namespace_of, spec_of
from translate.status.conditions import (
    ACCEPTED,
    R_ACCEPTED,
    R_CONFLICTED,
    R_INVALID,
    R_TARGET_NOT_FOUND,
    false,
    true,
)

VALID_TARGETS: dict[str, tuple[tuple[str, str], ...]] = {
    "TargetGroupPolicy": (("", "Service"), (AWS_GROUP, "ServiceExport")),
    "VpcAssociationPolicy": ((GATEWAY_GROUP, "Gateway"),),
    "AccessLogPolicy": ((GATEWAY_GROUP, "Gateway"), (GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")),
    "IAMAuthPolicy": ((GATEWAY_GROUP, "Gateway"), (GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")),
}
SG_RE = re.compile(r"^sg-[0-9a-z]+$")
# The whole ARN a user may give per destination type (the type itself: model.destination_type).
DEST_ARNS = {
    "s3": re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}(/.*)?$"),
    "logs": re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w./#-]+(:\*)?$"),
    "firehose": re.compile(r"^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[\w.-]+$"),
}

TargetKey = tuple[str, str, str]  # (kind, namespace, name)


def valid_destination(arn: str) -> bool:
    """An AccessLogPolicy's destinationArn: an S3 bucket, CloudWatch Logs group or Firehose stream."""
    dtype = destination_type(arn)
    return dtype is not None and DEST_ARNS[dtype].match(arn) is not None


@dataclass
class Policies:
    """Winning policies by target, and one Outcome per policy object."""

    target_group: dict[TargetKey, Obj] = field(default_factory=dict)
    vpc_association: dict[TargetKey, Obj] = field(default_factory=dict)
    access_log: dict[TargetKey, list[tuple[str, Obj]]] = field(default_factory=dict)  # (dest type, policy)
    iam_auth: dict[TargetKey, Obj] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)


def _age(obj: Obj) -> tuple[str, str]:
    return (str(meta(obj).get("creationTimestamp") or ""), name_of(obj))


def auth_policy(iap: Obj) -> AuthPolicy:
    """The IAMAuthPolicy's document as Lattice takes it: compact JSON on one line.

    Lattice's model forbids newlines in auth policies, and users write them as multi-line
    YAML blocks; re-serialising also makes the stored form stable, so an unchanged policy
    compares equal to what Lattice returns. Key order is kept as written.
    """
    document = json.dumps(json.loads(str(spec_of(iap)["policy"])), separators=(",", ":"), ensure_ascii=False)
    return AuthPolicy(Source("IAMAuthPolicy", namespace_of(iap), name_of(iap)), document)


def _validate(kind: str, spec: Mapping[str, Any]) -> str | None:
    if kind == "TargetGroupPolicy":
        return targetgroups.validate_policy_spec(spec)
    if kind == "VpcAssociationPolicy":
        sgs = spec.get("securityGroupIds")
        if sgs is not None:
            if not isinstance(sgs, list) or not 1 <= len(sgs) <= 5:
                return "securityGroupIds must list 1 to 5 security groups"
            bad = [s for s in sgs if not SG_RE.match(str(s))]
            if bad:
                return f"invalid security group ids: {', '.join(map(str, bad))}"
        return None
    if kind == "AccessLogPolicy":
        arn = str(spec.get("destinationArn") or "")
        if not valid_destination(arn):
            return f"destinationArn {arn!r} is not an S3 bucket, CloudWatch Logs group or Firehose stream ARN"
        return None
    if kind == "IAMAuthPolicy":
        policy = spec.get("policy")
        if not isinstance(policy, str) or not policy.strip():
            return "policy must be a non-empty JSON string"
        try:
            compact = json.dumps(json.loads(policy), separators=(",", ":"), ensure_ascii=False)
        except ValueError as exc:
            return f"policy is not valid JSON: {exc}"
        if len(compact.encode()) > 10 * 1024:
            return "policy exceeds Lattice's 10 KB auth policy limit"
        return None
    return None


def resolve(snapshot: Snapshot) -> Policies:
    out = Policies()
    for kind, valid in VALID_TARGETS.items():
        candidates: dict[tuple[TargetKey, str], list[Obj]] = {}
        for pol in snapshot.list(kind):
            if meta(pol).get("deletionTimestamp"):
                # Being deleted: it no longer applies (a finalizer may keep the object a while
                # longer, until its effect on Lattice is undone), and it gets no status.
                continue
            ns, name, gen = namespace_of(pol), name_of(pol), generation_of(pol)
            src = Source(kind, ns, name)
            spec = spec_of(pol)
            ref = spec.get("targetRef") or {}
            group = str(ref.get("group") or "")
            group = "" if group == "core" else group
            tkind, tname = str(ref.get("kind") or ""), str(ref.get("name") or "")
            problem = None
            if (group, tkind) not in valid:
                allowed = ", ".join(f"{g or 'core'}/{k}" for g, k in valid)
                problem = f"targetRef {group or 'core'}/{tkind} is not one of {allowed}"
            elif ref.get("namespace") and ref.get("namespace") != ns:
                problem = "targetRef must be in the policy's namespace"
            else:
                problem = _validate(kind, spec)
            if problem:
                out.outcomes.append(Outcome(src, gen, (false(ACCEPTED, R_INVALID, problem, gen),)))
                continue
            if snapshot.get(tkind, ns, tname) is None:
                out.outcomes.append(
                    Outcome(src, gen, (false(ACCEPTED, R_TARGET_NOT_FOUND, f"{tkind} {ns}/{tname} not found", gen),))
                )
                continue
            sub = (destination_type(str(spec.get("destinationArn"))) or "") if kind == "AccessLogPolicy" else ""
            candidates.setdefault(((tkind, ns, tname), sub), []).append(pol)
        for (target, sub), pols in sorted(candidates.items()):
            pols.sort(key=_age)
            winner, losers = pols[0], pols[1:]
            wsrc = Source(kind, namespace_of(winner), name_of(winner))
            wgen = generation_of(winner)
            out.outcomes.append(Outcome(wsrc, wgen, (true(ACCEPTED, R_ACCEPTED, "", wgen),)))
            for pol in losers:
                gen = generation_of(pol)
                msg = f"{kind} {namespace_of(winner)}/{name_of(winner)} already targets {target[0]} {target[2]}"
                out.outcomes.append(
                    Outcome(Source(kind, namespace_of(pol), name_of(pol)), gen, (false(ACCEPTED, R_CONFLICTED, msg, gen),))
                )
            if kind == "TargetGroupPolicy":
                out.target_group[target] = winner
            elif kind == "VpcAssociationPolicy":
                out.vpc_association[target] = winner
            elif kind == "AccessLogPolicy":
                out.access_log.setdefault(target, []).append((sub, winner))
            else:
                out.iam_auth[target] = winner
    return out
