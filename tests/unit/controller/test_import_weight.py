"""The running controller does not load kubernetes-asyncio's generated code, nor cryptography unasked.

In a fresh interpreter (the test process may have imported anything): import what `latticegw run`
imports, then use the kubeconfig features users rely on against a real TLS server on loopback
(client certificates, an exec credential plugin as `aws eks get-token`, a token file, the in-cluster
service account with token refresh), and check `sys.modules`. The generated API and model modules
(`kubernetes_asyncio.client.api.*`, `.client.models.*`, ~34 MiB) must not be there, nor
`cryptography` (~10 MiB; needed only for TLS Secrets and the webhook's own certificates). See
controller/kube/k8s_lib.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[3]

HEAVY = ("kubernetes_asyncio.client.api.", "kubernetes_asyncio.client.models.", "cryptography")

PROBE = r'''
import asyncio, datetime, json, ssl, sys
from aiohttp import web

from controller.cli import main as cli
cli.build_parser("run")  # imports controller.cli.run, as `latticegw run` does
from controller.cli import run  # noqa
from controller.kube.client import KubeClient, load_configuration  # what run.main imports
from controller.manager import Manager  # noqa
from controller.observe.sidecar import BindError  # noqa
import controller.reconcilers  # noqa
from controller.kube.k8s_lib import Configuration, config

d = sys.argv[1]

async def whoami(request):
    peer = request.transport.get_extra_info("peercert")
    cn = dict(x[0] for x in peer["subject"])["commonName"] if peer else None
    return web.json_response({"authorization": request.headers.get("Authorization"), "cert": cn})

async def main():
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ssl.load_cert_chain(f"{d}/server.crt", f"{d}/server.key")
    server_ssl.load_verify_locations(f"{d}/ca.crt")
    server_ssl.verify_mode = ssl.CERT_OPTIONAL
    app = web.Application()
    app.router.add_get("/whoami", whoami)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    out = {}

    async def ask(cfg):
        kube = KubeClient(cfg)
        try:
            return await kube.get("/whoami", timeout=20)
        finally:
            await kube.close()

    for user in ("certs", "exec", "tokenfile"):
        path = f"{d}/kubeconfig-{user}"
        with open(path) as f:
            text = f.read().replace("PORT", str(port))
        with open(path, "w") as f:
            f.write(text)
        out[user] = await ask(await load_configuration(path))

    # in-cluster: the service account token is re-read when it expires (kubelet rotates it)
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(port)}
    loader = config.incluster_config.InClusterConfigLoader(f"{d}/sa-token", f"{d}/ca.crt", environ=env)
    cfg = Configuration()
    loader.load_and_set(cfg)
    out["incluster"] = await ask(cfg)
    with open(f"{d}/sa-token", "w") as f:
        f.write("rotated-token")
    loader.token_expires_at = datetime.datetime.now()
    out["incluster-rotated"] = await ask(cfg)
    await runner.cleanup()
    return out

out = asyncio.run(main())
out["modules"] = sorted(m for m in sys.modules if m.startswith(tuple(json.loads(sys.argv[2]))))
print(json.dumps(out))
'''

CRED = ('import json; print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", '
        '"kind": "ExecCredential", "status": {"token": "tok-from-exec"}}))')


def _pem(obj) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _issue(name: str, issuer: x509.Certificate | None, issuer_key, *, server: bool = False):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1)))
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256()), key


def _kubeconfig(user: dict, ca: str) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:PORT", "certificate-authority": ca}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
    })


def test_the_controller_runs_without_generated_kubernetes_code_or_cryptography(tmp_path):
    ca, ca_key = _issue("test CA", None, None)
    server, server_key = _issue("server", ca, ca_key, server=True)
    client, client_key = _issue("latticegw-client", ca, ca_key)
    for name, obj in {"ca.crt": ca, "server.crt": server, "server.key": server_key,
                      "client.crt": client, "client.key": client_key}.items():
        (tmp_path / name).write_bytes(_pem(obj))
    (tmp_path / "user-token").write_text("tok-from-file")
    (tmp_path / "sa-token").write_text("sa-token")
    ca_file = str(tmp_path / "ca.crt")
    users = {
        "certs": {"client-certificate": str(tmp_path / "client.crt"), "client-key": str(tmp_path / "client.key")},
        "exec": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
                          "args": ["-c", CRED]}},
        "tokenfile": {"tokenFile": str(tmp_path / "user-token")},
    }
    for user, spec in users.items():
        (tmp_path / f"kubeconfig-{user}").write_text(_kubeconfig(spec, ca_file))

    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), json.dumps(HEAVY)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])

    assert got["certs"] == {"authorization": None, "cert": "latticegw-client"}
    assert got["exec"]["authorization"] == "Bearer tok-from-exec"
    assert got["tokenfile"]["authorization"] == "Bearer tok-from-file"
    assert got["incluster"]["authorization"] == "Bearer sa-token"
    assert got["incluster-rotated"]["authorization"] == "Bearer rotated-token"
    heavy = got["modules"]
    assert heavy == [], f"{len(heavy)} heavy modules loaded, e.g. {heavy[:5]}"


def test_the_whole_library_is_still_there_for_who_asks():
    """After k8s_lib, any other name of kubernetes-asyncio loads the real thing on first use."""
    probe = (
        "import controller.kube.k8s_lib as lib, sys\n"
        "import kubernetes_asyncio, kubernetes_asyncio.dynamic, kubernetes_asyncio.watch\n"
        "from kubernetes_asyncio import client\n"
        "from kubernetes_asyncio.client import models\n"
        "assert not any(m.startswith('kubernetes_asyncio.client.models.') for m in sys.modules)\n"
        "assert client.Configuration is lib.Configuration and client.ApiClient is lib.ApiClient\n"
        "assert client.CoreV1Api.__module__ == 'kubernetes_asyncio.client.api.core_v1_api'\n"
        "assert models.V1Pod is client.V1Pod and kubernetes_asyncio.__version__\n"
        "assert hasattr(client.ApiClient, 'deserialize') and kubernetes_asyncio.dynamic.DynamicClient\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
