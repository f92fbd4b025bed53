"""AWS Certificate Manager on the emulator's port (JSON 1.1, `X-Amz-Target: CertificateManager.<Op>`).

What latticegw needs from ACM, and nothing else: import (and re-import) the certificates of
listener certificateRefs Secrets, tag, list and describe them, delete them once unused, and
ListCertificates for certificate discovery. Validated against botocore's `acm` model like the rest
of the emulator; counted and fault-injected under the operation names.

    model.py         the botocore service model; which operations are served
    errors.py        ACM's JSON 1.1 errors
    certificates.py  the operations
"""

from ..json_front import JsonService
from . import certificates as c
from . import model
from .errors import AcmError, InvalidParameter, UnknownOperation, from_shared

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
    declared_errors=model.declared_errors, error=AcmError, from_shared=from_shared,
    invalid_parameter=InvalidParameter, unknown_operation=UnknownOperation, internal_code="InternalFailure",
)
