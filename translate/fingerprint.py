"""Fingerprints of desired resources, for change detection across reconciles and restarts.

`fingerprint(value)` hashes canonical JSON and suits rare, small values. Services and target groups
are fingerprinted on every translation of every route, and orjson is ~3x slower on our frozen
dataclasses/FrozenDicts than on plain dicts, so those two build a compact canonical text from the
parts instead: fields in a fixed order, separated by control characters that cannot occur in
Kubernetes names, Lattice names, tags or JSON text. Match contents enter through the rule names,
which are hashes of the matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from translate.frozen import canonical_json

_SEP, _END = "\x1f", "\x1e"


def fingerprint(value: Any) -> str:
    """24 hex digits of SHA-256 over the canonical JSON (sorted keys, no whitespace)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()[:24]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def tags_text(tags: Mapping[str, str]) -> str:
    # FrozenDict keys are already sorted. `"=".join` on each (key, value) pair runs in C (a few tags
    # per resource, several resources per route); it needs str values, which tags always have, but
    # fall back to formatting should one ever not be.
    try:
        return _SEP.join(map("=".join, tags.items()))
    except TypeError:
        return _SEP.join([f"{k}={v}" for k, v in tags.items()])


def action_text(action: Mapping[str, Any]) -> str:
    fixed = action.get("fixedResponse")
    if fixed is not None:
        return f"fixed:{fixed['statusCode']}"
    entries = action["forward"]["targetGroups"]
    return "forward:" + ",".join(f"{e['targetGroupIdentifier']}={e['weight']}" for e in entries)


def target_group_fingerprint(name: str, type_: str, config_fingerprint: str, tags: Mapping[str, str]) -> str:
    return _digest(_SEP.join((name, type_, config_fingerprint, tags_text(tags))))


def service_fingerprint(f: Mapping[str, Any]) -> str:
    """Fingerprint of a Service's fields (the keyword arguments it is built from)."""
    # Texts of tags and actions by object id: a route's listeners, rules and associations share one
    # tags object, and rules expanded from one Gateway API rule share their action object. Inline
    # lookups rather than helper closures: this runs once per route on every translation.
    texts: dict[int, str] = {}  # tags
    actions: dict[int, str] = {}
    auth = f["auth_policy"]
    parts = [
        f["name"], f["source"].key, f["custom_domain_name"] or "", f["certificate_arn"] or "", f["auth_type"],
        (auth.source.key + _SEP + auth.policy) if auth else "", f["allow_takeover_from"] or "",
        f.get("replacement_name") or "", tags_text(f["tags"]),
        f["certificate"].fingerprint if f.get("certificate") else "", _END,
    ]
    for a in f["associations"]:
        t = a.tags
        tt = texts.get(id(t))
        if tt is None:
            tt = texts[id(t)] = tags_text(t)
        parts += (a.service_network, tt, _END)
    for lst in f["listeners"]:
        t, act = lst.tags, lst.default_action
        tt = texts.get(id(t))
        if tt is None:
            tt = texts[id(t)] = tags_text(t)
        at = actions.get(id(act))
        if at is None:
            at = actions[id(act)] = action_text(act)
        parts += (lst.name, str(lst.port), lst.protocol, at, tt, _END)
        for r in lst.rules:
            t, act = r.tags, r.action
            tt = texts.get(id(t))
            if tt is None:
                tt = texts[id(t)] = tags_text(t)
            at = actions.get(id(act))
            if at is None:
                at = actions[id(act)] = action_text(act)
            parts += (r.name, str(r.priority), at, tt, _END)
    for als in f["access_log_subscriptions"]:
        parts += (als.source.key, als.destination_arn, als.destination_type, tags_text(als.tags), _END)
    return _digest(_SEP.join(parts))
