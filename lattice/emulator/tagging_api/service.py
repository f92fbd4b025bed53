"""The JSON front end's service for these operations (kept out of __init__ so that importing
`model` does not import the request pipeline)."""

from ..json_front import JsonService
from . import model
from .errors import InvalidParameter, TaggingError, UnknownOperation
from .get_resources import get_resources
from .tag_resources import tag_resources, untag_resources

HANDLERS = {"GetResources": get_resources, "TagResources": tag_resources, "UntagResources": untag_resources}
assert set(HANDLERS) == model.SERVED

SERVICE = JsonService(
    target_prefix=model.target_prefix, handlers=HANDLERS, operation=model.operation,
    declared_errors=model.declared_errors, error=TaggingError,
    invalid_parameter=InvalidParameter, unknown_operation=UnknownOperation,
)
