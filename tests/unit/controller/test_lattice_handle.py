"""The controller's Lattice client honours the documented environment knobs (lattice.config.from_env)."""

from controller.config import Config
from controller.reconcilers.lattice_handle import lattice_config
from lattice.config import DEFAULT_BUCKETS


def test_lattice_knobs_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LATTICEGW_AWS_WRITE_QPS", "3")
    monkeypatch.setenv("LATTICEGW_AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("DISABLE_TAGGING_SERVICE_API", "true")  # the reference's name (private clusters)
    monkeypatch.delenv("LATTICEGW_AWS_POOL", raising=False)
    cfg = lattice_config(Config(workers=40), "eu-west-1")
    assert cfg.buckets["write"].rate == 3
    assert cfg.max_attempts == 2
    assert cfg.use_tagging_api is False
    assert cfg.region == "eu-west-1"
    assert cfg.endpoint_url is None
    assert cfg.max_pool_connections == 80  # one per worker and room for its parallel ops


def test_defaults_and_explicit_pool(monkeypatch):
    for name in ("LATTICEGW_AWS_WRITE_QPS", "LATTICEGW_AWS_MAX_ATTEMPTS", "DISABLE_TAGGING_SERVICE_API"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LATTICEGW_AWS_POOL", "7")
    cfg = lattice_config(Config(workers=4, lattice_endpoint="http://127.0.0.1:9"), "us-west-2")
    assert cfg.max_pool_connections == 7
    assert cfg.endpoint_url == "http://127.0.0.1:9"
    assert cfg.buckets["write"] == DEFAULT_BUCKETS["write"]
