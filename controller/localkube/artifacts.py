"""Where the kube-apiserver/etcd binaries and the Gateway API CRDs are.

One mechanism: `tests/kube/build.sh` builds (or finds in its cache) the pinned
versions and prints their directories. Environment variables override it for
installs that have no source checkout.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "tests" / "kube" / "build.sh"


@dataclass(frozen=True)
class Artifacts:
    kube_dir: Path  # holds kube-apiserver and etcd
    crd_dir: Path  # holds standard/ and experimental/ Gateway API CRDs
    versions: dict[str, str]
    # external-dns's DNSEndpoint CRD: optional in clusters, so it is never installed by default.
    dnsendpoint_crd: Path | None = None

    @property
    def kube_apiserver(self) -> Path:
        return self.kube_dir / "kube-apiserver"

    @property
    def etcd(self) -> Path:
        return self.kube_dir / "etcd"

    def gateway_api_crds(self, channel: str = "experimental") -> list[Path]:
        return sorted((self.crd_dir / channel).glob("*.yaml"))


class ArtifactsError(RuntimeError):
    pass


def locate_artifacts() -> Artifacts:
    """Build-or-find the control plane binaries and CRDs; raise with the reason if impossible."""
    env_kube, env_crd = os.environ.get("LATTICEGW_KUBE_DIR"), os.environ.get("LATTICEGW_CRD_DIR")
    if env_kube and env_crd:
        return Artifacts(Path(env_kube), Path(env_crd), {})
    if not BUILD_SCRIPT.exists():
        raise ArtifactsError(
            "no kube-apiserver available: set LATTICEGW_KUBE_DIR and LATTICEGW_CRD_DIR, "
            f"or run from a source checkout ({BUILD_SCRIPT} is missing)"
        )
    proc = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ArtifactsError(
            f"{BUILD_SCRIPT} failed with exit code {proc.returncode}:\n{proc.stderr[-4000:]}"
        )
    values = dict(
        line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line
    )
    crd = values.get("DNSENDPOINT_CRD")
    return Artifacts(Path(values["KUBE_DIR"]), Path(values["CRD_DIR"]), _read_versions(),
                     Path(crd) if crd else None)


def _read_versions() -> dict[str, str]:
    versions = {}
    for line in (BUILD_SCRIPT.parent / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            versions[key] = value
    return versions
