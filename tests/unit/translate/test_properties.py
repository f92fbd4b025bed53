"""Property tests over generated worlds of Gateways, routes, Services and policies."""

from __future__ import annotations

import random

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.translate.builders import CONFIG, endpoints, gateway, gatewayclass, namespace, service
from translate import Snapshot, naming, translate
from translate.frozen import canonical_json

NAMES = st.from_regex(r"[a-z]([a-z0-9.-]{0,30}[a-z0-9])?", fullmatch=True).filter(lambda s: ".." not in s)
NSS = st.sampled_from(["default", "team-a", "a-very-long-namespace-name-for-truncation"])
SVCS = st.sampled_from(["svc-a", "svc-b", "missing", "api.v1"])
PATH_CHARS = st.text(alphabet="abcXYZ019-_/.~ %?", max_size=30)
A = "application-networking.k8s.aws/"


@st.composite
def matches(draw):
    m: dict = {}
    if draw(st.booleans()):
        m["path"] = {"type": draw(st.sampled_from(["Exact", "PathPrefix", "PathPrefix", "RegularExpression"])),
                     "value": "/" + draw(PATH_CHARS)}
    if draw(st.integers(0, 4)) == 0:
        m["method"] = draw(st.sampled_from(["GET", "POST", "DELETE"]))
    n = draw(st.integers(0, 7))
    if n:
        m["headers"] = [{"name": f"h{draw(st.integers(0, 8))}", "value": draw(st.text("abc", min_size=1, max_size=5)),
                         "type": draw(st.sampled_from(["Exact", "Exact", "RegularExpression"]))} for _ in range(n)]
    if draw(st.integers(0, 9)) == 0:
        m["queryParams"] = [{"name": "q", "value": "1"}]
    return m


@st.composite
def backend_refs(draw):
    out = []
    for _ in range(draw(st.integers(0, 4))):
        b = {"name": draw(SVCS), "port": draw(st.sampled_from([80, 80, 81, None]))}
        if b["port"] is None:
            del b["port"]
        if draw(st.integers(0, 5)) == 0:
            b["namespace"] = draw(NSS)
        if draw(st.integers(0, 3)) == 0:
            b["weight"] = draw(st.integers(0, 1_000_000))
        if draw(st.integers(0, 12)) == 0:
            b["kind"] = "ConfigMap"
        out.append(b)
    return out


@st.composite
def http_route(draw, i):
    kind = draw(st.sampled_from(["HTTPRoute", "HTTPRoute", "GRPCRoute"]))
    rules = []
    for _ in range(draw(st.integers(0, 6))):
        r: dict = {"backendRefs": draw(backend_refs())}
        if kind == "HTTPRoute":
            r["matches"] = draw(st.lists(matches(), max_size=3))
        else:
            r["matches"] = [{"method": {"service": draw(st.sampled_from(["pkg.S", None])), "method": draw(st.sampled_from(["M", None]))}}]
        if draw(st.integers(0, 8)) == 0:
            r["filters"] = [{"type": "RequestHeaderModifier"}]
        rules.append(r)
    ann = {}
    for _ in range(draw(st.integers(0, 2))):
        ann[f"{A}rule-{draw(st.integers(0, 6))}-priority"] = str(draw(st.integers(-1, 102)))
    if draw(st.booleans()):
        ann[A + "tags"] = ",".join(f"{draw(st.text('abk:/=', min_size=0, max_size=6))}={draw(st.text('xyz', max_size=300))}"
                                   for _ in range(draw(st.integers(0, 60))))
    if draw(st.integers(0, 4)) == 0:
        ann[A + "standalone"] = draw(st.sampled_from(["true", "false", "maybe"]))
    parents = [{"name": draw(st.sampled_from(["gw-one", "gw-two", "nope", "g.w"])), "namespace": "default"}]
    if draw(st.booleans()):
        parents[0]["sectionName"] = draw(st.sampled_from(["http", "https", "x"]))
    spec = {"parentRefs": parents, "rules": rules}
    if draw(st.booleans()):
        spec["hostnames"] = draw(st.lists(st.sampled_from(["a.example.com", "*.example.com", "b.test"]), max_size=3))
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
            "metadata": {"name": draw(NAMES) + f"-{i}", "namespace": draw(NSS), "generation": 1, "annotations": ann,
                         "creationTimestamp": f"2026-01-0{draw(st.integers(1, 9))}T00:00:00Z"},
            "spec": spec}


@st.composite
def worlds(draw):
    objs = [gatewayclass()]
    for ns in ["default", "team-a", "a-very-long-namespace-name-for-truncation"]:
        objs.append(namespace(ns, {"team": ns}))
        for s in ["svc-a", "svc-b", "api.v1"]:
            objs.append(service(s, ns=ns))
            objs.append(endpoints(s, ns=ns, ips=tuple(f"10.{len(ns)}.{len(s)}.{k}" for k in range(draw(st.integers(0, 3))))))
    lst_all = {"namespaces": {"from": draw(st.sampled_from(["All", "Same", "Selector"])), "selector": {"matchLabels": {"team": "team-a"}}}}
    objs.append(gateway("gw-one", listeners=[{"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": lst_all},
                                             {"name": "https", "protocol": "HTTPS", "port": 443, "allowedRoutes": lst_all}]))
    if draw(st.booleans()):
        objs.append(gateway("g.w", listeners=[{"name": "http", "protocol": "HTTP", "port": 80}]))
    objs.append(gateway("gw-two", listeners=[{"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.example.com",
                                              "allowedRoutes": {"namespaces": {"from": "All"}}}]))
    n = draw(st.integers(1, 6))
    routes = [draw(http_route(i)) for i in range(n)]
    objs.extend(routes)
    objs.extend(draw(extras(routes)))
    return objs


@st.composite
def extras(draw, routes):
    """Policies, grants, exports, imports and a TLS listener with a TLSRoute, sometimes."""
    out = []
    GWG = "gateway.networking.k8s.io"
    AWS = A[:-1]
    pick_route = st.sampled_from(routes)
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["TargetGroupPolicy", "VpcAssociationPolicy", "AccessLogPolicy", "IAMAuthPolicy"]))
        r = draw(pick_route)
        target = {
            "TargetGroupPolicy": {"group": "", "kind": "Service", "name": draw(SVCS)},
            "VpcAssociationPolicy": {"group": GWG, "kind": "Gateway", "name": "gw-one"},
        }.get(kind) or draw(st.sampled_from([{"group": GWG, "kind": "Gateway", "name": "gw-two"},
                                             {"group": GWG, "kind": r["kind"], "name": r["metadata"]["name"]}]))
        spec = {"targetRef": target}
        if kind == "TargetGroupPolicy":
            spec.update(protocol=draw(st.sampled_from(["HTTP", "HTTPS", "TCP"])),
                        healthCheck={"enabled": draw(st.booleans()), "intervalSeconds": draw(st.integers(1, 400)), "path": "/h"})
        elif kind == "VpcAssociationPolicy":
            spec.update(securityGroupIds=["sg-0abc"], associateWithVpc=draw(st.booleans()))
        elif kind == "AccessLogPolicy":
            spec.update(destinationArn=draw(st.sampled_from(["arn:aws:s3:::bucket-x", "arn:aws:logs:us-west-2:111122223333:log-group:g", "nope"])))
        else:
            spec.update(policy=draw(st.sampled_from(['{"Version":"2012-10-17","Statement":[]}', "{bad"])))
        ns = "default" if target["kind"] == "Gateway" else (r["metadata"]["namespace"] if target["kind"] != "Service" else draw(NSS))
        out.append({"apiVersion": f"{AWS}/v1alpha1", "kind": kind,
                    "metadata": {"name": f"p{i}", "namespace": ns, "creationTimestamp": f"2026-01-0{i + 1}T00:00:00Z"}, "spec": spec})
    if draw(st.booleans()):
        out.append({"apiVersion": f"{GWG}/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": draw(NSS)},
                    "spec": {"from": [{"group": GWG, "kind": "HTTPRoute", "namespace": draw(NSS)}], "to": [{"group": "", "kind": "Service"}]}})
    if draw(st.booleans()):
        out.append({"apiVersion": f"{AWS}/v1alpha1", "kind": "ServiceExport",
                    "metadata": {"name": "svc-a", "namespace": "default", "annotations": {A + "federation": "amazon-vpc-lattice"}},
                    "spec": {"exportedPorts": [{"port": 80, "routeType": draw(st.sampled_from(["HTTP", "GRPC", "TLS"]))}]}})
    if draw(st.booleans()):
        out.append(gateway("gw-tls", listeners=[{"name": "tls", "protocol": "TLS", "port": 443, "tls": {"mode": "Passthrough"},
                                                 "allowedRoutes": {"namespaces": {"from": "All"}}}]))
        out.append({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
                    "metadata": {"name": "tls-r", "namespace": draw(NSS)},
                    "spec": {"parentRefs": [{"name": "gw-tls", "namespace": "default"}],
                             "hostnames": draw(st.lists(st.sampled_from(["db.example.com", "*.example.com"]), max_size=2)),
                             "rules": [{"backendRefs": draw(backend_refs())} for _ in range(draw(st.integers(0, 2)))]}})
    return out


def check_invariants(result):
    for sn in result.service_networks:
        assert naming.is_valid("servicenetwork", sn.name) or naming.SN_ID_RE.match(sn.name), sn.name
    tg_names = {t.name for t in result.target_groups} | {lk.name for lk in result.target_group_lookups}
    for svc in result.services:
        assert naming.is_valid("service", svc.name), svc.name
        assert len(svc.tags) <= 200
        for lst in svc.listeners:
            assert naming.is_valid("listener", lst.name), lst.name
            prios = [r.priority for r in lst.rules]
            assert len(prios) == len(set(prios)) and all(1 <= p <= 100 for p in prios)
            assert len({r.name for r in lst.rules}) == len(lst.rules)
            for action in [lst.default_action] + [r.action for r in lst.rules]:
                assert len(action) == 1
                if "forward" in action:
                    entries = action["forward"]["targetGroups"]
                    assert 1 <= len(entries) <= 10
                    for e in entries:
                        assert 0 <= e["weight"] <= 999 and e["targetGroupIdentifier"] in tg_names
                else:
                    assert action["fixedResponse"]["statusCode"] in (404, 500)
            for r in lst.rules:
                assert naming.is_valid("rule", r.name)
                hm = r.match["httpMatch"]
                assert len(hm.get("headerMatches", ())) <= 5
        for tagged in [svc, *svc.listeners, *svc.associations, *(r for lst in svc.listeners for r in lst.rules)]:
            check_tags(tagged.tags)
    for tg in result.target_groups:
        assert naming.is_valid("targetgroup", tg.name), tg.name
        check_tags(tg.tags)
        assert list(tg.targets) == sorted(set(tg.targets))


def check_tags(tags):
    assert len(tags) <= 200
    user = [k for k in tags if not k.startswith(A)]
    assert len(user) <= 50
    for k, v in tags.items():
        assert 1 <= len(k) <= 128 and len(v) <= 256 and not k.startswith("aws:")


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(objs=worlds(), seed=st.integers(0, 2**32 - 1))
def test_deterministic_regardless_of_input_order(objs, seed):
    a = translate(Snapshot.of(objs), CONFIG)
    shuffled = list(objs)
    random.Random(seed).shuffle(shuffled)
    b = translate(Snapshot.of(shuffled), CONFIG)
    ja = orjson.dumps(a.to_dict())
    assert ja == orjson.dumps(b.to_dict())
    assert canonical_json(a.to_dict()) == canonical_json(b.to_dict())
    check_invariants(a)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(objs=worlds())
def test_every_route_gets_status_for_each_of_our_parents(objs):
    result = translate(Snapshot.of(objs), CONFIG)
    for obj in objs:
        if obj["kind"] not in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
            continue
        out = result.outcome(obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])
        present = {o["metadata"]["name"] for o in objs if o["kind"] == "Gateway"}
        ours = [p for p in obj["spec"]["parentRefs"] if p["name"] in present]
        assert (out is not None) == bool(ours)
        if out is not None:
            assert len(out.parents) == len(ours)
            for p in out.parents:
                types = [c.type for c in p.conditions]
                assert types[:2] == ["Accepted", "ResolvedRefs"] and len(types) <= 8
            accepted = any(c.type == "Accepted" and c.status == "True" for p in out.parents for c in p.conditions)
            has_service = any(s.source.name == obj["metadata"]["name"] and s.source.kind == obj["kind"]
                              and s.source.namespace == obj["metadata"]["namespace"] for s in result.services)
            assert accepted == has_service


@settings(max_examples=80, deadline=None)
@given(obj=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(
        ["spec", "rules", "matches", "path", "type", "value", "backendRefs", "name", "port", "weight", "headers",
         "parentRefs", "listeners", "protocol", "hostnames", "filters", "metadata", "namespace"]), children, max_size=4),
    max_leaves=25))
def test_garbage_spec_never_crashes_the_snapshot(obj):
    # Not schema-valid input: the snapshot must at least ignore or hold it without crashing.
    doc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "x", "namespace": "default"}, "spec": obj}
    Snapshot.of([doc])
