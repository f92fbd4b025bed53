"""AWS Certificate Manager on the emulator's port (JSON 1.1, `X-Amz-Target: CertificateManager.<Op>`).

What latticegw needs from ACM, and nothing else: import (and re-import) the certificates of
listener certificateRefs Secrets, tag, list and describe them, delete them once unused, and
ListCertificates for certificate discovery. Validated against botocore's `acm` model like the rest
of the emulator; counted and fault-injected under the operation names.

    model.py         the botocore service model; which operations are served
    errors.py        ACM's JSON 1.1 errors
    certificates.py  the operations
    service.py       the handlers wired into the JSON front end (SERVICE)
"""
