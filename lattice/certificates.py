"""ACM certificates for custom domains: imported from listener Secrets, or discovered.

Precedence (the AWS controller's, extended): the `certificate-arn` TLS option; else the listener's
`certificateRefs` Secret, imported into ACM (`CertificateImporter`); else discovery
(`CertificateFinder`); else, without a custom domain, Lattice's own certificate.

**Discovery.** One ListCertificates sweep (ISSUED, RSA_2048 only: "VPC Lattice only supports
certificates with 2048-bit RSA keys", and ACM's default filter would also bring RSA_1024 ones a
service cannot use) is cached for `ttl` seconds, so discovery costs nothing per reconcile. Matching follows ACM/TLS rules: an exact name, or a wildcard
`*.example.com` that covers exactly one more label. An exact match wins over a wildcard; ties go to
the lexically first ARN so the choice is stable.

**Import.** One ACM certificate per Secret (however many routes use it), tagged ManagedBy (ours),
SecretNamespace/SecretName and the certificate fingerprint translate computed. A changed Secret (a
cert-manager renewal) is re-imported in place: same ARN, so Lattice services using it need no
update. Our imported certificates are found at first use (ListCertificates + tags of IMPORTED
ones), so a restart neither re-imports nor leaks. A certificate is deleted when an apply stopped
using it and no Lattice service we know of still does; ACM itself refuses to delete one a service
uses (ResourceInUseException), which keeps it. ARNs an apply is still working with are never
collected (`hold`), so two routes sharing a Secret cannot race an import against a delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from lattice.client import LatticeClient
from lattice.errors import LatticeError, NotFound
from translate.certificates import covers  # one TLS name-matching rule for import and discovery
from translate.model import ANNOTATION_PREFIX, Certificate, Source

log = structlog.get_logger("latticegw.lattice")

# Every key type ACM imports or issues (ListCertificates' default is RSA_1024 and RSA_2048 only):
# finding our imported certificates must see all of them.
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
# The only key type a Lattice service serves (VPC Lattice user guide, Bring Your Own Certificate).
SERVABLE_KEY_TYPES = ["RSA_2048"]
MANAGED_BY = ANNOTATION_PREFIX + "ManagedBy"
SECRET_NAMESPACE = ANNOTATION_PREFIX + "SecretNamespace"
SECRET_NAME = ANNOTATION_PREFIX + "SecretName"
FINGERPRINT = "latticegw.io/certificate-fingerprint"
# DeleteCertificate tries (about one per 2 s requeue) while ACM says a service still uses it.
MAX_RELEASE_ATTEMPTS = 30


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
                                         Includes={"keyTypes": SERVABLE_KEY_TYPES},
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


@dataclass(slots=True)
class Imported:
    arn: str
    fingerprint: str


class CertificateImporter:
    """Listener Secrets as ACM certificates (needs LatticeClient(with_acm=True))."""

    def __init__(self, client: LatticeClient, managed_by: str) -> None:
        self.client = client
        self.managed_by = managed_by
        self.ours: dict[Source, Imported] | None = None  # by Secret; None until loaded
        self._load_lock = asyncio.Lock()
        self._locks: dict[Source, asyncio.Lock] = {}
        self._held: Counter[str] = Counter()  # ARNs an apply is working with
        self._released: dict[str, list[Any]] = {}  # ARN -> [source that released it, delete attempts]

    async def load(self) -> dict[Source, Imported]:
        async with self._load_lock:
            if self.ours is None:
                ours: dict[Source, Imported] = {}
                token = None
                while True:
                    page = await self.client.acm("ListCertificates", MaxItems=1000, Includes={"keyTypes": KEY_TYPES},
                                                 **({"NextToken": token} if token else {}))
                    for summary in page.get("CertificateSummaryList", ()):
                        if summary.get("Type") == "IMPORTED":
                            await self._adopt(ours, summary["CertificateArn"])
                    token = page.get("NextToken")
                    if not token:
                        break
                self.ours = ours
        return self.ours

    async def _adopt(self, ours: dict[Source, Imported], arn: str) -> None:
        try:
            got = await self.client.acm("ListTagsForCertificate", CertificateArn=arn)
        except NotFound:
            return
        tags = {t["Key"]: t.get("Value", "") for t in got.get("Tags", ())}
        if tags.get(MANAGED_BY) != self.managed_by or not tags.get(SECRET_NAME):
            return  # not ours: never touched
        ours[Source("Secret", tags.get(SECRET_NAMESPACE, ""), tags[SECRET_NAME])] = Imported(arn, tags.get(FINGERPRINT, ""))

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[list[str]]:
        """ARNs appended to the yielded list are not collected until the block ends."""
        held: list[str] = []
        try:
            yield held
        finally:
            self._held.subtract(held)
            self._held += Counter()  # drop zero counts

    async def planned(self, cert: Certificate) -> tuple[str | None, bool]:
        """What `ensure` would do, without doing it (reads only): (the ARN it would return, if it
        exists already; whether it would import the certificate, anew or in place)."""
        known = (await self.load()).get(cert.source)
        if known is None:
            return None, True
        return known.arn, known.fingerprint != cert.fingerprint

    async def ensure(self, cert: Certificate, held: list[str]) -> str:
        """The ACM ARN of the Secret's certificate, importing or re-importing it when needed."""
        ours = await self.load()
        lock = self._locks.setdefault(cert.source, asyncio.Lock())
        async with lock:
            known = ours.get(cert.source)
            if known is not None and known.fingerprint == cert.fingerprint:
                arn = known.arn
            else:
                body: dict[str, Any] = {"Certificate": cert.certificate.encode(),
                                        "PrivateKey": cert.private_key.encode()}
                if cert.chain:
                    body["CertificateChain"] = cert.chain.encode()
                if known is not None:
                    try:
                        await self.client.acm("ImportCertificate", CertificateArn=known.arn, **body)
                        await self.client.acm("AddTagsToCertificate", CertificateArn=known.arn,
                                              Tags=[{"Key": FINGERPRINT, "Value": cert.fingerprint}])
                        arn = known.arn
                        log.info("certificate re-imported", secret=cert.source.key, arn=arn)
                    except NotFound:  # deleted behind our back: import anew
                        ours.pop(cert.source, None)
                        known = None
                if known is None:
                    got = await self.client.acm("ImportCertificate", **body, Tags=[
                        {"Key": MANAGED_BY, "Value": self.managed_by},
                        {"Key": SECRET_NAMESPACE, "Value": cert.source.namespace},
                        {"Key": SECRET_NAME, "Value": cert.source.name},
                        {"Key": FINGERPRINT, "Value": cert.fingerprint}])
                    arn = got["CertificateArn"]
                    log.info("certificate imported", secret=cert.source.key, arn=arn)
                ours[cert.source] = Imported(arn, cert.fingerprint)
            held.append(arn)
            self._held[arn] += 1
            self._released.pop(arn, None)  # wanted again
            return arn

    def owns(self, arn: str | None) -> bool:
        return arn is not None and self.ours is not None and any(i.arn == arn for i in self.ours.values())

    def release(self, arns: Iterable[str | None], source: Source) -> None:
        """An apply of `source` stopped using these ARNs: delete the ones that are ours once no
        service uses them (see `collect`)."""
        for arn in arns:
            if arn is not None and self.owns(arn):
                self._released[arn] = [source, 0]

    async def collect(self, in_use: set[str], source: Source) -> list[str]:
        """Try to delete released certificates that no known service uses and no apply holds.

        Returns the ARNs of `source`'s releases still waiting (ACM says a service still uses them,
        e.g. one Lattice is deleting): its reconcile should look again soon. After
        MAX_RELEASE_ATTEMPTS tries a certificate is left alone (logged), so a certificate some
        service outside our view keeps using never makes a route requeue forever.
        """
        waiting: list[str] = []
        for arn in sorted(self._released):
            owner, attempts = self._released[arn]
            entry = next(((s, i) for s, i in (self.ours or {}).items() if i.arn == arn), None)
            if entry is None:
                self._released.pop(arn, None)  # gone already
                continue
            if self._held[arn] > 0:
                continue  # an apply is about to use it
            # a service we know of still has it (maybe one Lattice is deleting), or ACM says one does
            if arn in in_use or not await self._delete(arn):
                self._released[arn][1] = attempts + 1
                if attempts + 1 >= MAX_RELEASE_ATTEMPTS:
                    log.warning("certificate still in use; left in ACM", arn=arn, secret=entry[0].key)
                    self._released.pop(arn, None)
                elif owner == source:
                    waiting.append(arn)
                continue
            self._released.pop(arn, None)
            if self.ours is not None and self.ours.get(entry[0]) is not None and self.ours[entry[0]].arn == arn:
                del self.ours[entry[0]]
            log.info("certificate deleted", secret=entry[0].key, arn=arn)
        return waiting

    async def _delete(self, arn: str) -> bool:
        """DeleteCertificate; False when ACM says a service still uses it."""
        try:
            await self.client.acm("DeleteCertificate", CertificateArn=arn)
        except NotFound:
            pass
        except LatticeError as exc:
            if exc.code == "ResourceInUseException":
                return False
            raise
        return True
