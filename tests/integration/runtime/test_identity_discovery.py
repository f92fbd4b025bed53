"""REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID and CLUSTER_NAME unset: discovered from EC2 instance metadata
(IMDSv2 and EC2 DescribeTags) as the AWS controller does, here from the emulator's instance on
loopback; against real AWS, placeholder values are refused at start."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import replace

import pytest

from controller import config as config_mod
from lattice.emulator import EmulatorControl, run_emulator

from .replicas import ROOT

pytestmark = pytest.mark.integration

INSTANCE = {"instanceId": "i-0aaaabbbbccccdddd", "mac": "0e:01:02:03:04:05", "vpcId": "vpc-0feedfacefeedface",
            "tags": {"aws:eks:cluster-name": "prod-eks", "Name": "node-1"}}
CREDS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@pytest.fixture
async def instance():
    async with run_emulator("127.0.0.1", 0, account="210987654321", region="eu-west-1") as emu:
        async with EmulatorControl(emu.url) as ctl:
            await ctl.configure(instance=INSTANCE)
            yield emu, ctl


async def test_unset_identity_is_discovered_from_instance_metadata(instance, monkeypatch):
    emu, ctl = instance
    for k, v in CREDS.items():  # the standard chain's credentials, as IRSA gives them on EKS
        monkeypatch.setenv(k, v)
    cfg = config_mod.load({}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT": emu.url, "AWS_ENDPOINT_URL_EC2": emu.url,
                                "LATTICE_ENDPOINT": emu.url})
    done = await config_mod.complete_identity(cfg)
    assert (done.region, done.aws_account_id, done.cluster_vpc_id, done.cluster_name) == (
        "eu-west-1", "210987654321", "vpc-0feedfacefeedface", "prod-eks")
    assert (await ctl.calls())["calls"] == {"DescribeTags": 1}

    # Only what is missing is asked for: the cluster name given, EC2 is never called.
    await ctl.reset_calls()
    part = await config_mod.complete_identity(replace(cfg, cluster_name="given", region="us-east-2"))
    assert (part.cluster_name, part.region, part.aws_account_id) == ("given", "us-east-2", "210987654321")
    assert (await ctl.calls())["calls"] == {}


async def test_discovery_failures_name_the_variable(instance, monkeypatch):
    emu, ctl = instance
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    await ctl.configure(instance={"tags": {"Name": "node-1"}})  # not an EKS node
    cfg = config_mod.load({}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT": emu.url, "AWS_ENDPOINT_URL_EC2": emu.url,
                                "REGION": "eu-west-1", "AWS_ACCOUNT_ID": "210987654321",
                                "CLUSTER_VPC_ID": "vpc-0feedfacefeedface", "LATTICE_ENDPOINT": emu.url})
    with pytest.raises(config_mod.ConfigError, match="CLUSTER_NAME.*aws:eks:cluster-name"):
        await config_mod.complete_identity(cfg)
    with pytest.raises(config_mod.ConfigError, match="AWS_EC2_METADATA_DISABLED"):
        await config_mod.complete_identity(replace(cfg, imds_disabled=True))


@pytest.mark.parametrize("env,needle", [
    ({"REGION": "SET-ME"}, "REGION: 'SET-ME' is a placeholder"),
    ({"CLUSTER_VPC_ID": "SET-ME"}, "CLUSTER_VPC_ID: 'SET-ME' is a placeholder"),
    ({"CLUSTER_NAME": "SET-ME"}, "CLUSTER_NAME: 'SET-ME' is a placeholder"),
    ({"AWS_ACCOUNT_ID": "123456789012"}, "AWS_ACCOUNT_ID: '123456789012' is a placeholder"),
    ({"CLUSTER_VPC_ID": "vpc-00000000000000000"}, "is a placeholder"),
    ({"REGION": "moon-base-1x"}, "REGION: 'moon-base-1x' is not an AWS region"),
    ({"CLUSTER_VPC_ID": "vpc-123"}, "is not a VPC id"),
])
def test_placeholder_identity_is_refused_against_real_aws(env, needle):
    base = {"REGION": "eu-west-1", "AWS_ACCOUNT_ID": "210987654321", "CLUSTER_VPC_ID": "vpc-0feedfacefeedface",
            "CLUSTER_NAME": "prod-eks"}
    cfg = config_mod.load({}, {**base, **env})
    with pytest.raises(config_mod.ConfigError, match=needle.replace("(", r"\(")):
        config_mod.check_identity(cfg)
    config_mod.check_identity(config_mod.load({}, {**base, **env, "LATTICE_ENDPOINT": "http://127.0.0.1:1"}))


async def _run(env: dict[str, str], tmp_path, until: str | None = None) -> tuple[int | None, str]:
    """`latticegw run` with a kubeconfig that parses but leads nowhere; stopped once `until` is logged."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "current-context: x\n")
    # AWS_EC2_METADATA_DISABLED too: discovery reads instance metadata, and earlier code in this
    # pytest process may have set it (lattice_handle does, for an emulator endpoint)
    full = {k: v for k, v in os.environ.items() if k not in ("REGION", "AWS_REGION", "AWS_ACCOUNT_ID",
                                                              "CLUSTER_VPC_ID", "CLUSTER_NAME", "LATTICE_ENDPOINT",
                                                              "AWS_EC2_METADATA_DISABLED")}
    full.update({"PYTHONUNBUFFERED": "1", **env})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controller.cli.main", "run", "--kubeconfig", str(kubeconfig), "--leader-elect",
        "false", "--queue-store", "memory", "--sidecar-address", "127.0.0.1:0",
        cwd=str(ROOT), env=full, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out = b""
    try:
        async with asyncio.timeout(60):
            while line := await proc.stdout.readline():
                out += line
                if until is not None and until.encode() in line:
                    break
    finally:
        if proc.returncode is None and until is not None:
            proc.terminate()
        await proc.wait()
    return proc.returncode, out.decode()


async def test_latticegw_run_discovers_its_identity_then_starts(instance, tmp_path):
    """The real process: identity unset, instance metadata on loopback. It discovers all four values
    (logged) and starts (stopped here once it logs them)."""
    emu, _ = instance
    code, out = await _run({"AWS_EC2_METADATA_SERVICE_ENDPOINT": emu.url, "AWS_ENDPOINT_URL_EC2": emu.url,
                            "LATTICE_ENDPOINT": emu.url, **CREDS}, tmp_path, until='"aws identity"')
    (line,) = [json.loads(text) for text in out.splitlines() if '"aws identity"' in text]
    assert {k: line[k] for k in ("region", "account", "vpc", "cluster")} == {
        "region": "eu-west-1", "account": "210987654321", "vpc": "vpc-0feedfacefeedface", "cluster": "prod-eks"}
    assert "configuration error" not in out, out


async def test_latticegw_run_refuses_set_me_against_real_aws(tmp_path):
    code, out = await _run({"REGION": "SET-ME", "AWS_ACCOUNT_ID": "210987654321", "CLUSTER_VPC_ID": "SET-ME",
                            "CLUSTER_NAME": "SET-ME"}, tmp_path)
    assert code == 2 and "REGION: 'SET-ME' is a placeholder" in out, out
