"""The Resource Groups Tagging API service model, loaded once from botocore.

Only the operations in SERVED are emulated; the rest of the service answers
UnknownOperationException (see ../json_front.py).
"""

from __future__ import annotations

from ..json_model import JsonModel

SERVICE_NAME = "resourcegroupstaggingapi"
SERVED = frozenset({"GetResources", "TagResources", "UntagResources"})

# Fault rules and the shared front door speak Lattice's error names; these are the Tagging
# API's own names for the same failures, so one blanket rule ("*") covers both services.
FROM_LATTICE = {
    "ThrottlingException": "ThrottledException",
    "InternalServerException": "InternalServiceException",
    "ValidationException": "InvalidParameterException",
}

MODEL = JsonModel(SERVICE_NAME, SERVED, FROM_LATTICE)
target_prefix = MODEL.target_prefix  # ResourceGroupsTaggingAPI_20170126
operation = MODEL.operation
declared_errors = MODEL.declared_errors
declared_as_lattice = MODEL.declared_as_lattice
