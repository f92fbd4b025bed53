"""What the JSON 1.1 services (acm_api/, tagging_api/) share besides the request pipeline: their
botocore service model and their error base class.

Kept apart from json_front.py on purpose: faults.py imports the services' models (to know which
errors an operation declares), and json_front imports core, which imports faults; a model that
imported json_front would close that cycle. This module imports only ..errors and botocore.

    MODEL = JsonModel("acm", served={...}, from_lattice={"InternalServerException": "InternalFailure"})

    class AcmError(JsonError):
        code = internal_code = "InternalFailure"
        from_lattice = MODEL.from_lattice
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

import botocore.session
from botocore.model import OperationModel, ServiceModel

from .errors import ApiError, GenericError


class JsonModel:
    """One JSON 1.1 service's botocore model (loaded once, on first use) and which of its operations
    are served. `from_lattice`: the service's own names for the failures fault rules name the
    Lattice way (so one blanket rule covers every service on the port)."""

    def __init__(self, service_name: str, served: frozenset[str], from_lattice: Mapping[str, str]) -> None:
        self.service_name = service_name
        self.served = served
        self.from_lattice = dict(from_lattice)
        self._to_lattice = {v: k for k, v in self.from_lattice.items()}
        # Per instance, so the caches hold no reference cycle through `self`.
        self.operation = functools.cache(self._operation)
        self.declared_errors = functools.cache(self._declared_errors)
        self.declared_as_lattice = functools.cache(self._declared_as_lattice)

    @functools.cached_property
    def service_model(self) -> ServiceModel:
        return botocore.session.get_session().get_service_model(self.service_name)

    def target_prefix(self) -> str:
        """The `X-Amz-Target` prefix, e.g. CertificateManager, ResourceGroupsTaggingAPI_20170126."""
        return self.service_model.metadata["targetPrefix"]

    def _operation(self, name: str) -> OperationModel:
        return self.service_model.operation_model(name)

    def _declared_errors(self, name: str) -> frozenset[str]:
        return frozenset(shape.name for shape in self.operation(name).error_shapes)

    def _declared_as_lattice(self, name: str) -> frozenset[str]:
        """The operation's declared errors under their Lattice names (for blanket fault rules)."""
        return frozenset(self._to_lattice.get(code, code) for code in self.declared_errors(name))


class JsonError(ApiError):
    """A JSON 1.1 service's error: `{"__type": code, <message_key>: message}`; 500 for the service's
    internal failure (`internal_code`), 400 for everything else (coral answers client errors, even
    throttling, with 400), unless a fault rule asked for a status."""

    internal_code: ClassVar[str]
    message_key: ClassVar[str] = "message"
    from_lattice: ClassVar[Mapping[str, str]] = {}

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
        return 500 if self.code == self.internal_code else 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, self.message_key: self.message}

    @classmethod
    def from_shared(cls, exc: ApiError) -> ApiError:
        """Re-express an error raised by the shared machinery (auth, body reading, fault injection)
        in this service's vocabulary, keeping whether it was injected."""
        if isinstance(exc, cls):
            return exc
        code = cls.from_lattice.get(exc.code, exc.code)
        # An injected error with a code of its own keeps the status the rule asked for.
        status = exc.status if isinstance(exc, GenericError) and code == exc.code else None
        return cls(exc.message, code=code, status=status, injected=exc.injected)
