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
    return _SEP.join([f"{k}={v}" for k, v in tags.items()])  # FrozenDict keys are already sorted


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
    tag_cache: dict[int, str] = {}

    def tt(tags: Mapping[str, str]) -> str:
        key = id(tags)
        text = tag_cache.get(key)
        if text is None:
            text = tag_cache[key] = tags_text(tags)
        return text

    action_cache: dict[int, str] = {}

    def at(action: Mapping[str, Any]) -> str:
        key = id(action)  # rules expanded from one Gateway API rule share their action object
        text = action_cache.get(key)
        if text is None:
            text = action_cache[key] = action_text(action)
        return text

    auth = f["auth_policy"]
    parts = [
        f["name"], f["source"].key, f["custom_domain_name"] or "", f["certificate_arn"] or "", f["auth_type"],
        (auth.source.key + _SEP + auth.policy) if auth else "", f["allow_takeover_from"] or "",
        f.get("replacement_name") or "", tt(f["tags"]), _END,
    ]
    for a in f["associations"]:
        parts += [a.service_network, tt(a.tags), _END]
    for lst in f["listeners"]:
        parts += [lst.name, str(lst.port), lst.protocol, at(lst.default_action), tt(lst.tags), _END]
        for r in lst.rules:
            parts += [r.name, str(r.priority), at(r.action), tt(r.tags), _END]
    for als in f["access_log_subscriptions"]:
        parts += [als.source.key, als.destination_arn, als.destination_type, tt(als.tags), _END]
    return _digest(_SEP.join(parts))
