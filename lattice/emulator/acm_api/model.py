"""The ACM service model, loaded once from botocore. Only SERVED operations are emulated."""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "acm"
SERVED = frozenset({"ImportCertificate", "ListCertificates", "DescribeCertificate", "DeleteCertificate",
                    "ListTagsForCertificate", "AddTagsToCertificate", "RemoveTagsFromCertificate"})

# Fault rules speak Lattice's error names; ACM's names for the same failures.
FROM_LATTICE = {"InternalServerException": "InternalFailure"}


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@functools.cache
def target_prefix() -> str:
    return service_model().metadata["targetPrefix"]  # CertificateManager


@functools.cache
def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.cache
def declared_errors(name: str) -> frozenset[str]:
    return frozenset(shape.name for shape in operation(name).error_shapes)


@functools.cache
def declared_as_lattice(name: str) -> frozenset[str]:
    back = {v: k for k, v in FROM_LATTICE.items()}
    return frozenset(back.get(code, code) for code in declared_errors(name))
