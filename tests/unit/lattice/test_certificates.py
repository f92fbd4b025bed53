from __future__ import annotations

import pytest

from lattice.certificates import covers, pick


@pytest.mark.parametrize("pattern,domain,ok", [
    ("a.example.com", "a.example.com", True),
    ("A.Example.com.", "a.example.com", True),
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("b.example.com", "a.example.com", False),
])
def test_covers(pattern, domain, ok):
    assert covers(pattern, domain) is ok


def test_pick_prefers_exact_then_stable():
    certs = [
        {"CertificateArn": "arn:c/3", "DomainName": "*.example.com"},
        {"CertificateArn": "arn:c/2", "DomainName": "other.com", "SubjectAlternativeNameSummaries": ["a.example.com"]},
        {"CertificateArn": "arn:c/1", "DomainName": "a.example.com"},
    ]
    assert pick(certs, "a.example.com") == "arn:c/1"
    assert pick(certs, "b.example.com") == "arn:c/3"
    assert pick(certs, "nope.org") is None
