"""Gateway API matches → Lattice `RuleMatch` (`{"httpMatch": {...}}`), one per match.

Lattice ANDs the conditions of one match and allows one match per rule; the Gateway API ORs the
entries of `matches`, so each entry becomes its own Lattice rule (the caller expands them).

What Lattice can express, and what we refuse (rejecting only the affected rule):
* path: Exact and PathPrefix, case-sensitive (as the Gateway API requires); RegularExpression is
  refused. Values must fit Lattice's pattern `/[a-zA-Z0-9@:%_+.~#?&/=-]*` and 200 characters.
  Note: Lattice's prefix is a string prefix, the Gateway API's is path-segment-wise, so
  `/foo` also matches `/foobar` on Lattice (documented limitation, no way around it).
* method: any one method.
* headers: Exact only, at most 5; names are case-insensitive (the first of duplicates wins, per
  spec), values case-sensitive.
* queryParams: refused (Lattice has no query matching).
* gRPC: Exact service/method only: service+method → exact `/svc/method`; service only → prefix
  `/svc/`; method without service cannot be expressed (it would need a wildcard) and is refused.
  gRPC is always POST.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from translate.errors import RuleRejected
from translate.frozen import FrozenDict
from translate.status.conditions import R_UNSUPPORTED_VALUE

MAX_HEADERS = 5
PATH_RE = re.compile(r"^/[a-zA-Z0-9@:%_+.~#?&/=-]*$")
MAX_PATH = 200
MAX_HEADER_NAME = 100
MAX_HEADER_VALUE = 200

# Sort key for Gateway API precedence (smaller sorts first = matched first):
# (0 exact / 1 prefix, -path length, 0 with method / 1 without, -header count)
Precedence = tuple[int, int, int, int]


def _fd(**kw: Any) -> FrozenDict:
    # Build frozen dicts directly (sorted keys, as freeze() would) instead of freezing afterwards.
    return FrozenDict(sorted(kw.items())) if len(kw) > 1 else FrozenDict(kw)


def _path_match(kind: str, value: str) -> FrozenDict:
    if len(value) > MAX_PATH or not PATH_RE.match(value):
        raise RuleRejected(
            R_UNSUPPORTED_VALUE,
            f"path {value!r} is not a valid Lattice path (pattern /[a-zA-Z0-9@:%_+.~#?&/=-]*, max {MAX_PATH})",
        )
    return FrozenDict((("caseSensitive", True), ("match", FrozenDict(((kind, value),)))))


def _headers(headers: Any, key_parts: list[str] | None = None) -> list[FrozenDict]:
    """Lattice header matches; appends each one's `match_key` parts to `key_parts` when given."""
    if not headers:
        return []
    out: list[FrozenDict] = []
    seen: set[str] = set()
    for h in headers:
        htype = h.get("type") or "Exact"
        name = str(h.get("name") or "")
        value = str(h.get("value") or "")
        if htype != "Exact":
            raise RuleRejected(R_UNSUPPORTED_VALUE, f"header match type {htype} is not supported by Lattice (only Exact)")
        if name.lower() in seen:  # Gateway API: the first entry with a given name wins
            continue
        seen.add(name.lower())
        if not name or len(name) > MAX_HEADER_NAME or not value or len(value) > MAX_HEADER_VALUE:
            raise RuleRejected(R_UNSUPPORTED_VALUE, f"header match {name!r} exceeds Lattice limits")
        out.append(FrozenDict((("caseSensitive", True), ("match", FrozenDict((("exact", value),))), ("name", name))))
        if key_parts is not None:
            key_parts += (name, "exact", value, "1")
    if len(out) > MAX_HEADERS:
        raise RuleRejected(
            R_UNSUPPORTED_VALUE, f"{len(out)} header matches; Lattice allows at most {MAX_HEADERS} per rule"
        )
    return out


def http_match(m: Mapping[str, Any] | None) -> tuple[FrozenDict, Precedence]:
    """One HTTPRouteMatch → (Lattice RuleMatch, precedence key). Raises RuleRejected."""
    lm, prec, _ = http_match_keyed(m)
    return lm, prec


def http_match_keyed(m: Mapping[str, Any] | None) -> tuple[FrozenDict, Precedence, str]:
    """`http_match(m)` plus `match_key()` of the result, built from the same values.

    Hot path (once per match of every route): frozen dicts are built with keys already in sorted
    order (headerMatches < method < pathMatch) instead of via freeze(), and the key is assembled
    here rather than by reading the frozen match back.
    """
    m = m or {}
    if m.get("queryParams"):
        raise RuleRejected(R_UNSUPPORTED_VALUE, "queryParams matches are not supported by Lattice")
    path = m.get("path") or {}
    ptype = path.get("type") or "PathPrefix"
    pvalue = path.get("value")
    if pvalue is None:
        pvalue = "/"
    if ptype == "Exact":
        pm = _path_match("exact", pvalue)
    elif ptype == "PathPrefix":
        pm = _path_match("prefix", pvalue)
    else:
        raise RuleRejected(R_UNSUPPORTED_VALUE, f"path match type {ptype} is not supported by Lattice")
    items: list[tuple[str, Any]] = []
    method = m.get("method")
    # match_key(): method, path type, path value, case flag, then each header's four parts
    key_parts = [str(method) if method else "", "exact" if ptype == "Exact" else "prefix", pvalue, "1"]
    raw_headers = m.get("headers")
    headers = _headers(raw_headers, key_parts) if raw_headers else ()
    if headers:
        items.append(("headerMatches", tuple(headers)))
    if method:
        items.append(("method", str(method)))
    items.append(("pathMatch", pm))
    prec = (0 if ptype == "Exact" else 1, -len(pvalue), 0 if method else 1, -len(headers))
    return FrozenDict(((("httpMatch", FrozenDict(items)),))), prec, "\x1f".join(key_parts)


def grpc_match(m: Mapping[str, Any] | None) -> tuple[FrozenDict, Precedence]:
    """One GRPCRouteMatch → (Lattice RuleMatch, precedence key). Raises RuleRejected."""
    m = m or {}
    method = m.get("method") or {}
    mtype = method.get("type") or "Exact"
    if mtype != "Exact":
        raise RuleRejected(R_UNSUPPORTED_VALUE, f"gRPC method match type {mtype} is not supported by Lattice")
    svc, meth = method.get("service"), method.get("method")
    if svc and meth:
        ptype, value = "exact", f"/{svc}/{meth}"
    elif svc:
        ptype, value = "prefix", f"/{svc}/"
    elif meth:
        raise RuleRejected(
            R_UNSUPPORTED_VALUE, f"gRPC method {meth!r} without a service cannot be expressed in Lattice"
        )
    else:
        ptype, value = "prefix", "/"
    hm: dict[str, Any] = {"method": "POST", "pathMatch": _path_match(ptype, value)}
    headers = _headers(m.get("headers"))
    if headers:
        hm["headerMatches"] = tuple(headers)
    prec = (0 if ptype == "exact" else 1, -len(value), 0, -len(headers))
    return _fd(httpMatch=_fd(**hm)), prec


def match_key(match: FrozenDict) -> str:
    """Canonical text of a match: equal matches have equal keys (used for de-duplication and names).

    Built from the fields rather than by serialising the FrozenDict (3x faster than orjson on a dict
    subclass). Separators are control characters, which Lattice paths, methods and headers exclude.
    Rule names hash this text, so changing it renames rules: don't.
    """
    hm = match["httpMatch"]
    pm = hm["pathMatch"]
    (ptype, pvalue), = pm["match"].items()
    parts = [hm.get("method", ""), ptype, pvalue, "1" if pm.get("caseSensitive") else "0"]
    for h in hm.get("headerMatches", ()):
        (htype, hvalue), = h["match"].items()
        parts += [h["name"], htype, hvalue, "1" if h.get("caseSensitive") else "0"]
    return "\x1f".join(parts)
