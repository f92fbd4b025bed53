from __future__ import annotations

import pytest

from lattice.config import DEFAULT_BUCKETS, LatticeConfig, from_env


def test_defaults_and_env():
    assert from_env({}) == LatticeConfig()
    cfg = from_env({"REGION": "eu-west-1", "LATTICE_ENDPOINT": "http://127.0.0.1:9", "LATTICEGW_AWS_WRITE_QPS": "3",
                    "LATTICEGW_AWS_MAX_ATTEMPTS": "2", "LATTICEGW_AWS_POOL": "64"}, region="us-east-1")
    assert cfg.region == "us-east-1" and cfg.endpoint_url == "http://127.0.0.1:9"
    assert cfg.buckets["write"].rate == 3 and cfg.buckets["write"].burst == DEFAULT_BUCKETS["write"].burst
    assert cfg.buckets["read"] == DEFAULT_BUCKETS["read"]
    assert cfg.max_attempts == 2 and cfg.max_pool_connections == 64


@pytest.mark.parametrize("value", ["x", "0", "-1"])
def test_bad_values_name_the_variable(value):
    with pytest.raises(ValueError, match="LATTICEGW_AWS_READ_QPS"):
        from_env({"LATTICEGW_AWS_READ_QPS": value})
