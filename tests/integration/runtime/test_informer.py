"""Informers against the real API server: sync, events, API server restart, 410 Gone."""

from __future__ import annotations

import asyncio

import pytest

from controller.kube.cache import Cache
from controller.kube.discovery import Resource, discover
from controller.kube.informer import Informer
from controller.observe.metrics import Metrics

from .util import eventually, list_names, new_client, service

pytestmark = pytest.mark.integration

SERVICES = Resource("", "v1", "services", "Service", True)


def store_names(cache: Cache, ns: str) -> dict[str, str]:
    return {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in cache.stores["Service"].list(ns)}


async def test_discovery_finds_gateway_kinds_and_reports_absent_crds(kube):
    client = new_client(kube)
    try:
        found, missing = await discover(client)
        _, absent = await discover(client, {"nothing.example.com": None, "": ("Service", "NoSuchKind")})
    finally:
        await client.close()
    kinds = {r.kind: r for r in found}
    for kind in ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "ReferenceGrant",
                 "Service", "EndpointSlice", "Namespace"):
        assert kind in kinds, kind
    assert not kinds["GatewayClass"].namespaced and kinds["HTTPRoute"].namespaced
    assert kinds["HTTPRoute"].version == "v1"
    assert absent == ["nothing.example.com/*", "NoSuchKind"], "absent CRDs are reported, not fatal"


async def test_informer_syncs_and_follows_events(kube, namespace):
    client = new_client(kube)
    cache = Cache()
    seen: list[tuple[str, str | None, str | None]] = []

    def on_change(kind, old, new, initial):
        name = (new or old)["metadata"]["name"]
        seen.append((name, old and old["metadata"]["resourceVersion"], new and new["metadata"]["resourceVersion"]))

    for i in range(5):
        await kube.apply(service(namespace, f"pre-{i}"))
    inf = Informer(client, SERVICES, cache, on_change, metrics=Metrics())
    task = asyncio.create_task(inf.run())
    try:
        await asyncio.wait_for(inf.synced.wait(), 30)
        assert set(store_names(cache, namespace)) == {f"pre-{i}" for i in range(5)}
        obj = cache.stores["Service"].get(namespace, "pre-0")
        assert obj["kind"] == "Service" and obj["apiVersion"] == "v1" and "managedFields" not in obj["metadata"]

        await kube.apply(service(namespace, "live"))
        await kube.apply(service(namespace, "pre-1", port=81))
        await kube.request("DELETE", f"/api/v1/namespaces/{namespace}/services/pre-2")
        truth = None

        async def converged():
            nonlocal truth
            truth = await list_names(client, "/api/v1/services", namespace)
            return truth == store_names(cache, namespace)

        await eventually(converged, message="store == LIST")
        assert "live" in truth and "pre-2" not in truth
        assert any(n == "pre-2" and new is None for n, _, new in seen), "the delete was reported"
        assert inf.lists == 1, "no relist needed for a healthy watch"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def test_apiserver_restart_during_watch_converges(kube, namespace):
    client = new_client(kube)
    cache = Cache()
    inf = Informer(client, SERVICES, cache, lambda *a: None, backoff_initial=0.2, backoff_max=2.0)
    task = asyncio.create_task(inf.run())
    try:
        for i in range(3):
            await kube.apply(service(namespace, f"s-{i}"))
        await asyncio.wait_for(inf.synced.wait(), 30)
        await eventually(lambda: len(store_names(cache, namespace)) == 3, message="3 services cached")
        await kube.restart_apiserver()
        # Changes right after the restart, while the informer is still reconnecting.
        await kube.request("DELETE", f"/api/v1/namespaces/{namespace}/services/s-0")
        await kube.apply(service(namespace, "s-1", port=99))
        for i in range(3, 6):
            await kube.apply(service(namespace, f"s-{i}"))

        async def converged():
            return await list_names(client, "/api/v1/services", namespace) == store_names(cache, namespace)

        await eventually(converged, timeout=60, message="store == LIST after restart")
        assert cache.stores["Service"].get(namespace, "s-1")["spec"]["ports"][0]["port"] == 99
        assert cache.stores["Service"].get(namespace, "s-0") is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def test_gone_after_compaction_relists_and_reports_missed_deletes(kube, namespace):
    client = new_client(kube)
    cache = Cache()
    deleted: list[str] = []
    metrics = Metrics()

    def on_change(kind, old, new, initial):
        if new is None:
            deleted.append(old["metadata"]["name"])

    inf = Informer(client, SERVICES, cache, on_change, metrics=metrics, backoff_initial=0.2, backoff_max=2.0)
    task = asyncio.create_task(inf.run())
    try:
        for i in range(4):
            await kube.apply(service(namespace, f"g-{i}"))
        await asyncio.wait_for(inf.synced.wait(), 30)
        await eventually(lambda: len(store_names(cache, namespace)) == 4, message="4 services cached")
        # Stop watching, change things while blind, compact etcd and restart the API
        # server so neither etcd nor the watch cache still has our resourceVersion.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        old_rv = inf.resource_version
        await kube.request("DELETE", f"/api/v1/namespaces/{namespace}/services/g-0")
        await kube.apply(service(namespace, "g-1", port=8081))
        await kube.apply(service(namespace, "g-new"))
        await kube.compact_etcd()
        await kube.restart_apiserver()
        task = asyncio.create_task(inf.run(resume=True))

        async def converged():
            return await list_names(client, "/api/v1/services", namespace) == store_names(cache, namespace)

        await eventually(converged, timeout=60, message="store == LIST after 410")
        assert inf.resource_version != old_rv
        assert inf.lists >= 2, "a 410 must lead to a relist"
        assert "g-0" in deleted, "the delete that happened while blind is reported by the relist"
        text = metrics.render().decode()
        assert 'latticegw_informer_relists_total{kind="Service",reason="gone"}' in text
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
