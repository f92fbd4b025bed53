"""Which of the kinds we watch does this API server serve, and at which version?

CRDs come and go (the application-networking.k8s.aws policies are optional;
TLSRoute is experimental), so the manager asks discovery at start and again
periodically, starts informers for kinds that appeared, and logs a warning for
the ones still missing. For each group we take the server's preferred version
if it serves the kind, else the first other version that does.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.kube.client import KubeClient, KubeError
from translate.model import AWS_GROUP, GATEWAY_GROUP


@dataclass(frozen=True, order=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        """The cluster-wide collection path (list/watch across all namespaces)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/{self.plural}"


# group -> kinds we want (None: every kind the group serves).
WANTED: dict[str, tuple[str, ...] | None] = {
    "": ("Service", "Namespace", "Secret"),
    "discovery.k8s.io": ("EndpointSlice",),
    GATEWAY_GROUP: ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "ReferenceGrant"),
    AWS_GROUP: None,
}


# Server-side filters for kinds of which we need only a few. Secrets: only kubernetes.io/tls ones
# can be listener certificates (certificateRefs), so Helm releases, service-account tokens, registry
# credentials and the like never reach this process (docs/operations.md, "Secrets").
FIELD_SELECTORS: dict[str, str] = {"Secret": "type=kubernetes.io/tls"}


async def _group_versions(kube: KubeClient, group: str) -> list[str]:
    if group == "":
        return ["v1"]
    doc = await kube.get(f"/apis/{group}", timeout=10)
    preferred = (doc.get("preferredVersion") or {}).get("version")
    versions = [v["version"] for v in doc.get("versions") or ()]
    if preferred in versions:
        versions.remove(preferred)
        versions.insert(0, preferred)
    return versions


async def discover(kube: KubeClient, wanted: dict[str, tuple[str, ...] | None] | None = None) -> tuple[list[Resource], list[str]]:
    """Returns (resources served, "group/Kind" names wanted but missing)."""
    wanted = WANTED if wanted is None else wanted
    found: list[Resource] = []
    missing: list[str] = []
    for group, kinds in wanted.items():
        try:
            versions = await _group_versions(kube, group)
        except KubeError as exc:
            if exc.status != 404:
                raise
            versions = []
        chosen: dict[str, Resource] = {}
        for version in versions:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                doc = await kube.get(path, timeout=10)
            except KubeError as exc:
                if exc.status in (404, 503):
                    continue
                raise
            for res in doc.get("resources") or ():
                name = res.get("name", "")
                kind = res.get("kind", "")
                if "/" in name or kind in chosen:
                    continue  # subresources; or a kind already found at a preferred version
                if kinds is not None and kind not in kinds:
                    continue
                verbs = set(res.get("verbs") or ())
                if not {"list", "watch"} <= verbs:
                    continue
                chosen[kind] = Resource(group, version, name, kind, bool(res.get("namespaced")))
        found.extend(chosen.values())
        if kinds is None:
            if not chosen:
                missing.append(f"{group}/*")
        else:
            missing.extend(f"{group}/{k}" if group else k for k in kinds if k not in chosen)
    return sorted(found), missing
