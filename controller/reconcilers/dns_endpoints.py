"""ExternalDNS: a `DNSEndpoint` per route with a custom domain name, pointing at its Lattice DNS name.

Drop-in with the AWS controller (its `dnsendpoint_manager.go`): the object is `<route>-dns` in the
route's namespace, `spec.endpoints = [{dnsName: <custom domain>, recordType: CNAME, recordTTL: 300,
targets: [<Lattice DNS name>]}]`, with a controller ownerReference to the route and no labels.
Kubernetes' garbage collector deletes it with the route, so it is never deleted here; like the
AWS controller we leave it in place when the custom domain is removed (ExternalDNS then keeps
the record until someone deletes the object), which a platform team may rely on during a move.

The CRD is optional. Whether the API server serves it is asked once and remembered for
`RECHECK_SECONDS`, so a cluster without ExternalDNS pays one discovery GET every few minutes and
nothing fails; installing the CRD later takes effect within that time.

An existing object of that name that some other owner controls is left alone (a Warning Event
says why): we never overwrite what we did not create.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from controller.kube.client import MERGE_PATCH, KubeClient, KubeError
from controller.leader.fence import current_fence

GROUP_VERSION = "externaldns.k8s.io/v1alpha1"
RECORD_TTL = 300
RECHECK_SECONDS = 300.0

log = structlog.get_logger("latticegw.dnsendpoint")


def endpoint_name(route_name: str) -> str:
    return f"{route_name}-dns"


def desired_spec(custom_domain: str, dns_name: str) -> dict[str, Any]:
    return {"endpoints": [{"dnsName": custom_domain, "recordType": "CNAME", "recordTTL": RECORD_TTL,
                           "targets": [dns_name]}]}


def owner_reference(route: Mapping[str, Any]) -> dict[str, Any]:
    meta = route.get("metadata") or {}
    return {"apiVersion": route.get("apiVersion", ""), "kind": route.get("kind", ""), "name": meta.get("name", ""),
            "uid": meta.get("uid", ""), "controller": True}


def owned_by(obj: Mapping[str, Any], route: Mapping[str, Any]) -> bool:
    uid = (route.get("metadata") or {}).get("uid")
    return any(ref.get("uid") == uid and ref.get("controller")
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or ())


class DnsEndpoints:
    """Creates or updates one route's DNSEndpoint; a no-op where the CRD is not served."""

    def __init__(self, kube: KubeClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.kube = kube
        self.clock = clock
        self._served: bool | None = None
        self._checked_at = 0.0
        # route uid -> the spec we last saw in place: a pass that would write the same costs no request
        self._published: dict[str, dict[str, Any]] = {}

    async def served(self) -> bool:
        now = self.clock()
        if self._served is None or now - self._checked_at >= RECHECK_SECONDS:
            try:
                doc = await self.kube.get(f"/apis/{GROUP_VERSION}", timeout=10)
                self._served = any(r.get("kind") == "DNSEndpoint" for r in doc.get("resources") or ())
            except KubeError as exc:
                if exc.status not in (404, 503):
                    raise
                self._served = False
            self._checked_at = now
        return self._served

    async def publish(self, route: Mapping[str, Any], custom_domain: str | None, dns_name: str | None) -> str | None:
        """Make `<route>-dns` say custom_domain CNAME dns_name. Returns a problem for an Event, or None."""
        if not custom_domain or not dns_name or not await self.served():
            return None
        meta = route.get("metadata") or {}
        uid = meta.get("uid", "")
        spec = desired_spec(custom_domain, dns_name)
        if self._published.get(uid) == spec:
            return None
        namespace, name = meta.get("namespace", ""), endpoint_name(meta.get("name", ""))
        path = f"/apis/{GROUP_VERSION}/namespaces/{namespace}/dnsendpoints/{name}"
        try:
            current: Mapping[str, Any] | None = await self.kube.get(path)
        except KubeError as exc:
            if exc.status != 404:
                raise
            if (exc.body or {}).get("details", {}).get("kind") != "dnsendpoints":
                self._served = None  # the CRD itself went away: ask discovery again next time
                return None
            current = None
        if current is not None and not owned_by(current, route):
            return (f"DNSEndpoint {namespace}/{name} exists and is not controlled by this route; "
                    f"not pointing {custom_domain} at {dns_name} through it")
        current_fence().check()
        if current is None:
            body = {"apiVersion": GROUP_VERSION, "kind": "DNSEndpoint",
                    "metadata": {"name": name, "namespace": namespace, "ownerReferences": [owner_reference(route)]},
                    "spec": spec}
            try:
                await self.kube.request("POST", path.rsplit("/", 1)[0], body=body)
            except KubeError as exc:
                if exc.status != 409:
                    raise
                return None  # created meanwhile: not remembered, so the next pass compares it
            log.info("dnsendpoint created", name=name, namespace=namespace, dns_name=custom_domain)
        elif current.get("spec") != spec:
            await self.kube.request("PATCH", path, body={"spec": spec}, content_type=MERGE_PATCH)
            log.info("dnsendpoint updated", name=name, namespace=namespace, dns_name=custom_domain)
        self._published[uid] = spec
        return None

    def forget(self, route: Mapping[str, Any]) -> None:
        self._published.pop((route.get("metadata") or {}).get("uid", ""), None)
