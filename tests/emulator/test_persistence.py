"""State survives restarts: in-process via state_file, and through the CLI with --state."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aioboto3

from controller.localkube.plane import die_with_parent
from lattice.emulator import EmulatorControl, run_emulator

from .helpers import forward, path_match


def _client(url: str):
    return aioboto3.Session().client("vpc-lattice", endpoint_url=url, region_name="us-west-2",
                                     aws_access_key_id="test", aws_secret_access_key="test")


async def test_restart_keeps_resources_indexes_and_tokens(tmp_path):
    state = tmp_path / "lattice.json"
    async with run_emulator(state_file=state, delays={"delete": 60}) as emu:
        async with _client(emu.url) as c:
            svc = await c.create_service(name="durable", clientToken="t-1", tags={"k": "v"})
            group = await c.create_target_group(name="durable-tg", type="IP",
                                                config={"protocol": "HTTP", "vpcIdentifier": "vpc-12345678"})
            listener = await c.create_listener(serviceIdentifier=svc["id"], name="http", protocol="HTTP",
                                               defaultAction={"fixedResponse": {"statusCode": 404}})
            await c.create_rule(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"], name="rule1",
                                priority=1, match=path_match("/a"), action=forward(group["id"]))
            await c.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.9"}])
            doomed = await c.create_service(name="doomed")
            await c.get_service(serviceIdentifier=doomed["id"])
            await c.delete_service(serviceIdentifier=doomed["id"])  # DELETE_IN_PROGRESS for 60 s
        async with emu.control() as ctl:
            before = await ctl.state()
    assert state.exists()

    async with run_emulator(state_file=state, delays={"delete": 60}) as emu:
        async with _client(emu.url) as c, EmulatorControl(emu.url) as ctl:
            after = await ctl.state()
            assert after == before
            again = await c.create_service(name="durable", clientToken="t-1", tags={"k": "v"})
            assert again["id"] == svc["id"]  # idempotency tokens survive too
            got = await c.get_service(serviceIdentifier=svc["arn"])
            assert got["status"] == "ACTIVE"
            assert (await c.get_service(serviceIdentifier=doomed["id"]))["status"] == "DELETE_IN_PROGRESS"
            rules = (await c.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]))["items"]
            assert [r["name"] for r in rules] == ["default", "rule1"]
            tg = await c.get_target_group(targetGroupIdentifier=group["id"])
            assert tg["serviceArns"] == [svc["arn"]]  # reference counts were persisted
            targets = (await c.list_targets(targetGroupIdentifier=group["id"]))["items"]
            assert [(t["id"], t["status"]) for t in targets] == [("10.0.0.9", "HEALTHY")]
            # Name index rebuilt: duplicates still conflict, new names still work.
            try:
                await c.create_service(name="durable")
                raise AssertionError("duplicate name accepted after restart")
            except c.exceptions.ConflictException:
                pass
            await c.create_service(name="fresh")
            assert [s["name"] for s in (await c.list_services())["items"]] == ["durable", "doomed", "fresh"]


async def test_cli_restart_with_state_file(tmp_path):
    state = tmp_path / "cli-state.json"

    async def start() -> tuple[asyncio.subprocess.Process, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller.cli.main", "emulator", "--port", "0", "--state", str(state),
            "--quota", "service_networks=1",
            stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=die_with_parent)
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert "listening on http://" in line, line
        return proc, line.rsplit(" ", 1)[1].strip()

    proc, url = await start()
    try:
        async with _client(url) as c:
            sn = await c.create_service_network(name="cli-net")
            try:
                await c.create_service_network(name="cli-net-two")
                raise AssertionError("--quota was ignored")
            except c.exceptions.ServiceQuotaExceededException:
                pass
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    proc, url = await start()
    try:
        async with _client(url) as c:
            got = await c.get_service_network(serviceNetworkIdentifier=sn["id"])
            assert got["name"] == "cli-net"
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


async def test_corrupt_state_file_refuses_to_start(tmp_path):
    import pytest

    from lattice.emulator.persistence import StateFileError

    state = tmp_path / "bad.json"
    state.write_text('{"version": 1, "partitions": [{"nope": 1}]}')
    with pytest.raises(StateFileError):
        async with run_emulator(state_file=state):
            pass
    assert state.read_text().startswith('{"version": 1')  # left untouched for inspection


async def test_cli_throttle_profile():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controller.cli.main", "emulator", "--port", "0",
        "--throttle", "writes=0.001/s:1,reads=1000/s",
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=die_with_parent)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        url = line.rsplit(" ", 1)[1].strip()
        async with _client(url) as c:
            await c.create_service_network(name="first-write")
            try:
                await c.create_service_network(name="second-write")
                raise AssertionError("--throttle was ignored")
            except c.exceptions.ThrottlingException as exc:
                assert exc.response["retryAfterSeconds"] >= 1
            for _ in range(5):
                await c.list_service_networks()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
