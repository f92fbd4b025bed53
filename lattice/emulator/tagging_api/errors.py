"""Tagging API errors and their JSON 1.1 wire form: `{"__type": code, "Message": ...}`.

botocore's JSON parser takes the code from `__type` and the text from
`message` or `Message`; coral services answer client errors with 400 (even
throttling and missing authentication), server faults with 500.
"""

from __future__ import annotations

from ..json_model import JsonError
from .model import FROM_LATTICE


class TaggingError(JsonError):
    code = internal_code = "InternalServiceException"
    message_key = "Message"
    from_lattice = FROM_LATTICE


class InvalidParameter(TaggingError):
    code = "InvalidParameterException"


class TokenExpired(TaggingError):
    code = "PaginationTokenExpiredException"


class UnknownOperation(TaggingError):
    code = "UnknownOperationException"
