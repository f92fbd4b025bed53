"""The API server's audit log, read back: which writes the controller really made.

The test API server (`tests.harness.fixtures.kube`) and `bench/bench_kube_writes.py` start
kube-apiserver with `apiserver_args(workdir)`: an audit policy that records every
create/update/patch/delete at level Metadata (who, verb, object, subresource, response code;
no bodies) to a JSON-lines file. `AuditLog.writes()` returns the controller's writes (its user
agent is `latticegw/<version>`) to our objects, so a test can count them per object and tell a
metadata patch from a status patch, a refused write (409) from an accepted one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson

# Gateway API and our own CRDs; Events, Leases and the queue's store are other groups.
OUR_GROUPS = frozenset({"gateway.networking.k8s.io", "application-networking.k8s.aws"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete"})
POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete"]
- level: None
"""


def apiserver_args(workdir: Path) -> tuple[list[str], Path]:
    """kube-apiserver flags for the audit log under `workdir`, and the log's path."""
    policy = workdir / "audit-policy.yaml"
    policy.write_text(POLICY)
    log = workdir / "audit.log"
    # blocking: a record is on disk before the response is sent, so a test never reads too early
    return [f"--audit-policy-file={policy}", f"--audit-log-path={log}", "--audit-log-format=json",
            "--audit-log-mode=blocking"], log


@dataclass(frozen=True)
class Write:
    resource: str       # e.g. "httproutes"
    namespace: str
    name: str
    verb: str           # "patch", "update", ...
    subresource: str    # "" or "status"
    code: int           # the response code (409: refused as stale)

    @property
    def part(self) -> str:
        return "status" if self.subresource == "status" else "metadata"


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        """A mark: `writes(since=mark)` reads only what was logged after it."""
        return self.path.stat().st_size if self.path.exists() else 0

    def writes(self, since: int = 0) -> list[Write]:
        """The controller's writes to our objects logged after `since` (a `size()` mark)."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(since)
            data = f.read()
        out = []
        for line in data[: data.rfind(b"\n") + 1].splitlines():
            rec = orjson.loads(line)
            ref = rec.get("objectRef") or {}
            if (rec.get("userAgent", "").startswith("latticegw/") and rec.get("verb") in WRITE_VERBS
                    and ref.get("apiGroup") in OUR_GROUPS):
                out.append(Write(ref.get("resource", ""), ref.get("namespace", ""), ref.get("name", ""),
                                 rec["verb"], ref.get("subresource", ""),
                                 int((rec.get("responseStatus") or {}).get("code") or 0)))
        return out


def per_object(writes: list[Write]) -> dict[tuple[str, str, str], Counter]:
    """{(resource, namespace, name): Counter({"metadata": n, "status": m, "refused": k})}."""
    out: dict[tuple[str, str, str], Counter] = {}
    for w in writes:
        c = out.setdefault((w.resource, w.namespace, w.name), Counter())
        c[w.part] += 1
        if w.code == 409:
            c["refused"] += 1
    return out
