"""ACM errors in their JSON 1.1 wire form: `{"__type": code, "message": ...}`, 400 unless a fault."""

from __future__ import annotations

from ..json_model import JsonError
from .model import FROM_LATTICE


class AcmError(JsonError):
    code = internal_code = "InternalFailure"
    from_lattice = FROM_LATTICE


class InvalidParameter(AcmError):
    code = "InvalidParameterException"


class InvalidArn(AcmError):
    code = "InvalidArnException"


class NotFound(AcmError):
    code = "ResourceNotFoundException"


class InUse(AcmError):
    code = "ResourceInUseException"


class Validation(AcmError):
    code = "ValidationException"


class UnknownOperation(AcmError):
    code = "UnknownOperationException"
