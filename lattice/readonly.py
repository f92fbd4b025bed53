"""A LatticeClient that can only read: what `latticegw diff` talks to AWS through.

`LatticeSync.plan_source` and the networks' `dry_run` already write nothing by construction;
this makes it a guarantee: every Lattice or ACM operation that is not a read raises
`WriteRefused` before anything is sent, so a dry-run path that ever reached a write would fail
loudly instead of changing an account someone is about to cut over. (The Tagging API's
GetResources, the only tagging call the client makes, is a read.)
"""

from __future__ import annotations

from typing import Any

from lattice.client import LatticeClient, is_read

READS = ("Get", "List", "Describe")


class WriteRefused(RuntimeError):
    """A write was attempted through a read-only client."""


def _check(service: str, operation: str) -> None:
    if not (is_read(operation) or operation.startswith(READS)):
        raise WriteRefused(f"{service} {operation}: refused, this client only reads (a bug: please report it)")


class ReadOnlyClient(LatticeClient):
    async def call(self, operation: str, /, **params: Any) -> dict[str, Any]:
        _check("vpc-lattice", operation)
        return await super().call(operation, **params)

    async def acm(self, operation: str, /, **params: Any) -> dict[str, Any]:
        _check("acm", operation)
        return await super().acm(operation, **params)


__all__ = ["ReadOnlyClient", "WriteRefused"]
