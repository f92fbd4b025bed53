"""Typed errors of the AWS layer. Reconcilers catch `RetryLater` (requeue after `retry_after`)."""

from __future__ import annotations

import enum
from typing import Any

from botocore.exceptions import ClientError


class LatticeError(Exception):
    """A Lattice call failed for good (validation, access denied, quota, ...)."""

    def __init__(self, operation: str, code: str, message: str, response: dict[str, Any] | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation, self.code, self.message = operation, code, message
        self.response = response or {}

    @property
    def resource_type(self) -> str | None:
        return self.response.get("resourceType")

    @property
    def resource_id(self) -> str | None:
        return self.response.get("resourceId")


class NotFound(LatticeError):
    pass


class Conflict(LatticeError):
    pass


class RetryLater(LatticeError):
    """Throttled or transiently failing beyond our bounded retry budget: requeue the key after
    `retry_after` seconds instead of parking a worker."""

    def __init__(self, operation: str, code: str, message: str, retry_after: float,
                 response: dict[str, Any] | None = None) -> None:
        super().__init__(operation, code, message, response)
        self.retry_after = retry_after


RETRYABLE_CODES = frozenset({
    "ThrottlingException", "InternalServerException", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException", "InternalFailure", "500", "502", "503", "504",
    "ThrottledException", "InternalServiceException",  # the Resource Groups Tagging API's names
})
THROTTLE_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling", "429",
                            "ThrottledException"})


def code_of(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def classify(operation: str, exc: ClientError) -> LatticeError:
    """A botocore ClientError as one of our types (RetryLater is built by the client itself)."""
    code = code_of(exc)
    resp = dict(exc.response)
    msg = str(resp.get("Error", {}).get("Message") or resp.get("message") or "")
    if code == "ResourceNotFoundException":
        return NotFound(operation, code, msg, resp)
    if code == "ConflictException":
        return Conflict(operation, code, msg, resp)
    return LatticeError(operation, code, msg, resp)


class Verdict(enum.Enum):
    """What a failed call means for the step that made it (one policy for plans and networks)."""

    DONE = "done"  # the intent already holds: a delete (deregister, untag) of something gone
    IN_PROGRESS = "in_progress"  # blocked by a transition that ends by itself: look again soon
    RETRY_LATER = "retry_later"  # throttled or failing beyond our retry budget: after retry_after
    FAILED = "failed"  # report it; the caller forgets what it believed about the resource


_REMOVALS = ("Delete", "Deregister", "Untag")


def verdict(api: str, exc: LatticeError) -> Verdict:
    """NotFound on a removal is done. A Conflict is in progress when Lattice names a transition
    (*_IN_PROGRESS), on any delete (what blocks it is being deleted too: associations, listeners)
    and on target (de)registration (the target group is still being created or drained)."""
    if isinstance(exc, RetryLater):
        return Verdict.RETRY_LATER
    if isinstance(exc, NotFound):
        return Verdict.DONE if api.startswith(_REMOVALS) else Verdict.FAILED
    if isinstance(exc, Conflict):
        if "IN_PROGRESS" in exc.message or api.startswith("Delete") or api in ("RegisterTargets",
                                                                                  "DeregisterTargets"):
            return Verdict.IN_PROGRESS
        return Verdict.FAILED
    return Verdict.FAILED
