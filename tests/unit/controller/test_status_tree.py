"""The status tree (pure) and its two renderings."""

from __future__ import annotations

import html
from pathlib import Path

import orjson

from controller.cli.manifests import load
from controller.observe import status_page, status_tree
from translate import Snapshot, TranslateConfig, translate

MY_HOTEL = Path(__file__).resolve().parents[3] / "examples" / "my-hotel"
CTL = "application-networking.k8s.aws/gateway-api-controller"


def tree_of(objs, **kw):
    translation = translate(Snapshot.of(objs), TranslateConfig(cluster_name="cluster", vpc_id="vpc-00000000000000000",
                                                                  account_id="123456789012", region="us-west-2")).to_dict()
    return status_tree.build(objs, translation, controller_name=CTL, **kw)


def test_routes_hang_under_their_gateway_with_rules_weights_and_targets():
    objs = load([str(MY_HOTEL)])
    health = {("10.0.1.10", 8090): "HEALTHY", ("10.0.1.11", 8090): "UNHEALTHY"}
    tree = tree_of(objs, health=lambda name: health if "parking" in name else None,
                   reconciles={"HTTPRoute/default/rates": {"state": "error", "error": "boom", "at": "t"}})
    (gw,) = tree["gateways"]
    assert (gw["namespace"], gw["name"]) == ("default", "my-hotel")
    routes = {r["name"]: r for r in gw["routes"]}
    assert set(routes) == {"rates", "inventory"}
    rates = routes["rates"]
    assert rates["service"] == "rates-default" and rates["reconcile"]["error"] == "boom"
    (listener,) = rates["listeners"]
    assert [(r["priority"], r["match"]) for r in listener["rules"]] == [
        (1, "prefix /parking"), (2, "prefix /review"), ("default", "default (no rule matched)")]
    parking = listener["rules"][0]["forward"][0]
    assert parking["weight"] == 1
    assert [(t["id"], t["health"]) for t in parking["targets"]] == [("10.0.1.10", "HEALTHY"), ("10.0.1.11", "UNHEALTHY")]
    assert listener["rules"][1]["forward"][0]["targets"][0]["health"] is None  # unknown, not invented
    orjson.dumps(tree)  # JSON-able as it is
    text = status_tree.render_text(tree)
    assert "Gateway default/my-hotel" in text and "[1] prefix /parking -> " in text and "reconcile error: boom" in text


def test_the_page_escapes_everything_and_needs_no_script():
    objs = load([str(MY_HOTEL)])
    evil = "<script>alert(1)</script>"
    tree = tree_of(objs, reconciles={"HTTPRoute/default/rates": {"state": "error", "error": evil, "at": "t"}},
                   controller={"identity": evil})
    page = status_page.render_html(tree)
    assert "<script" not in page and html.escape(evil) in page
    assert '<meta http-equiv="refresh" content="5">' in page
