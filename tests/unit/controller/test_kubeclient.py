"""Client configuration: kubeconfig with an exec credential plugin gets a token refresher."""

from __future__ import annotations

import sys

import yaml

from controller.kube.client import KubeClient, KubeError, load_configuration

CRED = ('import json; print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", '
        '"kind": "ExecCredential", "status": {"token": "tok-from-exec"}}))')


async def test_exec_plugin_token_and_refresher(tmp_path):
    kc = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                  "command": sys.executable, "args": ["-c", CRED]}}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kc))
    cfg = await load_configuration(str(path))
    client = KubeClient(cfg)
    try:
        headers = await client._headers(None)  # noqa: SLF001
        assert headers["authorization"] == "Bearer tok-from-exec"
        assert client._refresher is not None and not client._refresher.done()  # noqa: SLF001
        try:  # nothing listens on port 1: a transport failure is a KubeError with status 0
            await client.get("/api", timeout=2)
        except KubeError as exc:
            assert exc.status == 0
        else:  # pragma: no cover
            raise AssertionError("expected a transport error")
    finally:
        await client.close()
    assert client._refresher.done()  # noqa: SLF001
