"""Which proxy the API server is reached through: client-go's rules (Go's net/http/httpproxy).

The NO_PROXY cases are Go's own documented ones ("foo.com" matches foo.com and bar.foo.com;
".y.com" matches x.y.com but not y.com; CIDR blocks; ports; "*"), and Go never proxies
localhost or a loopback address; the kubeconfig's proxy-url applies to any host.
"""

from __future__ import annotations

import pytest

from controller.kube.client import api_server_proxy

PROXY = "http://proxy.corp:3128"

CASES = [
    # (server, env, expected)
    ("https://api.example.com", {}, None),
    ("https://api.example.com", {"HTTPS_PROXY": PROXY}, PROXY),
    ("https://api.example.com", {"https_proxy": PROXY}, PROXY),
    ("https://api.example.com", {"HTTPS_PROXY": PROXY, "https_proxy": "http://lower:1"}, PROXY),
    ("https://api.example.com", {"HTTP_PROXY": PROXY}, None),  # an https server uses HTTPS_PROXY only
    ("http://api.example.com", {"HTTP_PROXY": PROXY}, PROXY),
    ("https://localhost:6443", {"HTTPS_PROXY": PROXY}, None),
    ("https://127.0.0.1:6443", {"HTTPS_PROXY": PROXY}, None),
    ("https://[::1]:6443", {"HTTPS_PROXY": PROXY}, None),
    ("https://example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "example.com"}, None),
    ("https://foo.example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "example.com"}, None),
    ("https://example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": ".example.com"}, PROXY),
    ("https://x.example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": ".example.com"}, None),
    ("https://x.example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "*.example.com"}, None),
    ("https://example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "ample.com"}, PROXY),
    ("https://example.com", {"HTTPS_PROXY": PROXY, "no_proxy": " other.org , EXAMPLE.com "}, None),
    ("https://anything.example", {"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, None),
    # the in-cluster API server (KUBERNETES_SERVICE_HOST) behind a service-CIDR entry
    ("https://10.100.0.1:443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.100.0.0/16"}, None),
    ("https://10.101.0.1:443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.100.0.0/16"}, PROXY),
    ("https://[fd00::1]:443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "fd00::/8"}, None),
    ("https://10.0.0.5", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.5"}, None),
    # ports: an entry with one matches that port only (the server's default port counts)
    ("https://api.example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "api.example.com:443"}, None),
    ("https://api.example.com:6443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "api.example.com:443"}, PROXY),
    ("https://10.0.0.5:6443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.5:6443"}, None),
    ("https://10.0.0.5:6443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.5:443"}, PROXY),
    ("https://[fd00::1]:6443", {"HTTPS_PROXY": PROXY, "NO_PROXY": "[fd00::1]:6443"}, None),
    ("https://api.example.com", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8,not a cidr/99"}, PROXY),
]


@pytest.mark.parametrize("server,env,expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_environment(server, env, expected):
    assert api_server_proxy(server, None, env) == expected


def test_kubeconfig_proxy_url_applies_to_any_host():
    assert api_server_proxy("https://127.0.0.1:6443", "http://127.0.0.1:3128", {"NO_PROXY": "*"}) == \
        "http://127.0.0.1:3128"
