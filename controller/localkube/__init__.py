"""A real Kubernetes control plane (etcd + kube-apiserver) on loopback.

Used by the integration tests and by `latticegw demo`; nothing here is a fake. The
binaries are built from Go modules by `tests/kube/build.sh` (see `artifacts.py`).

    async with LocalKube.started() as kube:
        cfg = kube.configuration()          # kubernetes_asyncio Configuration, admin token
        print(kube.url, kube.kubeconfig_path)
"""

from controller.localkube.artifacts import Artifacts, locate_artifacts
from controller.localkube.plane import LocalKube, LocalKubeError

__all__ = ["Artifacts", "LocalKube", "LocalKubeError", "locate_artifacts"]
