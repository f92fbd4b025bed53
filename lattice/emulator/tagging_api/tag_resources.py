"""TagResources and UntagResources: the Tagging API's batch tagging over this partition's records.

The AWS controller tags through them (its additional-tags annotation), so they are served here with
the documented semantics: up to 20 ARNs per call (the model's limit, checked by the front door);
each ARN is tagged or untagged on its own, exactly as Lattice's TagResource / UntagResource would
(the same checks: Lattice's own model constraints on the request, reserved `aws:` keys, 200 tags a
resource); an ARN that fails lands in `FailedResourcesMap` with the HTTP status and the Tagging
API's error code (`InvalidParameterException` for a client error, else `InternalServiceException`)
while the others still succeed. The call itself succeeds unless its own input is invalid.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..ops import Ctx
from ..resources import tagging
from ..validation import validate_input


def tag_resources(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _each(ctx, p["ResourceARNList"], "TagResource",
                 lambda arn: {"resourceArn": arn, "tags": dict(p["Tags"])}, tagging.tag)


def untag_resources(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _each(ctx, p["ResourceARNList"], "UntagResource",
                 lambda arn: {"resourceArn": arn, "tagKeys": list(p["TagKeys"])}, tagging.untag)


def _each(ctx: Ctx, arns: list[str], lattice_op: str, params, handler) -> dict[str, Any]:
    failed: dict[str, dict[str, Any]] = {}
    for arn in dict.fromkeys(arns):  # an ARN listed twice is tagged once
        request = params(arn)
        try:
            validate_input(lattice_op, request)  # Lattice's model: its tag key/value patterns, ARN shape
            handler(ctx, request)
        except ApiError as exc:
            failed[arn] = {"StatusCode": exc.status, "ErrorMessage": exc.message,
                           "ErrorCode": "InvalidParameterException" if 400 <= exc.status < 500
                           else "InternalServiceException"}
    return {"FailedResourcesMap": failed}
