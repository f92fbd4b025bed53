"""Helpers shared by the runtime's integration tests."""

from __future__ import annotations

import asyncio
import time

from controller.kube.client import KubeClient


async def eventually(predicate, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` (sync or async) until truthy; generous timeouts, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        await asyncio.sleep(interval)


def configmap(ns: str, name: str, data: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data or {}}


def service(ns: str, name: str, port: int = 80, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"ports": [{"port": port, "protocol": "TCP"}]},
    }


def new_client(kube) -> KubeClient:
    return KubeClient(kube.configuration())


async def list_names(client: KubeClient, path: str, ns: str) -> dict[str, str]:
    doc = await client.get(path, {"fieldSelector": f"metadata.namespace={ns}"})
    return {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in doc["items"]}
