"""Pure status arithmetic: desired conditions + current status -> the status to write, or None.

Why this is its own module: "written only when changed" is what keeps a no-op
reconcile free of API writes, and it hinges on two details that are easy to get
wrong in I/O code:

* `lastTransitionTime` changes only when a condition's `status` flips, so a
  condition that merely keeps its value must keep its old timestamp (otherwise
  every pass would be a write).
* A route's `status.parents[]` is shared between controllers and is an atomic
  list in the Gateway API CRDs: we rewrite only the entries whose
  `controllerName` is ours and carry everybody else's over untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from translate.model import Condition, ListenerStatus, RouteParentStatus


def _plain(value: Any) -> Any:
    """FrozenDict/tuple trees as plain dict/list trees (what the API server gives back)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def merge_conditions(
    current: Iterable[Mapping[str, Any]] | None,
    desired: Sequence[Condition],
    now: str,
    generation: int | None,
) -> list[dict[str, Any]]:
    """Desired conditions as API dicts, keeping lastTransitionTime where status did not flip.

    Conditions of other types already present (set by someone else) are kept after ours.
    """
    by_type = {c.get("type"): c for c in current or () if isinstance(c, Mapping)}
    out: list[dict[str, Any]] = []
    for cond in desired:
        old = by_type.pop(cond.type, None)
        observed = cond.observed_generation if cond.observed_generation is not None else generation
        item: dict[str, Any] = {
            "type": cond.type,
            "status": cond.status,
            "reason": cond.reason,
            "message": cond.message[:32768],
            "lastTransitionTime": (old or {}).get("lastTransitionTime") if old and old.get("status") == cond.status else now,
        }
        if not item["lastTransitionTime"]:
            item["lastTransitionTime"] = now
        if observed is not None:
            item["observedGeneration"] = observed
        out.append(item)
    out.extend(dict(c) for c in by_type.values())
    return out


def _same_conditions(a: Iterable[Mapping[str, Any]] | None, b: Iterable[Mapping[str, Any]]) -> bool:
    def norm(items):
        return sorted(
            (
                c.get("type"), c.get("status"), c.get("reason"), c.get("message", ""),
                c.get("observedGeneration"), c.get("lastTransitionTime"),
            )
            for c in items or ()
        )

    return norm(a) == norm(b)


def conditions_status(
    current_status: Mapping[str, Any] | None, desired: Sequence[Condition], now: str, generation: int | None,
    supported_features: Sequence[str] | None = None,
) -> dict[str, Any] | None:
    """For kinds whose status is only `conditions` (policies, ServiceNetwork), and GatewayClass,
    which also publishes `supportedFeatures` (pass them; None leaves the field alone)."""
    current_status = current_status or {}
    current = current_status.get("conditions")
    merged = merge_conditions(current, desired, now, generation)
    features = None if supported_features is None else [{"name": f} for f in supported_features]
    same_features = features is None or _plain(current_status.get("supportedFeatures") or []) == features
    if _same_conditions(current, merged) and same_features:
        return None
    out: dict[str, Any] = {"conditions": merged}
    if features is not None:
        out["supportedFeatures"] = features or None  # a merge patch removes the field with null
    return out


def gateway_status(
    current_status: Mapping[str, Any] | None,
    conditions: Sequence[Condition],
    listeners: Sequence[ListenerStatus],
    now: str,
    generation: int | None,
    hostnames: Sequence[str] = (),
) -> dict[str, Any] | None:
    current = current_status or {}
    addresses = [{"type": "Hostname", "value": h} for h in hostnames]
    merged = merge_conditions(current.get("conditions"), conditions, now, generation)
    old_listeners = {item.get("name"): item for item in current.get("listeners") or ()}
    new_listeners = []
    for listener in listeners:
        old = old_listeners.get(listener.name) or {}
        new_listeners.append(
            {
                "name": listener.name,
                "supportedKinds": _plain(listener.supported_kinds),
                "attachedRoutes": listener.attached_routes,
                "conditions": merge_conditions(old.get("conditions"), listener.conditions, now, generation),
            }
        )
    unchanged = (
        _same_conditions(current.get("conditions"), merged)
        and _same_listeners(current.get("listeners"), new_listeners)
        and _plain(current.get("addresses") or []) == addresses
    )
    if unchanged:
        return None
    # A merge patch removes the field with null (the CRD allows no empty Hostname list entry).
    return {"conditions": merged, "listeners": new_listeners, "addresses": addresses or None}


def _same_listeners(a, b) -> bool:
    a = {i.get("name"): i for i in a or ()}
    b = {i.get("name"): i for i in b or ()}
    if a.keys() != b.keys():
        return False
    for name, new in b.items():
        old = a[name]
        if (
            old.get("attachedRoutes") != new["attachedRoutes"]
            or _plain(old.get("supportedKinds")) != new["supportedKinds"]
            or not _same_conditions(old.get("conditions"), new["conditions"])
        ):
            return False
    return True


def _ref_key(ref: Mapping[str, Any], route_namespace: str) -> tuple:
    return (
        ref.get("group", "gateway.networking.k8s.io") or "gateway.networking.k8s.io",
        ref.get("kind", "Gateway") or "Gateway",
        ref.get("namespace") or route_namespace,
        ref.get("name"),
        ref.get("sectionName"),
        ref.get("port"),
    )


def route_status(
    current_status: Mapping[str, Any] | None,
    parents: Sequence[RouteParentStatus],
    controller_name: str,
    route_namespace: str,
    now: str,
    generation: int | None,
) -> dict[str, Any] | None:
    """The new `status` for a route, or None when nothing changed.

    Entries of other controllers are kept as they are; ours are replaced by `parents`
    (an empty `parents` removes ours, e.g. when the route left our Gateways).
    """
    current = list((current_status or {}).get("parents") or ())
    ours_old = {
        _ref_key(p.get("parentRef") or {}, route_namespace): p
        for p in current
        if p.get("controllerName") == controller_name
    }
    others = [p for p in current if p.get("controllerName") != controller_name]
    ours_new = []
    for parent in parents:
        ref = _plain(parent.parent_ref)
        old = ours_old.get(_ref_key(ref, route_namespace)) or {}
        ours_new.append(
            {
                "parentRef": ref,
                "controllerName": controller_name,
                "conditions": merge_conditions(old.get("conditions"), parent.conditions, now, generation),
            }
        )
    new_keys = {_ref_key(p["parentRef"], route_namespace): p for p in ours_new}
    unchanged = ours_old.keys() == new_keys.keys() and all(
        _same_conditions(ours_old[k].get("conditions"), new_keys[k]["conditions"])
        and _plain(ours_old[k].get("parentRef")) == new_keys[k]["parentRef"]
        for k in new_keys
    )
    if unchanged:
        return None
    return {"parents": others + ours_new}
