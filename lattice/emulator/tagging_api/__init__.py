"""The Resource Groups Tagging API (GetResources, TagResources, UntagResources) on the emulator's port.

The controller finds its Lattice resources at start-up with one paged
GetResources query instead of a ListTagsForResource per resource; serving it
here lets that path run against the emulator too. It reads the same partitions
as the Lattice API (account from the access key, region from the credential
scope) and is counted and fault-injected under the operation name `GetResources`.

    model.py          the botocore service model; which operations are served
    errors.py         JSON 1.1 errors, and the Lattice-to-Tagging error names
    get_resources.py  GetResources: filters, pages, tokens
    tag_resources.py  TagResources / UntagResources: per-ARN Lattice tagging, failures per ARN

The request pipeline (`POST /` + `X-Amz-Target`) is ../json_front.py, shared with acm_api/.
"""

from ..json_front import JsonService
from . import model
from .errors import InvalidParameter, TaggingError, UnknownOperation, from_shared
from .get_resources import get_resources
from .tag_resources import tag_resources, untag_resources

HANDLERS = {"GetResources": get_resources, "TagResources": tag_resources, "UntagResources": untag_resources}
assert set(HANDLERS) == model.SERVED

SERVICE = JsonService(
    target_prefix=model.target_prefix, handlers=HANDLERS, operation=model.operation,
    declared_errors=model.declared_errors, error=TaggingError, from_shared=from_shared,
    invalid_parameter=InvalidParameter, unknown_operation=UnknownOperation,
    internal_code="InternalServiceException",
)
