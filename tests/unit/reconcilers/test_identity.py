"""Without its AWS identity the controller refuses to start instead of tagging with placeholders."""

from __future__ import annotations

import subprocess
import sys

import pytest

from controller.config import Config, ConfigError, translate_config

IDENTITY = {"region": "eu-west-1", "aws_account_id": "111122223333", "cluster_name": "prod",
            "cluster_vpc_id": "vpc-0123456789abcdef0"}


def test_identity_makes_the_ownership_tag():
    tc = translate_config(Config(**IDENTITY))
    assert tc.managed_by == "111122223333/prod/vpc-0123456789abcdef0"
    assert tc.region == "eu-west-1"


@pytest.mark.parametrize("field, env", [("region", "REGION"), ("aws_account_id", "AWS_ACCOUNT_ID"),
                                        ("cluster_name", "CLUSTER_NAME"), ("cluster_vpc_id", "CLUSTER_VPC_ID")])
def test_each_missing_part_is_named(field, env):
    with pytest.raises(ConfigError, match=env):
        translate_config(Config(**{**IDENTITY, field: ""}))


def test_latticegw_run_exits_2_naming_the_variables(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    # A kubeconfig that parses; the process must stop before it ever connects.
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "current-context: x\n"
    )
    # Unset parts are discovered from instance metadata first (tests/integration/runtime/
    # test_identity_discovery.py); here that is switched off, so they are a configuration error.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "REGION": "us-west-2", "AWS_EC2_METADATA_DISABLED": "true"}
    out = subprocess.run(
        [sys.executable, "-m", "controller.cli.main", "run", "--kubeconfig", str(kubeconfig), "--leader-elect", "false",
         "--queue-store", "memory", "--sidecar-address", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert out.returncode == 2, out.stderr
    assert "AWS_ACCOUNT_ID, CLUSTER_VPC_ID, CLUSTER_NAME: unset" in out.stderr, out.stderr
