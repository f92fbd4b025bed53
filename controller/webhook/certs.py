"""The webhook's serving certificate.

Two sources, one interface (`current()` -> (cert PEM, key PEM), `refresh()` periodically):

- `FileCerts`: `tls.crt` / `tls.key` in a directory, e.g. a Secret that cert-manager keeps and the
  chart mounts (the AWS controller's `/etc/webhook-cert` layout). Re-read when they change, so a
  renewal needs no restart.
- `SecretCerts`: latticegw keeps a CA and a serving certificate in a Secret of its namespace and
  patches the CA into its MutatingWebhookConfiguration. Every replica runs it: the first to find
  the Secret empty (or the certificate within `RENEW_BEFORE` of expiry) writes a new one with the
  Secret's resourceVersion as precondition; the others lose the race with a 409, read the
  winner's, and all serve the same certificate. The CA lives ten years and is kept across serving
  certificate renewals, so the bundle the API server trusts does not change when the certificate
  does. The names in the certificate follow the webhook configuration's clientConfig (its
  Service's DNS names, or its URL's host), so it matches however the API server reaches us.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog

from controller.kube.client import KubeClient, KubeError

if TYPE_CHECKING:
    from cryptography import x509

# cryptography (~10 MiB of RSS) is imported by the functions that make or read certificates, not
# here: a controller without the webhook, or serving cert-manager's files (FileCerts), never loads it.

SERVING_LIFETIME = dt.timedelta(days=365)
CA_LIFETIME = dt.timedelta(days=3650)
RENEW_BEFORE = dt.timedelta(days=30)
ADMISSION = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"

log = structlog.get_logger("latticegw.webhook")


def _pem_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(host: str) -> x509.GeneralName:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def new_ca(now: dt.datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "latticegw-webhook-ca")])
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def new_serving(ca_pem: bytes, ca_key_pem: bytes, hosts: list[str], now: dt.datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + SERVING_LIFETIME)
            .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def needs_renewal(cert_pem: bytes | None, hosts: list[str], now: dt.datetime) -> bool:
    """Missing, unparsable, expiring within RENEW_BEFORE, or not naming every host."""
    if not cert_pem:
        return True
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return True
    have = {str(v) for v in names.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in names.get_values_for_type(x509.IPAddress)}
    return cert.not_valid_after_utc - now < RENEW_BEFORE or not set(hosts) <= have


def expires_before(cert_pem: bytes, when: dt.datetime) -> bool:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc < when
    except ValueError:
        return True


def hosts_of(webhook_configuration: Mapping[str, Any]) -> list[str]:
    """The names the API server uses to reach us, from the configuration's clientConfig."""
    out: list[str] = []
    for hook in webhook_configuration.get("webhooks") or ():
        client = hook.get("clientConfig") or {}
        if client.get("url"):
            host = urlsplit(client["url"]).hostname
            if host:
                out.append(host)
        elif client.get("service"):
            svc = client["service"]
            out += [f"{svc['name']}.{svc['namespace']}.svc", f"{svc['name']}.{svc['namespace']}.svc.cluster.local"]
    return sorted(dict.fromkeys(out))


class FileCerts:
    def __init__(self, directory: str) -> None:
        self.dir = Path(directory)

    async def current(self) -> tuple[bytes, bytes]:
        return (self.dir / "tls.crt").read_bytes(), (self.dir / "tls.key").read_bytes()


class SecretCerts:
    def __init__(self, kube: KubeClient, namespace: str, secret: str, configuration: str) -> None:
        self.kube = kube
        self.path = f"/api/v1/namespaces/{namespace}/secrets/{secret}"
        self.namespace, self.secret = namespace, secret
        self.configuration = configuration

    async def current(self) -> tuple[bytes, bytes]:
        """The serving certificate and key, (re)issued when needed; the CA bundle made current."""
        config = await self.kube.get(f"{ADMISSION}/{self.configuration}")
        hosts = hosts_of(config)
        if not hosts:
            raise RuntimeError(f"MutatingWebhookConfiguration {self.configuration} names no service or URL")
        for _ in range(5):
            secret = await self._read()
            data = {k: base64.b64decode(v) for k, v in ((secret or {}).get("data") or {}).items()}
            now = dt.datetime.now(dt.timezone.utc)
            if not needs_renewal(data.get("tls.crt"), hosts, now):
                await self._patch_bundle(config, data["ca.crt"])
                return data["tls.crt"], data["tls.key"]
            ca, ca_key = data.get("ca.crt"), data.get("ca.key")
            if not ca or not ca_key or expires_before(ca, now + SERVING_LIFETIME + RENEW_BEFORE):
                ca, ca_key = new_ca(now)
            crt, key = new_serving(ca, ca_key, hosts, now)
            if await self._write(secret, {"ca.crt": ca, "ca.key": ca_key, "tls.crt": crt, "tls.key": key}):
                log.info("webhook certificate issued", hosts=hosts, secret=f"{self.namespace}/{self.secret}")
            # written or lost the race: read back what is there now
        raise RuntimeError(f"could not settle Secret {self.namespace}/{self.secret} (conflicts)")

    async def _read(self) -> Mapping[str, Any] | None:
        try:
            return await self.kube.get(self.path)
        except KubeError as exc:
            if exc.not_found:
                return None
            raise

    async def _write(self, current: Mapping[str, Any] | None, data: Mapping[str, bytes]) -> bool:
        body: dict[str, Any] = {
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": self.secret, "namespace": self.namespace,
                         "labels": {"app.kubernetes.io/managed-by": "latticegw"}},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}
        try:
            if current is None:
                await self.kube.request("POST", self.path.rsplit("/", 1)[0], body=body)
            else:
                body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                body["metadata"]["labels"] = {**(current["metadata"].get("labels") or {}), **body["metadata"]["labels"]}
                await self.kube.request("PUT", self.path, body=body)
        except KubeError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    async def _patch_bundle(self, config: Mapping[str, Any], ca: bytes) -> None:
        bundle = base64.b64encode(ca).decode()
        hooks = config.get("webhooks") or []
        if all((h.get("clientConfig") or {}).get("caBundle") == bundle for h in hooks):
            return
        updated = dict(config)
        updated["webhooks"] = [{**h, "clientConfig": {**(h.get("clientConfig") or {}), "caBundle": bundle}}
                               for h in hooks]
        try:
            await self.kube.request("PUT", f"{ADMISSION}/{self.configuration}", body=updated)
            log.info("webhook CA bundle updated", configuration=self.configuration)
        except KubeError as exc:
            if exc.status != 409:
                raise  # 409: another replica wrote it; the next refresh compares again
