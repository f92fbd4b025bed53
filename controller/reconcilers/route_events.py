"""What one route pass tells the user through Events: a pure decision over what the pass saw.

`decide(route, outcome, result, status_changed=...)` returns the Events to record; the
reconciler hands them to the recorder (`controller.events`), which folds repeats into one
Event whose count grows. Which pass says what, so `kubectl describe` reads as a history
without a storm:

- Rejections (a parent condition False: NotAllowedByListeners, NoMatchingParent,
  BackendNotFound, RefNotPermitted, ...) and translate's own notes describe the spec: they are
  said when the route's status changes, i.e. once per change, never on a no-op pass or a retry.
- AWS failures (`FailedDeployModel`), Lattice name conflicts (`Conflicted`) and a missing service
  network (`ServiceNetworkNotFound`) are said on every pass that hits them; retries of one
  failure fold into one Event (the recorder also rate-limits its count updates).
- `DeploySucceed` (Normal) once per generation: on the first fully successful pass of a generation,
  which is the pass that finds no progress record of that generation on the route
  (`controller.progress`: written after a fully successful pass, removed by any other). So it also
  comes again after the route recovered from a failure, as the note that it did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller import progress
from controller.reconcilers.context import describe_errors
from translate.model import Event, Outcome
from translate.status.conditions import R_CONFLICTED

DEPLOY_SUCCEED = "DeploySucceed"
FAILED_DEPLOY = "FailedDeployModel"
SN_NOT_FOUND = "ServiceNetworkNotFound"

# What a user can do about an AWS error code, appended to FailedDeployModel's message.
HINTS = {
    "AccessDeniedException": "grant the controller's IAM role the permissions in deploy/iam-policy.json",
    "UnauthorizedException": "grant the controller's IAM role the permissions in deploy/iam-policy.json",
    "ServiceQuotaExceededException": "request a VPC Lattice quota increase, or delete unused resources",
    "ThrottlingException": "Lattice is throttling this account; retrying with backoff",
    "ValidationException": "Lattice rejected a value derived from this route's spec; fix the spec",
    "ConflictException": "another change to the same Lattice resource is in flight; retrying",
    "InternalServerException": "a Lattice server error; retrying with backoff",
}
RETRYING = "retrying with backoff"


def decide(route: Mapping[str, Any], outcome: Outcome, result, *, status_changed: bool) -> list[Event]:
    """The Events of one pass over `route` (as read before the pass wrote anything; a pass that
    fully succeeds writes the progress record, so the next one finds this generation done)."""
    events: list[Event] = []
    if status_changed:
        events += outcome.events
        events += rejections(outcome)
    events += [Event("Warning", R_CONFLICTED, c.message) for c in result.conflicts]
    if result.errors:
        events.append(Event("Warning", FAILED_DEPLOY, failure_message(result.errors)))
    elif result.waiting:
        # a dependency nobody has created yet (the Gateway's service network): not a failure
        events.append(Event("Warning", SN_NOT_FOUND, "; ".join(result.waiting)
                            + "; the route is programmed once it exists"))
    if (fully_applied(result) and (result.services or result.target_groups)
            and first_of_generation(route)):
        events.append(Event("Normal", DEPLOY_SUCCEED, success_message(route, result)))
    return _unique(events)


def fully_applied(result) -> bool:
    return not (result.errors or result.in_progress or result.conflicts or result.waiting)


def first_of_generation(route: Mapping[str, Any]) -> bool:
    """No progress record of this generation (and this object: the uid) on the route yet."""
    record = progress.recorded(route)
    if not record:
        return True
    gen, _config, _targets, uid = (record.split(":") + ["", "", "", ""])[:4]
    meta = route.get("metadata") or {}
    return gen != str(meta.get("generation", "")) or uid != (meta.get("uid") or "")


def rejections(outcome: Outcome) -> list[Event]:
    """A Warning per False condition of each parent, with its Gateway API reason. Conflicted
    comes from Lattice (said with the conflict itself), not from the spec."""
    out = []
    for parent in outcome.parents:
        ref = parent.parent_ref
        where = f"parentRef {ref.get('kind', 'Gateway')} {ref.get('namespace', '')}/{ref.get('name', '')}"
        if ref.get("sectionName"):
            where += f" section {ref['sectionName']}"
        for cond in parent.conditions:
            if cond.status == "False" and cond.reason != R_CONFLICTED:
                out.append(Event("Warning", cond.reason, f"{where}: {cond.type}=False: {cond.message}"))
    return out


def failure_message(errors) -> str:
    hints = []
    for err in errors:
        hint = HINTS.get(err.code, RETRYING)
        if hint not in hints:
            hints.append(hint)
    return f"{describe_errors(errors)} ({'; '.join(hints)})"


def success_message(route: Mapping[str, Any], result) -> str:
    gen = (route.get("metadata") or {}).get("generation")
    if result.services:
        parts = [f"{name} ({svc.dns_name})" if svc.dns_name else name for name, svc in sorted(result.services.items())]
        what = "Lattice service " + ", ".join(parts)
    else:
        what = "Lattice target groups " + ", ".join(sorted(result.target_groups))
    return f"{what} deployed for generation {gen}"


def _unique(events: list[Event]) -> list[Event]:
    seen, out = set(), []
    for ev in events:
        if (ev.type, ev.reason, ev.message) not in seen:
            seen.add((ev.type, ev.reason, ev.message))
            out.append(ev)
    return out
