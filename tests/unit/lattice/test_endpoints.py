"""The lean endpoint table resolves our services exactly as botocore's full one, and is all a client keeps."""

from __future__ import annotations

import gc

import botocore.session
from aiobotocore.session import AioSession
from botocore.regions import EndpointResolver

from lattice.client import ACM, LATTICE, TAGGING, LatticeClient
from lattice.config import LatticeConfig
from lattice.endpoints import lean_endpoint_data

SERVICES = (LATTICE, ACM, TAGGING)


def _outcome(resolver: EndpointResolver, service: str, region: str, **kw):
    try:
        return resolver.construct_endpoint(service, region, **kw)
    except Exception as exc:  # noqa: BLE001 - the same error, or the same answer
        return (type(exc).__name__, str(exc))


def test_every_region_resolves_as_with_the_full_table():
    full_data = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    lean_data = lean_endpoint_data(full_data, SERVICES)
    full, lean = EndpointResolver(full_data, True), EndpointResolver(lean_data, True)
    assert lean.get_available_partitions() == full.get_available_partitions()
    checked = 0
    for partition in full_data["partitions"]:
        name = partition["partition"]
        assert set(lean_data["partitions"][full_data["partitions"].index(partition)]["services"]) <= set(SERVICES)
        for service in SERVICES:
            assert lean.get_available_endpoints(service, name) == full.get_available_endpoints(service, name)
            for region in [*partition["regions"], "made-up-region-1"]:
                if region in partition["regions"]:
                    assert lean.get_partition_for_region(region) == full.get_partition_for_region(region)
                for fips in (False, True):
                    for dualstack in (False, True):
                        kw = {"use_fips_endpoint": fips, "use_dualstack_endpoint": dualstack}
                        assert _outcome(lean, service, region, **kw) == _outcome(full, service, region, **kw)
                        checked += 1
    assert checked > 500


async def test_the_client_session_keeps_only_the_lean_table():
    before = {id(o) for o in gc.get_objects() if isinstance(o, AioSession)}
    client = LatticeClient(LatticeConfig(region="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"))
    await client.open()
    try:
        assert client._clients[LATTICE].meta.endpoint_url == "https://vpc-lattice.eu-west-1.amazonaws.com"  # noqa: SLF001
        sessions = [o for o in gc.get_objects() if isinstance(o, AioSession) and id(o) not in before]
        assert sessions, "no botocore session found"
        for session in sessions:
            data = session._get_internal_component("endpoint_resolver")._endpoint_data  # noqa: SLF001
            assert all(set(p["services"]) <= set(SERVICES) for p in data["partitions"])
            loader = session.get_component("data_loader")
            assert not any("endpoints" in key for key in getattr(loader, "_cache", {})), "the full table is cached"
    finally:
        await client.close()
