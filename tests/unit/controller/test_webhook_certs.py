"""The webhook certificate's pure parts: names from the configuration, when to renew, a chain that verifies."""

from __future__ import annotations

import datetime as dt

from cryptography import x509

from controller.webhook.certs import (
    RENEW_BEFORE,
    SERVING_LIFETIME,
    expires_before,
    hosts_of,
    needs_renewal,
    new_ca,
    new_serving,
)

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc)


def test_names_follow_the_client_config():
    service = {"webhooks": [{"clientConfig": {"service": {"name": "gw-webhook", "namespace": "sys"}}}]}
    assert hosts_of(service) == ["gw-webhook.sys.svc", "gw-webhook.sys.svc.cluster.local"]
    assert hosts_of({"webhooks": [{"clientConfig": {"url": "https://127.0.0.1:9443/mutate-pod"}}]}) == ["127.0.0.1"]
    assert hosts_of({"webhooks": []}) == []


def test_a_serving_certificate_is_renewed_30_days_before_expiry_or_when_names_change():
    ca, ca_key = new_ca(NOW)
    crt, _ = new_serving(ca, ca_key, ["gw-webhook.sys.svc", "127.0.0.1"], NOW)
    assert not needs_renewal(crt, ["gw-webhook.sys.svc", "127.0.0.1"], NOW)
    assert not needs_renewal(crt, ["gw-webhook.sys.svc"], NOW + SERVING_LIFETIME - RENEW_BEFORE - dt.timedelta(days=1))
    assert needs_renewal(crt, ["gw-webhook.sys.svc"], NOW + SERVING_LIFETIME - RENEW_BEFORE + dt.timedelta(days=1))
    assert needs_renewal(crt, ["other.sys.svc"], NOW)
    assert needs_renewal(None, ["x"], NOW) and needs_renewal(b"", ["x"], NOW) and needs_renewal(b"junk", ["x"], NOW)


def test_the_serving_certificate_is_signed_by_the_ca_and_the_ca_outlives_it():
    ca_pem, ca_key = new_ca(NOW)
    crt_pem, _ = new_serving(ca_pem, ca_key, ["gw-webhook.sys.svc"], NOW)
    ca, crt = x509.load_pem_x509_certificate(ca_pem), x509.load_pem_x509_certificate(crt_pem)
    crt.verify_directly_issued_by(ca)
    assert crt.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH])
    assert not expires_before(ca_pem, NOW + SERVING_LIFETIME + RENEW_BEFORE)
    assert expires_before(crt_pem, NOW + SERVING_LIFETIME + RENEW_BEFORE)
