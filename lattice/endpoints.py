"""botocore's endpoint table cut to the services a session's clients call.

Why: every botocore session builds its legacy `EndpointResolver` from `endpoints.json`, the
endpoints of every AWS service in every partition (~1 MB of JSON, ~6.6 MiB as Python objects), and
keeps it, and the loader's cached copy, for the session's life. LatticeClient calls three services
(vpc-lattice, and acm and resourcegroupstaggingapi when switched on). So its session gets a
resolver built from a copy of the table with only those services in each partition: the partitions'
regions, defaults and DNS suffixes are kept whole, so every endpoint of those services resolves
exactly as with the full table (tests/unit/lattice/test_endpoints.py compares them region by
region). The full table is read by a throwaway loader and freed at once.

botocore has no public hook for this: `_register_internal_component` is how botocore's own
`Session` registers the resolver (`_register_endpoint_resolver`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.loaders import create_loader
from botocore.regions import EndpointResolver


def lean_endpoint_data(data: dict[str, Any], services: Iterable[str]) -> dict[str, Any]:
    keep = set(services)
    return {**data, "partitions": [
        {**p, "services": {s: v for s, v in (p.get("services") or {}).items() if s in keep}}
        for p in data["partitions"]]}


def use_lean_endpoints(botocore_session: Any, services: Iterable[str]) -> None:
    """Give `botocore_session` (before its first client) a resolver that knows only `services`."""
    loader = create_loader(botocore_session.get_config_variable("data_path"))  # its cache dies with it
    data, path = loader.load_data_with_path("endpoints")
    resolver = EndpointResolver(lean_endpoint_data(data, services), uses_builtin_data=loader.is_builtin_path(path))
    botocore_session._register_internal_component("endpoint_resolver", resolver)
