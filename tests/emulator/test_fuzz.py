"""Hypothesis fuzzing over HTTP: malformed JSON, wrong types, huge strings and unknown fields
against every implemented operation. No answer may be a 5xx, every answer must be well-formed
JSON with an error type botocore understands, and the seeded state must come out unchanged.

The emulator runs on its own event loop in a thread (threaded.py) so hypothesis can drive it
with plain synchronous HTTP (hypothesis does not run inside pytest-asyncio's loop).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lattice.emulator.model import body_members, operation, routes
from lattice.emulator.ops import HANDLERS

from .threaded import Server

ROUTES = [r for r in routes() if r.operation in HANDLERS]
BODY_ROUTES = [r for r in ROUTES if body_members(r.operation)]
# EMULATOR_FUZZ_EXAMPLES=2000 for a deeper local run; the default keeps the suite fast.
FUZZ = settings(max_examples=int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "120")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ERROR_TYPES = {"ValidationException", "ResourceNotFoundException", "ConflictException", "AccessDeniedException",
               "ServiceQuotaExceededException", "ThrottlingException"}


@pytest.fixture(scope="module")
def server():
    srv = seeded_server()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def valid_server():
    """A second emulator for valid inputs, which may legitimately change the seeded resources."""
    srv = seeded_server()
    yield srv
    srv.close()


def seeded_server() -> Server:
    srv = Server()
    # Seed one of everything so fuzzed requests can also aim at real identifiers.
    sn = srv.api("POST", "/servicenetworks", {"name": "seed-net"})
    svc = srv.api("POST", "/services", {"name": "seed-svc"})
    tg = srv.api("POST", "/targetgroups", {"name": "seed-tg", "type": "IP",
                                           "config": {"protocol": "HTTP", "vpcIdentifier": "vpc-12345678"}})
    srv.api("GET", "/services/" + svc["id"])  # settle to ACTIVE
    lst = srv.api("POST", f"/services/{svc['id']}/listeners", {
        "name": "seed-listener", "protocol": "HTTP",
        "defaultAction": {"forward": {"targetGroups": [{"targetGroupIdentifier": tg["id"]}]}}})
    rule = srv.api("POST", f"/services/{svc['id']}/listeners/{lst['id']}/rules", {
        "name": "seed-rule", "priority": 1, "match": {"httpMatch": {"method": "GET"}},
        "action": {"fixedResponse": {"statusCode": 404}}})
    srv.api("POST", "/servicenetworkserviceassociations",
            {"serviceIdentifier": svc["id"], "serviceNetworkIdentifier": sn["id"]})
    srv.api("POST", f"/targetgroups/{tg['id']}/registertargets", {"targets": [{"id": "10.0.0.1"}]})
    srv.ids = {  # type: ignore[attr-defined]
        "serviceNetworkIdentifier": sn["id"], "serviceIdentifier": svc["id"], "targetGroupIdentifier": tg["id"],
        "listenerIdentifier": lst["id"], "ruleIdentifier": rule["id"], "resourceArn": svc["arn"],
        "resourceIdentifier": svc["id"],
    }
    srv.seed_state = srv.api("GET", "/_emulator/state")  # type: ignore[attr-defined]
    return srv


def build_path(route, labels: dict[str, str]) -> str:
    parts = []
    for seg in route.segments:
        parts.append(seg if isinstance(seg, str) else quote(labels[seg[1]], safe=""))
    return "/" + "/".join(parts)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
huge = st.integers(1_000, 100_000).map(lambda n: "x" * n)
labels_any = st.one_of(st.text(min_size=1, max_size=40), huge.map(lambda s: s[:2000]),
                       st.from_regex(r"(svc|sn|tg|listener|rule|snsa|snva|als)-0[0-9a-f]{16}", fullmatch=True))


def wrong_type(shape) -> st.SearchStrategy[Any]:
    """A JSON value that can never satisfy `shape`."""
    kind = shape.type_name
    if kind == "string":
        return st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    if kind in ("integer", "long"):
        return st.one_of(st.text(max_size=5), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                         st.lists(st.integers(), max_size=2))
    if kind == "boolean":
        return st.one_of(st.text(max_size=5), st.integers(), st.lists(st.booleans(), max_size=2))
    if kind == "list":
        return st.one_of(st.text(max_size=5), st.integers(), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                             max_size=2))
    return st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), max_size=2))


def check_answer(status: int, headers: dict[str, str], raw: bytes) -> None:
    assert status < 500, (status, raw[:300])
    assert headers.get("x-amzn-requestid")
    if status >= 300:
        assert headers.get("x-amzn-errortype") in ERROR_TYPES, (status, headers)
        body = json.loads(raw)
        assert isinstance(body.get("message"), str)
        assert len(raw) < 20_000  # huge inputs are never echoed back in full
    elif raw:
        json.loads(raw)


@FUZZ
@given(data=st.data())
def test_fuzz_malformed_bodies_and_labels(server, data):
    route = data.draw(st.sampled_from(ROUTES))
    labels = {m: data.draw(labels_any) for m in route.members_by_label.values()}
    body = data.draw(st.one_of(st.binary(max_size=300), st.just(b"[]"), st.just(b'"s"'), st.just(b"{")))
    status, headers, raw = server.request(route.method, build_path(route, labels), body)
    check_answer(status, headers, raw)


@FUZZ
@given(data=st.data())
def test_fuzz_wrong_types_on_real_resources(server, data):
    route = data.draw(st.sampled_from(BODY_ROUTES))
    labels = {m: server.ids.get(m, "svc-0aaaaaaaaaaaaaaaa") for m in route.members_by_label.values()}
    members = operation(route.operation).input_shape.members
    names = sorted(body_members(route.operation))
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    body = {name: data.draw(wrong_type(members[name])) for name in chosen}
    status, headers, raw = server.request(route.method, build_path(route, labels), json.dumps(body).encode())
    check_answer(status, headers, raw)
    assert status == 400, (route.operation, body, raw[:300])


@FUZZ
@given(data=st.data())
def test_fuzz_huge_strings_unknown_fields_and_queries(server, data):
    route = data.draw(st.sampled_from(ROUTES))
    labels = {m: data.draw(labels_any) for m in route.members_by_label.values()}
    names = sorted(body_members(route.operation))
    body: dict[str, Any] = {}
    if names:
        body = data.draw(st.dictionaries(st.sampled_from(names), st.one_of(huge, json_values), max_size=3))
    body.update(data.draw(st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in names),
                                          json_values, max_size=3)))
    query = data.draw(st.dictionaries(st.sampled_from(["maxResults", "nextToken", "tagKeys", "vpcIdentifier", "x"]),
                                      st.text(max_size=30), max_size=3))
    path = build_path(route, labels) + ("?" + urlencode(query) if query else "")
    status, headers, raw = server.request(route.method, path, json.dumps(body).encode())
    check_answer(status, headers, raw)


def valid_value(shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value satisfying `shape`'s model constraints (the emulator's semantics may still refuse it)."""
    meta, kind = shape.metadata, shape.type_name
    if kind == "string":
        if "enum" in meta:
            return st.sampled_from(meta["enum"])
        lo, hi = meta.get("min", 0), min(meta.get("max", 40), 60)
        if "pattern" in meta:
            return st.from_regex(meta["pattern"], fullmatch=True).filter(lambda s: lo <= len(s) <= meta.get("max", 10**9))
        return st.text(min_size=lo, max_size=max(lo, hi))
    if kind in ("integer", "long"):
        return st.integers(meta.get("min", -(2**31)), meta.get("max", 2**31 - 1))
    if kind == "boolean":
        return st.booleans()
    if kind == "list":
        lo = meta.get("min", 0)
        return st.lists(valid_value(shape.member, depth + 1), min_size=lo, max_size=max(lo, min(meta.get("max", 3), 3)))
    if kind == "map":
        lo = meta.get("min", 0)
        return st.dictionaries(valid_value(shape.key, depth + 1), valid_value(shape.value, depth + 1),
                               min_size=lo, max_size=max(lo, min(meta.get("max", 3), 3)))
    if kind == "structure":
        members = {k: s for k, s in shape.members.items() if "location" not in s.serialization or depth == 0}
        if meta.get("union"):
            return st.sampled_from(sorted(members)).flatmap(
                lambda k: valid_value(members[k], depth + 1).map(lambda v, k=k: {k: v}))
        required = set(meta.get("required", ()))
        optional = sorted(set(members) - required)
        return st.tuples(
            st.fixed_dictionaries({k: valid_value(members[k], depth + 1) for k in sorted(required)}),
            st.lists(st.sampled_from(optional), unique=True).flatmap(
                lambda keys: st.fixed_dictionaries({k: valid_value(members[k], depth + 1) for k in keys}))
            if optional else st.just({}),
        ).map(lambda parts: {**parts[0], **parts[1]})
    return st.none()


def to_request(route, params: dict[str, Any]) -> tuple[str, bytes | None]:
    """Serialize model-shaped params the way botocore would: labels, query string, JSON body."""
    op = operation(route.operation)
    labels, query, body = {}, [], {}
    for name, value in params.items():
        ser = op.input_shape.members[name].serialization
        where = ser.get("location")
        if where == "uri":
            labels[name] = value
        elif where == "querystring":
            for v in value if isinstance(value, list) else [value]:
                query.append((ser.get("name", name), str(v).lower() if isinstance(v, bool) else str(v)))
        else:
            body[name] = value
    path = build_path(route, labels) + ("?" + urlencode(query) if query else "")
    return path, json.dumps(body).encode() if body_members(route.operation) else None


@settings(FUZZ, max_examples=max(1, FUZZ.max_examples * 2 // 3))  # generating from patterns is slow
@given(data=st.data())
def test_fuzz_model_valid_inputs(valid_server, data):
    server = valid_server
    route = data.draw(st.sampled_from(ROUTES))
    params = data.draw(valid_value(operation(route.operation).input_shape))
    # Aim identifiers at the seeded resources most of the time, so handlers get past their lookups.
    for name in list(params):
        if name in server.ids and data.draw(st.integers(0, 3)) > 0:
            params[name] = server.ids[name]
    path, body = to_request(route, params)
    status, headers, raw = server.request(route.method, path, body)
    check_answer(status, headers, raw)


def test_zz_state_and_later_calls_unaffected(server):
    # Runs after the fuzzers in this module (pytest keeps file order).
    now = server.api("GET", "/_emulator/state")
    before = {r["id"]: r for p in server.seed_state["partitions"] for section in p.values()
              if isinstance(section, list) for r in section}
    after = {r["id"]: r for p in now["partitions"] for section in p.values()
             if isinstance(section, list) for r in section}
    for rid, rec in before.items():
        assert after.get(rid) == rec, rid
    outcomes = server.api("GET", "/_emulator/calls")["outcomes"]
    assert not any("InternalServerException" in o for o in outcomes.values()), outcomes
    assert sum(n for o in outcomes.values() for n in o.values()) > 250
    svc = server.api("POST", "/services", {"name": "after-fuzz"})
    assert server.api("GET", "/services/" + svc["id"])["status"] == "ACTIVE"
    assert server.api("GET", f"/services/{server.ids['serviceIdentifier']}")["name"] == "seed-svc"
