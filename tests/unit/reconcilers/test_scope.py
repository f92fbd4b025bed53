"""A scoped snapshot translates each object exactly as the whole cluster does.

This is the property that lets a reconcile translate only its object's closure:
for every object of the seed examples (and a few variations), the part of the
translation that belongs to it is identical whether we translate everything or
only what `scope` gathers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.kube.cache import Cache
from controller.cli.manifests import load
from controller.reconcilers import scope
from controller.kube.snapshot import CLUSTER_SCOPED, SnapshotView
from translate import Snapshot, Source, TranslateConfig, translate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CONFIG = TranslateConfig(cluster_name="test", vpc_id="vpc-0123456789abcdef0", account_id="111122223333")


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
