"""Tagging API errors and their JSON 1.1 wire form: `{"__type": code, "Message": ...}`.

botocore's JSON parser takes the code from `__type` and the text from
`message` or `Message`; coral services answer client errors with 400 (even
throttling and missing authentication), server faults with 500.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, GenericError
from .model import FROM_LATTICE

CONTENT_TYPE = "application/x-amz-json-1.1"


class TaggingError(ApiError):
    code = "InternalServiceException"

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
        return 500 if self.code == "InternalServiceException" else 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "Message": self.message}


class InvalidParameter(TaggingError):
    code = "InvalidParameterException"


class TokenExpired(TaggingError):
    code = "PaginationTokenExpiredException"


class UnknownOperation(TaggingError):
    code = "UnknownOperationException"


def from_shared(exc: ApiError) -> TaggingError:
    """Re-express an error raised by the shared machinery (auth, body reading, fault injection)
    in this service's vocabulary, keeping whether it was injected."""
    if isinstance(exc, TaggingError):
        return exc
    code = FROM_LATTICE.get(exc.code, exc.code)
    # An injected error with a code of its own keeps the status the rule asked for.
    status = exc.status if isinstance(exc, GenericError) and code == exc.code else None
    return TaggingError(exc.message, code=code, status=status, injected=exc.injected)
