"""The status page, loaded in a real headless browser (chromium) from a running controller."""

from __future__ import annotations

import html
import re
from pathlib import Path

import aiohttp
import pytest

from tests.harness.browser import dump_dom, screenshot
from tests.integration.e2e.helpers import find, idle

pytestmark = pytest.mark.integration

SHOTS = Path(__file__).resolve().parents[3] / ".pytest_cache" / "screenshots"


def text_of(dom: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded, spaces folded)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


async def test_status_page_shows_every_gateway_and_route_with_their_lattice_resources(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    url = env.manager.sidecar.url("status") + "/"
    assert env.manager.sidecar.url("status") != env.manager.sidecar.url("metrics")

    dom = await dump_dom(url)
    text = text_of(dom)
    assert '<meta http-equiv="refresh"' in dom  # refreshes itself, no script needed
    assert "<script" not in dom and not re.search(r"\son[a-z]+=", dom)  # readable without JavaScript
    ns = find(objs, "Gateway", "my-hotel")["metadata"]["namespace"]

    # The controller: this replica leads, its queue, and AWS call rates per operation.
    assert f"identity {env.config.identity}" in text and "role leader" in text
    assert f"leader {env.config.identity}" in text and "queueDepth 0" in text
    assert re.search(r"CreateService \d+(\.\d+)? ", text), text[:2000]

    # Gateway -> routes -> Lattice service, DNS, listener, rules with priority, match, weights, targets.
    assert f"Gateway {ns}/my-hotel Accepted=True Programmed=True" in text
    for name in ("rates", "inventory"):
        live = await env.get(find(objs, "HTTPRoute", name))
        dns = live["metadata"]["annotations"]["application-networking.k8s.aws/lattice-assigned-domain-name"]
        assert f"HTTPRoute {ns}/{name} Accepted=True ResolvedRefs=True" in text
        assert f"Lattice service {name}-{ns}" in text and f"DNS name {dns}" in text
        assert f"Listener {name}-{ns}-80-http HTTP:80" in text
    assert re.search(r"1 prefix /parking k8s-\S+-parking-rates-\S+ weight 1 \(2 targets\) k8s-\S+ 1 "
                     r"10\.0\.1\.10:8090 \S+ 10\.0\.1\.11:8090", text), text
    assert re.search(r"2 prefix /review .* weight 1 \(2 targets\)", text)
    assert "default default (no rule matched) fixed response 404" in text
    assert "Last reconcile success" in text

    # Target health comes from Lattice (the emulator's health checks as the inventory saw them).
    healths = set(re.findall(r"10\.0\.1\.\d+:8090 (HEALTHY|UNHEALTHY|UNAVAILABLE|INITIAL|DRAINING|UNUSED)", text))
    assert healths, "no target health on the page"

    # The same tree as JSON, for scripts.
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params={"format": "json"}) as resp:
            tree = await resp.json()
    (gw,) = [g for g in tree["gateways"] if g["namespace"] == ns]
    assert sorted(r["name"] for r in gw["routes"]) == ["inventory", "rates"]

    SHOTS.mkdir(parents=True, exist_ok=True)
    await screenshot(url, SHOTS / "status-page.png")


async def test_a_failing_route_shows_its_reason_and_last_error(controller_env):
    env = controller_env
    await env.control.inject_error("CreateService", "AccessDeniedException", count=1000,
                                   message="not authorized to perform vpc-lattice:CreateService")
    objs = await env.apply_example("my-hotel")
    inventory = find(objs, "HTTPRoute", "inventory")
    key = f"HTTPRoute/{inventory['metadata']['namespace']}/inventory"
    await env.wait_until(lambda: (env.manager.workers.last.get(key) or {}).get("state") == "error",
                         "inventory's reconcile failed")
    text = text_of(await dump_dom(env.manager.sidecar.url("status") + "/"))
    assert re.search(r"HTTPRoute \S+/inventory .*?Last reconcile error at \S+: CreateService \S+: "
                     r"AccessDeniedException", text), text
    await env.control.clear_faults()
    await env.wait_until(env.converged, "my-hotel converges once allowed")


async def test_latticegw_status_prints_the_same_tree_from_the_cluster(controller_env):
    """`latticegw status` (and `kubectl latticegw`, the same entry point) against the live API server."""
    import asyncio
    import json
    import os
    import sys

    from tests.harness.controller import ENV

    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    ns = find(objs, "Gateway", "my-hotel")["metadata"]["namespace"]
    page = await env.manager.status_tree()

    async def cli(*args: str) -> str:
        plugin = os.path.join(os.path.dirname(sys.executable), "kubectl-latticegw")
        proc = await asyncio.create_subprocess_exec(
            plugin, "status", "--kubeconfig", str(env.kube.kubeconfig_path), *args,
            env={**os.environ, **ENV}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    tree = json.loads(await cli("-o", "json"))
    (gw,) = [g for g in tree["gateways"] if g["namespace"] == ns]
    (page_gw,) = [g for g in page["gateways"] if g["namespace"] == ns]

    def shape(g):  # what both know: the Kubernetes side and the translated Lattice resources
        return [(r["name"], r["service"], r["dns"], r["conditions"],
                 [(lst["name"], [(rule["priority"], rule["match"],
                                  [(f["targetGroup"], f["weight"], [(t["id"], t["port"]) for t in f["targets"]])
                                   for f in rule["forward"]]) for rule in lst["rules"]]) for lst in r["listeners"]])
                for r in g["routes"]]

    assert shape(gw) == shape(page_gw)
    assert tree["controller"]["leader"].startswith("none")  # this test's controller runs without a Lease
    text = await cli()
    assert f"Gateway {ns}/my-hotel  Accepted=True Programmed=True" in text
    assert f"  HTTPRoute {ns}/rates  Accepted=True ResolvedRefs=True" in text
    assert "[1] prefix /parking -> k8s-" in text and "weight 1 (2 targets)" in text


async def test_latticegw_status_without_a_cluster_is_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "controller.cli.main", "status", "--kubeconfig",
                           str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("latticegw status: ") and "Traceback" not in proc.stderr
