"""ACM errors in their JSON 1.1 wire form: `{"__type": code, "message": ...}`, 400 unless a fault."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, GenericError
from .model import FROM_LATTICE


class AcmError(ApiError):
    code = "InternalFailure"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 injected: bool = False) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self._status = status
        self.injected = injected

    @property
    def status(self) -> int:
        if self._status is not None:
            return self._status
        return 500 if self.code == "InternalFailure" else 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


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


def from_shared(exc: ApiError) -> AcmError:
    if isinstance(exc, AcmError):
        return exc
    code = FROM_LATTICE.get(exc.code, exc.code)
    status = exc.status if isinstance(exc, GenericError) and code == exc.code else None
    return AcmError(exc.message, code=code, status=status, injected=exc.injected)
