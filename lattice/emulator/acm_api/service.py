"""The JSON front end's service for these operations (kept out of __init__ so that importing
`model` does not import the request pipeline)."""

from ..json_front import JsonService
from . import certificates as c
from . import model
from .errors import AcmError, InvalidParameter, UnknownOperation

HANDLERS = {
    "ImportCertificate": c.import_certificate,
    "ListCertificates": c.list_certificates,
    "DescribeCertificate": c.describe_certificate,
    "DeleteCertificate": c.delete_certificate,
    "ListTagsForCertificate": c.list_tags,
    "AddTagsToCertificate": c.add_tags,
    "RemoveTagsFromCertificate": c.remove_tags,
}
assert set(HANDLERS) == model.SERVED

SERVICE = JsonService(
    target_prefix=model.target_prefix, handlers=HANDLERS, operation=model.operation,
    declared_errors=model.declared_errors, error=AcmError,
    invalid_parameter=InvalidParameter, unknown_operation=UnknownOperation,
)
