"""The Resource Groups Tagging API service model, loaded once from botocore.

Only the operations in SERVED are emulated; the rest of the service answers
UnknownOperationException (see front.py).
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "resourcegroupstaggingapi"
SERVED = frozenset({"GetResources", "TagResources", "UntagResources"})

# Fault rules and the shared front door speak Lattice's error names; these are the Tagging
# API's own names for the same failures, so one blanket rule ("*") covers both services.
FROM_LATTICE = {
    "ThrottlingException": "ThrottledException",
    "InternalServerException": "InternalServiceException",
    "ValidationException": "InvalidParameterException",
}


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@functools.cache
def target_prefix() -> str:
    """The `X-Amz-Target` prefix, e.g. ResourceGroupsTaggingAPI_20170126."""
    return service_model().metadata["targetPrefix"]


@functools.cache
def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.cache
def declared_errors(name: str) -> frozenset[str]:
    return frozenset(shape.name for shape in operation(name).error_shapes)


@functools.cache
def declared_as_lattice(name: str) -> frozenset[str]:
    """The op's declared errors under their Lattice names (for blanket fault rules)."""
    back = {v: k for k, v in FROM_LATTICE.items()}
    return frozenset(back.get(code, code) for code in declared_errors(name))
