"""ACM certificate discovery for custom domains (when a route's HTTPS listener names no certificate).

One ListCertificates sweep (ISSUED only) is cached for `ttl` seconds, so discovery costs nothing per
reconcile. Matching follows ACM/TLS rules: an exact name, or a wildcard `*.example.com` that covers
exactly one more label. An exact match wins over a wildcard; ties go to the lexically first ARN so
the choice is stable.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from lattice.client import LatticeClient


def covers(pattern: str, domain: str) -> bool:
    pattern, domain = pattern.lower().rstrip("."), domain.lower().rstrip(".")
    if pattern == domain:
        return True
    if pattern.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def pick(summaries: Iterable[dict[str, Any]], domain: str) -> str | None:
    exact: list[str] = []
    wild: list[str] = []
    for s in summaries:
        names = [s.get("DomainName", "")] + list(s.get("SubjectAlternativeNameSummaries") or ())
        if any(n.lower().rstrip(".") == domain.lower().rstrip(".") for n in names):
            exact.append(s["CertificateArn"])
        elif any(covers(n, domain) for n in names):
            wild.append(s["CertificateArn"])
    for group in (exact, wild):
        if group:
            return sorted(group)[0]
    return None


class CertificateFinder:
    def __init__(self, client: LatticeClient, ttl: float = 300.0) -> None:
        self.client = client
        self.ttl = ttl
        self._summaries: list[dict[str, Any]] = []
        self._at = -1e9

    async def _load(self) -> None:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = await self.client.acm("ListCertificates", CertificateStatuses=["ISSUED"], MaxItems=1000,
                                         **({"NextToken": token} if token else {}))
            items.extend(page.get("CertificateSummaryList", ()))
            token = page.get("NextToken")
            if not token:
                break
        self._summaries, self._at = items, time.monotonic()

    async def find(self, domain: str) -> str | None:
        if time.monotonic() - self._at > self.ttl:
            await self._load()
        found = pick(self._summaries, domain)
        if found is None and time.monotonic() - self._at > 30:
            await self._load()  # a certificate issued since the last sweep
            found = pick(self._summaries, domain)
        return found
