"""Scope guards: the emulator serves exactly the operations the spec asks for, each one is
exercised by a contract test, and the state file is written on a timer while running."""

from __future__ import annotations

import asyncio
import pathlib

from botocore import xform_name

from lattice.emulator import run_emulator
from lattice.emulator.model import service_model
from lattice.emulator.ops import HANDLERS

# Spec section 1: the 40 core operations, the 9 for IAM auth and access logs, and tagging.
CORE = """
CreateServiceNetwork ListServiceNetworks GetServiceNetwork DeleteServiceNetwork
CreateService ListServices GetService UpdateService DeleteService
CreateServiceNetworkServiceAssociation ListServiceNetworkServiceAssociations
GetServiceNetworkServiceAssociation DeleteServiceNetworkServiceAssociation
CreateServiceNetworkVpcAssociation ListServiceNetworkVpcAssociations GetServiceNetworkVpcAssociation
UpdateServiceNetworkVpcAssociation DeleteServiceNetworkVpcAssociation
CreateListener ListListeners GetListener UpdateListener DeleteListener
CreateRule ListRules BatchUpdateRule GetRule UpdateRule DeleteRule
CreateTargetGroup ListTargetGroups GetTargetGroup UpdateTargetGroup DeleteTargetGroup
RegisterTargets DeregisterTargets ListTargets
TagResource UntagResource ListTagsForResource
""".split()
AUTH_AND_LOGS = """
UpdateServiceNetwork CreateAccessLogSubscription ListAccessLogSubscriptions GetAccessLogSubscription
UpdateAccessLogSubscription DeleteAccessLogSubscription PutAuthPolicy GetAuthPolicy DeleteAuthPolicy
""".split()
RESOURCE_POLICY = ["PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy"]


def test_scope_matches_the_spec():
    assert len(CORE) == 40 and len(AUTH_AND_LOGS) == 9
    wanted = set(CORE) | set(AUTH_AND_LOGS) | set(RESOURCE_POLICY)
    assert set(HANDLERS) == wanted
    assert wanted <= set(service_model().operation_names)


def test_every_operation_has_a_contract_test():
    text = "".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_contract*.py"))
    text += pathlib.Path(__file__).parent.joinpath("test_seed_walkthrough.py").read_text()
    untested = sorted(op for op in HANDLERS if f".{xform_name(op)}(" not in text)
    assert untested == []


async def test_state_saved_on_a_timer(tmp_path):
    state = tmp_path / "timer.json"
    async with run_emulator(state_file=state, save_interval=0.1) as emu:
        import aioboto3

        async with aioboto3.Session().client("vpc-lattice", **emu.client_kwargs()) as c:
            await c.create_service_network(name="timed")
        for _ in range(50):
            if state.exists() and b"timed" in state.read_bytes():
                break
            await asyncio.sleep(0.05)
        assert b"timed" in state.read_bytes()


async def test_package_docstring_example_runs():
    import textwrap

    import lattice.emulator as package

    doc = package.__doc__
    block = doc.split("::\n\n", 1)[1].split("\n\n`run_emulator`", 1)[0]
    source = "async def _example():\n" + textwrap.indent(textwrap.dedent(block), "    ") + "\n    return state\n"
    namespace: dict = {}
    exec(compile(source, "lattice/emulator/__init__.py docstring", "exec"), namespace)
    state = await namespace["_example"]()
    assert [n["name"] for n in state["serviceNetworks"]] == ["my-hotel"]
