"""A scoped snapshot translates each object exactly as the whole cluster does.

This is the property that lets a reconcile translate only its object's closure:
for every object of the seed examples (and a few variations), the part of the
translation that belongs to it is identical whether we translate everything or
only what `scope` gathers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli.manifests import load
from controller.kube.cache import Cache
from controller.kube.snapshot import CLUSTER_SCOPED, SnapshotView
from controller.reconcilers import scope
from translate import Snapshot, Source, TranslateConfig, translate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CONFIG = TranslateConfig(cluster_name="test", vpc_id="vpc-0123456789abcdef0", account_id="111122223333",
                         region="us-west-2")


def view_of(objects) -> SnapshotView:
    cache = Cache()
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        if obj["kind"] not in CLUSTER_SCOPED:
            meta.setdefault("namespace", "default")
        cache.store(obj["kind"], obj["kind"] not in CLUSTER_SCOPED)
        cache.upsert(obj["kind"], obj)
    return SnapshotView(cache)


def objects(example: str):
    return load([str(EXAMPLES / example)])


@pytest.mark.parametrize("example", ["my-hotel", "checkout-ab"])
def test_route_scope_translates_like_the_whole_cluster(example):
    objs = objects(example)
    view = view_of(objs)
    whole = translate(Snapshot.of(view.objects()), CONFIG)
    routes = [o for o in view.objects() if o["kind"] in ("HTTPRoute", "GRPCRoute", "TLSRoute")]
    assert routes
    for route in routes:
        src = Source(route["kind"], route["metadata"]["namespace"], route["metadata"]["name"])
        part = translate(Snapshot.of(scope.route_scope(view, route)), CONFIG)
        assert part.services_of(src) == whole.services_of(src)
        assert part.target_groups_of(src) == whole.target_groups_of(src)
        assert part.outcome(*src.key.split("/")) == whole.outcome(*src.key.split("/"))


@pytest.mark.parametrize("example", ["my-hotel", "checkout-ab"])
def test_gateway_and_policy_scopes_translate_like_the_whole_cluster(example):
    view = view_of(objects(example))
    whole = translate(Snapshot.of(view.objects()), CONFIG)
    checked = 0
    for obj in view.objects():
        kind, meta = obj["kind"], obj["metadata"]
        if kind == "Gateway":
            part = translate(Snapshot.of(scope.gateway_scope(view, obj)), CONFIG)
            sns = [sn for sn in whole.service_networks if Source("Gateway", meta["namespace"], meta["name"]) in sn.sources]
            assert [sn for sn in part.service_networks if sn.name in {s.name for s in sns}] == sns
        elif kind.endswith("Policy"):
            part = translate(Snapshot.of(scope.policy_scope(view, obj)), CONFIG)
        else:
            continue
        ns = "" if kind in CLUSTER_SCOPED else meta["namespace"]
        assert part.outcome(kind, ns, meta["name"]) == whole.outcome(kind, ns, meta["name"])
        checked += 1
    assert checked >= 1


def test_scope_leaves_out_unrelated_objects():
    objs = objects("my-hotel") + objects("checkout-ab")
    view = view_of(objs)
    route = view.get("HTTPRoute", "default", "rates") or next(
        o for o in view.objects() if o["kind"] == "HTTPRoute"
    )
    names = {(o["kind"], o["metadata"].get("name")) for o in scope.route_scope(view, route)}
    assert ("HTTPRoute", "checkoutroute") not in names


def _tls_variation():
    """my-hotel with an HTTPS listener whose certificate Secret lives in another namespace (granted),
    a second Gateway naming a missing Secret, and an unrelated TLS Secret."""
    from tests.tlsmaterial import tls_secret

    objs = objects("my-hotel")
    gw = next(o for o in objs if o["kind"] == "Gateway")
    gw["spec"]["listeners"].append({"name": "https", "protocol": "HTTPS", "port": 443, "tls": {
        "mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "hotel-tls", "namespace": "certs"}]}})
    for o in objs:
        if o["kind"] == "HTTPRoute":
            o["spec"]["hostnames"] = [f"{o['metadata']['name']}.example.com"]
            for ref in o["spec"]["parentRefs"]:
                ref.pop("sectionName", None)
    grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
             "metadata": {"name": "certs", "namespace": "certs"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                "namespace": gw["metadata"].get("namespace", "default")}],
                      "to": [{"group": "", "kind": "Secret"}]}}
    return objs + [tls_secret("hotel-tls", "certs", domains=("*.example.com",)), grant,
                   tls_secret("unrelated", "default", domains=("x.example.org",))]


def test_scopes_carry_listener_certificates_and_their_grants():
    view = view_of(_tls_variation())
    whole = translate(Snapshot.of(view.objects()), CONFIG)
    gw = next(o for o in view.objects() if o["kind"] == "Gateway")
    meta = gw["metadata"]
    part = translate(Snapshot.of(scope.gateway_scope(view, gw)), CONFIG)
    assert part.outcome("Gateway", meta["namespace"], meta["name"]) == whole.outcome("Gateway", meta["namespace"], meta["name"])
    certified = 0
    for route in [o for o in view.objects() if o["kind"] == "HTTPRoute"]:
        src = Source("HTTPRoute", route["metadata"]["namespace"], route["metadata"]["name"])
        gathered = scope.route_scope(view, route)
        assert ("Secret", "unrelated") not in {(o["kind"], o["metadata"]["name"]) for o in gathered}
        part = translate(Snapshot.of(gathered), CONFIG)
        assert part.services_of(src) == whole.services_of(src)
        for svc in part.services_of(src):
            certified += svc.certificate is not None and svc.certificate.source.key == "Secret/certs/hotel-tls"
    assert certified >= 1


# --------------------------------------------------------------------------- contested hostnames
GW = "gateway.networking.k8s.io"


def _gw(name: str, hostname: str | None) -> dict:
    lst = {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    if hostname:
        lst["hostname"] = hostname
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": "infra", "generation": 1},
            "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [lst]}}


def _route(name: str, ns: str, gw: str, created: str, hostnames: list[str] | None) -> dict:
    spec: dict = {"parentRefs": [{"name": gw, "namespace": "infra"}],
                  "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "spec": spec,
            "metadata": {"name": name, "namespace": ns, "generation": 1, "creationTimestamp": created}}


def contested() -> list[dict]:
    """Routes on two Gateways contending for shop.example.com, explicitly or through a listener
    hostname (gw-b's), plus bystanders; each pair is in a different namespace."""
    objs: list[dict] = [
        {"apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice", "generation": 1},
         "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"}},
        _gw("gw-a", None), _gw("gw-b", "shop.example.com"), _gw("gw-c", "shop.example.com"),
        _route("explicit-new", "team1", "gw-a", "2026-01-03T00:00:00Z", ["shop.example.com"]),
        _route("inherits-old", "team2", "gw-b", "2026-01-01T00:00:00Z", None),
        _route("wildcard-mid", "team3", "gw-c", "2026-01-02T00:00:00Z", ["*.example.com"]),
        _route("other", "team4", "gw-a", "2026-01-01T00:00:00Z", ["other.example.com"]),
    ]
    for ns in ("team1", "team2", "team3", "team4"):
        objs += [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": ns},
                  "spec": {"ports": [{"name": "http", "port": 80}]}}]
    return objs


def test_routes_contending_for_a_hostname_see_each_other_in_their_scopes():
    view = view_of(contested())
    whole = translate(Snapshot.of(view.objects()), CONFIG)
    holders = [s.source.name for s in whole.services if s.custom_domain_name == "shop.example.com"]
    assert holders == ["explicit-new"]  # an explicit claim beats older inherited ones (claims.py)
    for inherited in ("inherits-old", "wildcard-mid"):  # accepted, served without the custom domain
        c = {c.type: c for c in whole.outcome("HTTPRoute", "team2" if inherited == "inherits-old" else "team3",
                                              inherited).parents[0].conditions}
        assert c["Accepted"].status == "True" and "HTTPRoute/team1/explicit-new" in c["Accepted"].message
    for route in view.routes():
        src = Source("HTTPRoute", route["metadata"]["namespace"], route["metadata"]["name"])
        part = translate(Snapshot.of(scope.route_scope(view, route)), CONFIG)
        assert part.outcome(*src.key.split("/")) == whole.outcome(*src.key.split("/")), src.key
        assert part.services_of(src) == whole.services_of(src), src.key
    for gw in view.list("Gateway"):
        part = translate(Snapshot.of(scope.gateway_scope(view, gw)), CONFIG)
        assert part.outcome("Gateway", "infra", gw["metadata"]["name"]) == whole.outcome("Gateway", "infra", gw["metadata"]["name"])


def test_a_route_change_wakes_the_routes_contending_for_its_hostname():
    from controller.handlers import affected_keys

    view = view_of(contested())
    old = view.get("HTTPRoute", "team2", "inherits-old")
    assert {"HTTPRoute/team1/explicit-new", "HTTPRoute/team3/wildcard-mid"} <= affected_keys("HTTPRoute", old, None, view)
    assert "HTTPRoute/team4/other" not in affected_keys("HTTPRoute", old, None, view)
    gw_b = view.get("Gateway", "infra", "gw-b")
    assert "HTTPRoute/team1/explicit-new" in affected_keys("Gateway", gw_b, gw_b, view)
