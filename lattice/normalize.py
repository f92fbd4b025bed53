"""Canonical forms of Lattice shapes, so a desired value and what Lattice echoes compare equal.

Lattice fills defaults (`caseSensitive`, a lone forward target's weight, health-check fields) and
answers with IDs where we hold names; these helpers put both sides in one form before `plan()`
compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from translate.frozen import freeze, thaw


def match(m: Mapping[str, Any] | None) -> Any:
    if not m:
        return None
    d = thaw(m)
    hm = d.get("httpMatch")
    if isinstance(hm, dict):
        pm = hm.get("pathMatch")
        if isinstance(pm, dict):
            pm.setdefault("caseSensitive", True)
        for h in hm.get("headerMatches") or ():
            h.setdefault("caseSensitive", False)
        if "headerMatches" in hm and not hm["headerMatches"]:
            del hm["headerMatches"]
    return freeze(d)


def action(a: Mapping[str, Any] | None, tg_name: Callable[[str], str] | None = None) -> Any:
    """`tg_name` maps a targetGroupIdentifier (id or ARN) to the name the desired model uses."""
    if not a:
        return None
    d = thaw(a)
    fwd = d.get("forward")
    if isinstance(fwd, dict):
        tgs = fwd.get("targetGroups") or []
        for t in tgs:
            ident = t.get("targetGroupIdentifier", "")
            if tg_name is not None:
                t["targetGroupIdentifier"] = tg_name(ident)
            if t.get("weight") is None:
                t["weight"] = 100 if len(tgs) == 1 else 1
        fwd["targetGroups"] = sorted(tgs, key=lambda t: (str(t["targetGroupIdentifier"]), t["weight"]))
    return freeze(d)


HEALTH_DEFAULTS = {
    "enabled": True, "path": "/", "healthCheckIntervalSeconds": 30, "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5, "unhealthyThresholdCount": 2, "matcher": {"httpCode": "200"},
    "protocol": "HTTP", "protocolVersion": "HTTP1",
}


def health_check_differs(desired: Mapping[str, Any] | None, observed: Mapping[str, Any] | None) -> bool:
    """True when a field the desired health check sets has another value in Lattice."""
    if not desired:
        return False
    observed = observed or {}
    for key, want in desired.items():
        have = observed.get(key, HEALTH_DEFAULTS.get(key))
        if thaw(want) != thaw(have):
            return True
    return False
