"""The read-only client `latticegw diff` uses refuses every write before anything is sent."""

from __future__ import annotations

import asyncio

import pytest

from lattice.config import LatticeConfig
from lattice.readonly import ReadOnlyClient, WriteRefused


@pytest.mark.parametrize("op", ["CreateService", "DeleteTargetGroup", "TagResource", "BatchUpdateRule",
                                "PutAuthPolicy", "RegisterTargets", "UpdateListener"])
def test_writes_are_refused(op):
    client = ReadOnlyClient(LatticeConfig(endpoint_url="http://127.0.0.1:9"))  # never opened: nothing is sent
    with pytest.raises(WriteRefused, match=op):
        asyncio.run(client.call(op))


@pytest.mark.parametrize("op", ["ImportCertificate", "DeleteCertificate", "AddTagsToCertificate"])
def test_acm_writes_are_refused(op):
    client = ReadOnlyClient(LatticeConfig(endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(WriteRefused, match=op):
        asyncio.run(client.acm(op))


def test_reads_go_through():
    client = ReadOnlyClient(LatticeConfig(endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(RuntimeError, match="not open"):  # past the guard, to the (unopened) client
        asyncio.run(client.call("ListServices"))
