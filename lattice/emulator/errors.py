"""Lattice errors as exceptions, and their wire encoding.

Handlers raise these; the server turns them into exactly what botocore parses:
status code, `x-amzn-ErrorType`, and a JSON body holding `message` plus the
members the model declares for that error (resourceId, fieldList, ...).
"""

from __future__ import annotations

from typing import Any

# HTTP status per error code. The modelled ones match the service model's
# `httpStatusCode`; the two auth errors come from the API Gateway front door.
STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "InternalServerException": 500,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
}


class ApiError(Exception):
    """An error answer. `fields` are extra modelled body members."""

    code = "InternalServerException"
    # Injected by fault rules (not emulated behaviour), so exempt from the strict model check.
    injected = False

    def __init__(self, message: str, *, retry_after: int | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.fields = {k: v for k, v in fields.items() if v is not None}

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.fields}


class ValidationError(ApiError):
    code = "ValidationException"

    def __init__(
        self,
        message: str,
        *,
        reason: str = "fieldValidationFailed",
        field_list: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, fieldList=field_list or None)


class NotFound(ApiError):
    code = "ResourceNotFoundException"

    def __init__(self, resource_type: str, resource_id: str, message: str | None = None) -> None:
        super().__init__(
            message or f"{_pretty(resource_type)} {resource_id} not found",
            resourceId=resource_id,
            resourceType=resource_type,
        )


class Conflict(ApiError):
    code = "ConflictException"

    def __init__(self, resource_type: str, resource_id: str, message: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class QuotaExceeded(ApiError):
    code = "ServiceQuotaExceededException"

    def __init__(self, resource_type: str, quota_code: str, message: str, resource_id: str | None = None) -> None:
        super().__init__(
            message,
            resourceType=resource_type,
            serviceCode="vpc-lattice",
            quotaCode=quota_code,
            resourceId=resource_id,
        )


class Throttled(ApiError):
    code = "ThrottlingException"
    injected = True  # throttling only ever comes from the fault injector

    def __init__(self, message: str = "Rate exceeded", retry_after: int = 1, quota_code: str | None = None) -> None:
        super().__init__(message, retry_after=retry_after, serviceCode="vpc-lattice", quotaCode=quota_code)


class AccessDenied(ApiError):
    code = "AccessDeniedException"


class InternalError(ApiError):
    code = "InternalServerException"


class GenericError(ApiError):
    """Any code chosen at run time (fault injection); unknown codes answer `status` (default 400)."""

    injected = True

    def __init__(self, code: str, message: str, retry_after: int | None = None, status: int | None = None,
                 **fields: Any) -> None:
        super().__init__(message, retry_after=retry_after, **fields)
        self.code = code
        self._status = status

    @property
    def status(self) -> int:
        return STATUS.get(self.code) or self._status or 400


def _pretty(resource_type: str) -> str:
    return resource_type.replace("_", " ").title().replace(" ", "")


class UnknownOperation(ApiError):
    """404 ValidationException for routes we do not serve (as AWS answers them)."""

    code = "ValidationException"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Unknown operation {method} {path}", reason="unknownOperation")

    @property
    def status(self) -> int:
        return 404
