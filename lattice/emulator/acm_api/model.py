"""The ACM service model, loaded once from botocore. Only SERVED operations are emulated."""

from __future__ import annotations

from ..json_model import JsonModel

SERVICE_NAME = "acm"
SERVED = frozenset({"ImportCertificate", "ListCertificates", "DescribeCertificate", "DeleteCertificate",
                    "ListTagsForCertificate", "AddTagsToCertificate", "RemoveTagsFromCertificate"})

# Fault rules speak Lattice's error names; ACM's names for the same failures.
FROM_LATTICE = {"InternalServerException": "InternalFailure"}

MODEL = JsonModel(SERVICE_NAME, SERVED, FROM_LATTICE)
target_prefix = MODEL.target_prefix  # CertificateManager
operation = MODEL.operation
declared_errors = MODEL.declared_errors
declared_as_lattice = MODEL.declared_as_lattice
