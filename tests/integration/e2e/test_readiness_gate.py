"""Pod readiness gates for real: the kube-apiserver calls latticegw's webhook over loopback TLS, and a
rolling update with the gate never leaves Lattice with fewer healthy targets than replicas.

The webhook configuration is the chart's (failurePolicy Fail, pod CREATE, the AWS controller's
namespace label), except that it reaches the controller by URL on 127.0.0.1 instead of through a
Service (no kube-proxy here). Its CA bundle is written by latticegw, which issues its own
certificate into a Secret, as it does without cert-manager.
"""

from __future__ import annotations

import base64
import socket
import uuid

import pytest

from controller.reconcilers.readiness_gates import GATE
from tests.integration.e2e.helpers import by_name, find, idle
from tests.integration.e2e.rollout import GATE_LABEL, Rollout, gate_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ADMISSION = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webhook_configuration(name: str, port: int) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [{
            "name": "pod-readiness-gate.latticegw.io",
            "clientConfig": {"url": f"https://127.0.0.1:{port}/mutate-pod"},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}],
            "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": ["v1"], "timeoutSeconds": 10,
            "namespaceSelector": {"matchExpressions": [{"key": GATE_LABEL, "operator": "In", "values": ["enabled"]}]},
            "objectSelector": {"matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["latticegw"]}]},
        }],
    }


class Webhook:
    """A MutatingWebhookConfiguration for one test, and the controller settings that serve it."""

    def __init__(self, kube) -> None:
        self.kube = kube
        self.port = free_port()
        self.name = f"latticegw-gate-{uuid.uuid4().hex[:8]}"
        self.namespace = f"gw-sys-{uuid.uuid4().hex[:8]}"

    async def __aenter__(self) -> "Webhook":
        await self.kube.create_namespace(self.namespace)
        status, body = await self.kube.request("POST", ADMISSION, webhook_configuration(self.name, self.port))
        assert status == 201, body
        return self

    async def __aexit__(self, *exc) -> None:
        await self.kube.request("DELETE", f"{ADMISSION}/{self.name}")
        await self.kube.purge_namespace(self.namespace)

    def config(self) -> dict:
        return {"webhook_address": f"127.0.0.1:{self.port}", "namespace": self.namespace,
                "webhook_configuration": self.name}

    async def trusted(self) -> bool:
        status, body = await self.kube.request("GET", f"{ADMISSION}/{self.name}")
        return status == 200 and bool(body["webhooks"][0]["clientConfig"].get("caBundle"))


def labelled(objs: list[dict]) -> list[dict]:
    for o in objs:
        if o["kind"] == "Namespace":
            o["metadata"].setdefault("labels", {})[GATE_LABEL] = "enabled"
    return objs


def pod(name: str, labels: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": "registry.invalid/app:1"}]}}


async def create_pod(kube, ns: str, body: dict) -> tuple[int, dict]:
    return await kube.request("POST", f"/api/v1/namespaces/{ns}/pods", body)


async def test_the_api_server_calls_the_webhook_and_it_injects_the_gate(kube, make_controller_env):
    async with Webhook(kube) as hook, make_controller_env(config=hook.config()) as env:
        await env.wait_until(hook.trusted, "latticegw wrote the CA bundle", timeout=60)
        await env.wait_until(lambda: env.manager.webhook.bound_port, "the webhook serves", timeout=60)
        secret_status, secret = await kube.request(
            "GET", f"/api/v1/namespaces/{hook.namespace}/secrets/latticegw-webhook-cert")
        assert secret_status == 200 and secret["type"] == "kubernetes.io/tls"
        _, config = await kube.request("GET", f"{ADMISSION}/{hook.name}")
        assert base64.b64decode(config["webhooks"][0]["clientConfig"]["caBundle"]) == \
            base64.b64decode(secret["data"]["ca.crt"])

        objs = labelled(env.example("my-hotel"))
        await env.create_service_networks(objs)
        await env.apply(objs)
        await env.wait_until(env.converged, "my-hotel converges", timeout=90)
        ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
        other = env.ns("unlabelled")
        await kube.create_namespace(other)
        env.namespaces.add(other)

        # A pod of a Service that backs a route of ours: the gate is added.
        status, gated = await create_pod(kube, ns, pod("parking-1", {"app": "parking"}))
        assert status == 201, gated
        assert gated["spec"]["readinessGates"] == [{"conditionType": GATE}]
        # A pod no route's Service selects, and one in a namespace that did not opt in: untouched.
        status, plain = await create_pod(kube, ns, pod("loner-1", {"app": "loner"}))
        assert status == 201 and not plain["spec"].get("readinessGates"), plain
        status, elsewhere = await create_pod(kube, other, pod("parking-1", {"app": "parking"}))
        assert status == 201 and not elsewhere["spec"].get("readinessGates"), elsewhere
        # A pod that already has the gate (the AWS controller's webhook ran first) keeps one gate.
        twice = pod("parking-2", {"app": "parking"})
        twice["spec"]["readinessGates"] = [{"conditionType": GATE}]
        status, body = await create_pod(kube, ns, twice)
        assert status == 201 and body["spec"]["readinessGates"] == [{"conditionType": GATE}], body

        # The webhook down: failurePolicy Fail refuses pods in opted-in namespaces (documented in
        # docs/operations.md), and only there.
        await env.stop()
        status, body = await create_pod(kube, ns, pod("parking-3", {"app": "parking"}))
        assert status == 500 and "failed calling webhook" in body.get("message", ""), (status, body)
        status, body = await create_pod(kube, other, pod("parking-3", {"app": "parking"}))
        assert status == 201, body
        await env.start()  # so the fixture can clean up through the controller


async def rollout_figures(make_controller_env, kube, *, gated: bool) -> tuple:
    """A 4-replica rolling update of the Service behind my-hotel's `rates` route (its /parking rule)."""
    emulator = {"delays": {"health_checks": 0.015, "draining": 2}}  # INITIAL ~2.3 s (5 x 30 s x 0.015)
    async with Webhook(kube) as hook, make_controller_env(config=hook.config(), emulator_options=emulator) as env:
        await env.wait_until(hook.trusted, "latticegw wrote the CA bundle", timeout=60)
        objs = env.example("my-hotel")
        if gated:
            objs = labelled(objs)
        objs = [o for o in objs if not (o["kind"] == "EndpointSlice" and o["metadata"]["name"].startswith("parking"))]
        await env.create_service_networks(objs)
        await env.apply(objs)
        ns = find(objs, "HTTPRoute", "rates")["metadata"]["namespace"]
        rollout = Rollout(env, ns, "parking", {"app": "parking"}, 8090, replicas=4)
        await rollout.start("v1", subnet=1)
        await env.wait_until(env.converged, "my-hotel converges", timeout=90)
        tg_name = next(t["name"] for t in (await env.state())["targetGroups"] if "parking" in t["name"])

        async def all_healthy():
            tg = by_name((await env.state())["targetGroups"])[tg_name]
            return [t["status"] for t in tg["targets"]] == ["HEALTHY"] * 4

        await env.wait_until(all_healthy, "4 healthy targets before the update", timeout=60)
        if gated:
            for i in range(4):
                assert gate_of(await rollout.pod(f"parking-v1-{i}"))["status"] == "True"
        async with rollout.sampling(tg_name) as samples:
            waits = await rollout.roll("v1", "v2", subnet=2)
            await env.wait_until(all_healthy, "4 healthy targets after the update", timeout=60)
        final = {t["id"] for t in by_name((await env.state())["targetGroups"])[tg_name]["targets"]
                 if t["status"] == "HEALTHY"}
        assert final == {f"10.9.2.{10 + i}" for i in range(4)}
        await idle(env)
        return samples, waits


async def test_a_rolling_update_never_drops_below_its_replicas_with_the_gate(kube, make_controller_env):
    with_gate, waits = await rollout_figures(make_controller_env, kube, gated=True)
    without, _ = await rollout_figures(make_controller_env, kube, gated=False)
    print(f"\nrolling update, 4 replicas, surge 1 / unavailable 0, sampled every 0.1 s:"
          f"\n  with the gate:    {with_gate.fewer_than_replicas} of {with_gate.taken} samples below 4 healthy "
          f"targets, {with_gate.none_healthy} with none, fewest {with_gate.worst}; "
          f"new pods waited {', '.join(f'{w:.1f}' for w in waits)} s for Ready"
          f"\n  without the gate: {without.fewer_than_replicas} of {without.taken} samples below 4, "
          f"{without.none_healthy} with none, fewest {without.worst}")
    assert with_gate.taken > 5 and without.taken > 5
    assert with_gate.fewer_than_replicas == 0 and with_gate.none_healthy == 0, with_gate.timeline
    # What the feature is for: without the gate, old targets go before new ones are healthy.
    assert without.fewer_than_replicas > 0, without.timeline
