"""Cutover on the AWS Gateway API Controller's own Lease (`amazon-vpc-lattice.io` in
`aws-application-networking-system`): while the AWS controller holds and renews it, latticegw
configured with that Lease (LATTICEGW_LEASE_NAME / LATTICEGW_LEASE_NAMESPACE) stands by and makes
no AWS call at all; when the AWS controller goes silent (scaled to zero, no release), latticegw
takes the Lease once the holder's lease duration has passed, and converges.

Real parts: the API server, the emulator over HTTP, the whole controller. The AWS controller is a
stand-in that writes the Lease through the API server as client-go's LeaseLock does
(tests/harness/lease_holder.py), with client-go's default timings (15 s lease, renewed every 2 s).
The timing assertions are bounds the protocol guarantees, not guesses: latticegw starts counting
a record's age when it first reads it, so it cannot take over sooner than 15 s after the holder's
last write, however slow the machine; the standby window is longer than a lease duration, so a
latticegw that ignored the holder would have taken over inside it. (The same scenario on virtual
time: tests/unit/controller/test_elector.py.)
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from controller import config as config_mod
from controller.embedded import running_manager
from controller.kube.client import KubeClient, load_configuration
from lattice.emulator import EmulatorControl, run_emulator
from tests.harness.controller import ENV, ControllerEnv
from tests.harness.lease_holder import ClientGoLeaseHolder
from tests.integration.e2e.helpers import WRITE_PREFIXES

pytestmark = pytest.mark.integration

NAMESPACE, NAME = "aws-application-networking-system", "amazon-vpc-lattice.io"  # the AWS controller's
HOLDER_LEASE = 15  # client-go's (and controller-runtime's) defaults, as the AWS controller runs
HOLDER_RETRY = 2.0
STANDBY_WINDOW = 20.0  # > one lease duration of standing by while the holder renews


async def test_latticegw_stands_by_on_the_aws_controllers_lease_and_takes_over_when_it_goes_silent(
        kube, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "itest", "AWS_SECRET_ACCESS_KEY": "itest",
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)
    loop = asyncio.get_running_loop()
    await kube.create_namespace(NAMESPACE)
    holder_kube = KubeClient(await load_configuration(str(kube.kubeconfig_path)))
    aws = ClientGoLeaseHolder(holder_kube, NAMESPACE, NAME, f"gateway-api-controller-{uuid.uuid4().hex[:5]}_"
                              f"{uuid.uuid4()}", duration=HOLDER_LEASE, retry_period=HOLDER_RETRY)
    env = None
    try:
        async with run_emulator(host="127.0.0.1", port=0) as emu, EmulatorControl(emu.url) as control:
            cfg = config_mod.load(
                {"kubeconfig": str(kube.kubeconfig_path), "sidecar_address": "127.0.0.1:0", "leader_elect": "true",
                 "queue_store": "memory", "log_level": "warning", "identity": f"latticegw-{uuid.uuid4().hex[:6]}"},
                dict(ENV, LATTICE_ENDPOINT=emu.url, LATTICEGW_ACM_ENDPOINT=emu.url,
                     LATTICEGW_LEASE_NAME=NAME, LATTICEGW_LEASE_NAMESPACE=NAMESPACE))
            assert (cfg.lease_namespace, cfg.lease_name) == (NAMESPACE, NAME)
            env = ControllerEnv(kube, emu, control, cfg, f"l{uuid.uuid4().hex[:6]}")
            objs = env.example("my-hotel")
            await env.create_service_networks(objs)  # the walkthrough's AWS CLI step, not latticegw's
            await aws.start()
            await control.reset_calls()

            async with running_manager(cfg) as manager:
                env.manager = manager
                await env.apply(objs)
                # Standing by: the Lease read (and found held), nothing led, nothing sent to AWS.
                await env.wait_until(lambda: getattr(manager.elector, "holder", None) == aws.identity,
                                     "latticegw has read the AWS controller's Lease")
                until = loop.time() + STANDBY_WINDOW
                while loop.time() < until:
                    assert not manager.elector.is_leader and not manager.leading, "led while the holder renews"
                    await asyncio.sleep(0.05)
                assert aws.healthy() and aws.renewals >= STANDBY_WINDOW / HOLDER_RETRY / 2
                assert (await control.calls())["calls"] == {}, "a standby called AWS"
                assert b'leader_election_master_status{name="amazon-vpc-lattice.io"} 0.0' in manager.metrics.render()

                # The AWS controller goes silent: latticegw takes over once the holder's lease ran out.
                await aws.stop_renewing()
                while not manager.elector.is_leader:
                    assert loop.time() - aws.last_sent < HOLDER_LEASE + 60, "never took over"
                    await asyncio.sleep(0.05)
                # (from when the holder's last write was sent: latticegw cannot have read it before)
                waited = loop.time() - aws.last_sent
                assert waited >= HOLDER_LEASE, f"took the Lease {waited:.1f}s after the holder's last renewal"
                lease = (await holder_kube.get(aws.path))["spec"]
                assert lease["holderIdentity"] == cfg.identity and lease["leaseTransitions"] == 1

                await env.wait_until(env.converged, "my-hotel converges after the takeover", timeout=120)
                calls = (await control.calls())["calls"]
                assert calls.get("CreateService", 0) >= 2 and any(op.startswith(WRITE_PREFIXES) for op in calls)
                await env.delete_all()
    finally:
        await aws.stop_renewing()
        if env is not None:
            for ns in sorted(env.namespaces):
                await kube.purge_namespace(ns)
        await kube.purge_namespace(NAMESPACE)
        await holder_kube.close()
