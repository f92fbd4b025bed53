"""pytest fixtures for the real control plane: `kube` (session) and `namespace` (per test).

The `kube` fixture never skips: if the API server cannot be built or started, every
test that needs it errors with the reason, so a broken harness is loud.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import pytest_asyncio

from controller.localkube import LocalKube
from tests.harness.audit import AuditLog, apiserver_args

# Our own CRDs (the application-networking.k8s.aws policies and multicluster kinds) are installed
# next to the Gateway API ones, exactly the files users install.
DEPLOY_CRDS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "crds").glob("*.yaml"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kube(tmp_path_factory):
    workdir = Path(tmp_path_factory.mktemp("kube"))
    # The loopback servers must never be reached through a proxy.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    # The audit log lets a test count the writes the controller made (`kube.audit`).
    args, log = apiserver_args(workdir)
    async with LocalKube.started(workdir, keep_workdir=True, extra_crds=DEPLOY_CRDS,
                                 extra_apiserver_args=args) as plane:
        plane.audit = AuditLog(log)
        yield plane


@pytest_asyncio.fixture(loop_scope="session")
async def namespace(kube):
    name = f"t-{uuid.uuid4().hex[:10]}"
    await kube.create_namespace(name)
    yield name
    await kube.purge_namespace(name)


@pytest.fixture
def gateway_api_version():
    from controller.localkube.artifacts import _read_versions

    return _read_versions()["GATEWAY_API_VERSION"]
