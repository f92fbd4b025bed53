"""The node side of a cluster, for the conformance suite: what the kubelet and the
kube-controller-manager would do, and no more than the suite needs.

The local control plane is a bare kube-apiserver + etcd: nothing runs Pods, nothing
turns Deployments into Pods, nothing writes EndpointSlices or finalizes deleted
Namespaces. The suite's base manifests are Deployments + Services and its setup waits
until every Pod in its namespaces is Ready, so one level-based loop plays all of those
parts:

* Deployment controller + ReplicaSet controller: `spec.replicas` Pods per Deployment
  (from its template, owned by it), surplus or orphaned Pods deleted, and the
  Deployment's replica counts in its status.
* kubelet: every Pod gets phase Running, condition Ready=True and an IP of its own from
  10.244.0.0/16, the usual pod network range (nothing is ever sent there: the suite's
  traffic tests are not run). Not loopback: the API server refuses loopback addresses in
  EndpointSlices.
* EndpointSlice controller: one slice per selector Service with the Ready Pods it
  selects, ports resolved from the Pods' container ports.
* namespace controller: a Terminating Namespace is emptied and finalized.

It polls rather than watches: the suite's objects number in the tens and a poll is
level-based by construction (a missed event cannot leave anything behind).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from collections.abc import Mapping
from typing import Any

import orjson

MANAGED_BY = "latticegw-conformance-harness"
SLICE_SUFFIX = "-harness"
TEMPLATE_HASH = "pod-template-hash"
MERGE = "application/merge-patch+json"
# Pod IPs: 10.244.0.1 and up, one per Pod, never reused while the harness runs.
FIRST_IP = int(ipaddress.IPv4Address("10.244.0.1"))


def template_hash(template: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """A Service's (equality-only) selector; an empty selector selects nothing (as for Services)."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def matches_label_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """A Deployment's metav1.LabelSelector (matchLabels + matchExpressions)."""
    selector = selector or {}
    labels = labels or {}
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or ()
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def resolve_target_port(port: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> int | None:
    """A Service port's targetPort as a number: as given, or the named container port."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or ():
            for cp in container.get("ports") or ():
                if cp.get("name") == target:
                    return int(cp["containerPort"])
    return None


def desired_slice(service: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The EndpointSlice the EndpointSlice controller would write for `service` and its Ready Pods."""
    meta = service["metadata"]
    ready = sorted((p for p in pods if pod_ip(p)), key=lambda p: p["metadata"]["name"])
    ports = []
    for port in (service.get("spec") or {}).get("ports") or ():
        number = resolve_target_port(port, ready)
        if number is None:
            continue
        entry = {"name": port.get("name", ""), "port": number, "protocol": port.get("protocol", "TCP")}
        if port.get("appProtocol"):
            entry["appProtocol"] = port["appProtocol"]
        ports.append(entry)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": meta["name"] + SLICE_SUFFIX,
            "namespace": meta["namespace"],
            "labels": {"kubernetes.io/service-name": meta["name"],
                       "endpointslice.kubernetes.io/managed-by": MANAGED_BY},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": meta["name"],
                                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}],
        },
        "addressType": "IPv4",
        "ports": ports,
        "endpoints": [
            {
                "addresses": [pod_ip(p)],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "targetRef": {"kind": "Pod", "namespace": p["metadata"]["namespace"],
                              "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]},
            }
            for p in ready
        ],
    }


def pod_ip(pod: Mapping[str, Any]) -> str | None:
    status = pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())
    if not ready or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return None
    return status.get("podIP")


class Kubelet:
    """Run `await kubelet.run()` as a task next to the suite; cancel it to stop."""

    def __init__(self, kube, interval: float = 0.3) -> None:
        self.kube = kube  # controller.localkube.LocalKube
        self.interval = interval
        self._next_ip = FIRST_IP
        self.errors: list[str] = []

    async def run(self) -> None:
        while True:
            try:
                await self.sync_once()
            except Exception as exc:  # noqa: BLE001 - keep playing the node; the suite reports what it sees
                if repr(exc) not in self.errors:
                    self.errors.append(repr(exc))
            await asyncio.sleep(self.interval)

    async def _list(self, path: str) -> list[dict]:
        status, body = await self.kube.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body.get("items") or []

    async def _call(self, method: str, path: str, body=None, content_type: str = "application/json") -> dict | None:
        status, result = await self.kube.request(method, path, body, content_type=content_type)
        if status in (404, 409):  # gone meanwhile, or someone wrote first: the next pass looks again
            return None
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {result}")
        return result

    async def sync_once(self) -> None:
        await self._finalize_namespaces()
        deployments = await self._list("/apis/apps/v1/deployments")
        pods = await self._list("/api/v1/pods")
        await self._deployments(deployments, pods)
        pods = await self._list("/api/v1/pods")
        for pod in pods:
            await self._run_pod(pod)
        pods = await self._list("/api/v1/pods")
        await self._endpoint_slices(pods)

    # ------------------------------------------------------ Deployments -> Pods
    async def _deployments(self, deployments: list[dict], pods: list[dict]) -> None:
        by_uid = {d["metadata"]["uid"]: d for d in deployments}
        owned: dict[str, list[dict]] = {}
        for pod in pods:
            owner = next((o for o in pod["metadata"].get("ownerReferences") or () if o.get("kind") == "Deployment"), None)
            if owner is None:
                continue
            if owner["uid"] not in by_uid:  # the garbage collector's part: its Deployment is gone
                await self._delete_pod(pod)
                continue
            owned.setdefault(owner["uid"], []).append(pod)
        for deployment in deployments:
            await self._scale(deployment, owned.get(deployment["metadata"]["uid"], []))

    async def _scale(self, deployment: dict, pods: list[dict]) -> None:
        meta, spec = deployment["metadata"], deployment.get("spec") or {}
        if meta.get("deletionTimestamp"):
            return
        want = spec.get("replicas", 1)
        template = spec.get("template") or {}
        thash = template_hash(template)
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        current = [p for p in live if (p["metadata"].get("labels") or {}).get(TEMPLATE_HASH) == thash]
        for pod in live:
            if pod not in current:  # an old template: replaced, all at once (no rollout strategy here)
                await self._delete_pod(pod)
        for pod in sorted(current, key=lambda p: p["metadata"]["name"])[want:]:
            await self._delete_pod(pod)
        taken = {p["metadata"]["name"] for p in current}
        missing = want - len(current)
        index = 0
        while missing > 0:
            name = f"{meta['name']}-{thash[:8]}-{index}"
            index += 1
            if name in taken:
                continue
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": meta["namespace"],
                    "labels": {**((template.get("metadata") or {}).get("labels") or {}), TEMPLATE_HASH: thash},
                    "annotations": (template.get("metadata") or {}).get("annotations") or {},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"],
                                         "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}],
                },
                "spec": template.get("spec") or {},
            }
            await self._call("POST", f"/api/v1/namespaces/{meta['namespace']}/pods", pod)
            missing -= 1
        ready = min(len(current), want)
        status = {"observedGeneration": meta.get("generation"), "replicas": want, "updatedReplicas": want,
                  "readyReplicas": ready, "availableReplicas": ready, "unavailableReplicas": want - ready,
                  "conditions": [{"type": "Available", "status": "True" if ready >= want else "False",
                                  "reason": "MinimumReplicasAvailable" if ready >= want else "MinimumReplicasUnavailable",
                                  "message": "played by the conformance harness"}]}
        old = deployment.get("status") or {}
        if any(old.get(k) != v for k, v in status.items() if k != "conditions") or not old.get("conditions"):
            await self._call("PATCH", f"/apis/apps/v1/namespaces/{meta['namespace']}/deployments/{meta['name']}/status",
                             {"status": status}, MERGE)

    async def _delete_pod(self, pod: dict) -> None:
        meta = pod["metadata"]
        await self._call("DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}?gracePeriodSeconds=0")

    # ---------------------------------------------------------------- kubelet
    async def _run_pod(self, pod: dict) -> None:
        meta, status = pod["metadata"], pod.get("status") or {}
        if meta.get("deletionTimestamp"):
            # No kubelet confirms the stop: finish the deletion it would have finished.
            await self._call("DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}?gracePeriodSeconds=0")
            return
        if status.get("podIP") and pod_ip(pod):
            return
        ip = status.get("podIP") or str(ipaddress.IPv4Address(self._next_ip))
        if not status.get("podIP"):
            self._next_ip += 1
        now = _now()
        containers = (pod.get("spec") or {}).get("containers") or ()
        new_status = {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": now,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": now}
                for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
            ],
            "containerStatuses": [
                {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True, "started": True,
                 "restartCount": 0, "state": {"running": {"startedAt": now}}}
                for c in containers
            ],
        }
        # A Pod must be bound to a node before the kubelet may report it Running.
        if not (pod.get("spec") or {}).get("nodeName"):
            binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": meta["name"]},
                       "target": {"apiVersion": "v1", "kind": "Node", "name": "conformance-node"}}
            await self._call("POST", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding", binding)
        await self._call("PATCH", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
                         {"status": new_status}, MERGE)

    # ---------------------------------------------------------- EndpointSlices
    async def _endpoint_slices(self, pods: list[dict]) -> None:
        services = await self._list("/api/v1/services")
        slices = {(s["metadata"]["namespace"], s["metadata"]["name"]): s
                  for s in await self._list(f"/apis/discovery.k8s.io/v1/endpointslices?labelSelector="
                                            f"endpointslice.kubernetes.io/managed-by%3D{MANAGED_BY}")}
        wanted: set[tuple[str, str]] = set()
        for svc in services:
            meta = svc["metadata"]
            selector = (svc.get("spec") or {}).get("selector")
            if not selector or meta.get("deletionTimestamp"):
                continue
            selected = [p for p in pods if p["metadata"]["namespace"] == meta["namespace"]
                        and selects(selector, p["metadata"].get("labels"))]
            desired = desired_slice(svc, selected)
            key = (meta["namespace"], desired["metadata"]["name"])
            wanted.add(key)
            base = f"/apis/discovery.k8s.io/v1/namespaces/{meta['namespace']}/endpointslices"
            current = slices.get(key)
            if current is None:
                await self._call("POST", base, desired)
            elif (current.get("endpoints") or []) != desired["endpoints"] or (current.get("ports") or []) != desired["ports"]:
                desired["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                await self._call("PUT", f"{base}/{key[1]}", desired)
        for key in set(slices) - wanted:
            await self._call("DELETE", f"/apis/discovery.k8s.io/v1/namespaces/{key[0]}/endpointslices/{key[1]}")

    # ------------------------------------------------------------- Namespaces
    async def _finalize_namespaces(self) -> None:
        """The namespace controller: delete what a Terminating Namespace holds, and once
        nothing is left (finalizers such as latticegw's are honoured), finalize it."""
        for ns in await self._list("/api/v1/namespaces"):
            name = ns["metadata"]["name"]
            if not ns["metadata"].get("deletionTimestamp"):
                continue
            left = 0
            for path in await self.kube.namespaced_collections(name):
                status, body = await self.kube.request("GET", path)
                if status != 200:
                    continue
                for item in body.get("items") or ():
                    left += 1
                    if not item["metadata"].get("deletionTimestamp"):
                        await self._call("DELETE", f"{path}/{item['metadata']['name']}?gracePeriodSeconds=0")
            if left == 0:
                ns["spec"]["finalizers"] = []
                await self._call("PUT", f"/api/v1/namespaces/{name}/finalize", ns)


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
