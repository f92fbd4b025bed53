"""`latticegw diff` before a switch: what `run` would adopt, change and delete, with nothing written.

Lattice and Kubernetes are seeded exactly as the AWS Gateway API Controller leaves them (the same
state as test_switch.py, from aws_controller.converged_switch_state), and `latticegw diff` runs as
a user runs it: the installed command, a kubeconfig, the emulator as LATTICE_ENDPOINT. It must
write nothing (the emulator counts every operation; the API server's audit log records every
write and the objects' resourceVersions stay), and what it predicts is checked against what
`latticegw run` then actually does: the emulator's counts of each write operation must equal the
diff's, so a diff wired to any other planner than the controller's fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import orjson
import pytest

from tests.harness.audit import WRITE_VERBS
from tests.harness.controller import ENV
from tests.integration.e2e.aws_controller import ROUTE_KINDS, converged_switch_state
from tests.integration.e2e.helpers import MANAGED_BY, conditions, edited, find, idle, status_current, writes

pytestmark = pytest.mark.integration

THEIRS = "210987654321/other-cluster/vpc-0fedcba9876543210"
A = "application-networking.k8s.aws/"
LEGACY_FINALIZER = "service.ki8s.aws/resources"  # (sic) the AWS controller's early Service finalizer


async def latticegw_diff(env, *args: str) -> tuple[int, Any, str]:
    """Run `latticegw diff --kubeconfig ... ARGS` as a user would; (exit code, parsed JSON or text, stderr)."""
    exe = os.path.join(os.path.dirname(sys.executable), "latticegw")
    environ = {**os.environ, **ENV, "LATTICE_ENDPOINT": env.emulator.url, "LATTICEGW_ACM_ENDPOINT": env.emulator.url}
    proc = await asyncio.create_subprocess_exec(
        exe, "diff", "--kubeconfig", str(env.kube.kubeconfig_path), *args, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    assert proc.returncode is not None
    text = out.decode()
    return proc.returncode, (json.loads(text) if "json" in args else text), err.decode()


def kube_writes_since(env, mark: int) -> list[dict]:
    """Every write (any group: objects, status, Events, Leases) by a latticegw client since `mark`."""
    path = env.kube.audit.path
    with path.open("rb") as f:
        f.seek(mark)
        data = f.read()
    recs = [orjson.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]
    return [r for r in recs if r.get("userAgent", "").startswith("latticegw/") and r.get("verb") in WRITE_VERBS]


async def versions(env, objs: list[dict]) -> dict[str, str | None]:
    out = {}
    for o in objs:
        live = await env.get(o)
        out[f"{o['kind']}/{o['metadata'].get('namespace')}/{o['metadata']['name']}"] = (
            live["metadata"]["resourceVersion"] if live else None)
    return out


def rows(report: dict, kind: str, namespace: str, name: str) -> list[dict]:
    (entry,) = [e for e in report["lattice"] if (e["kind"], e["namespace"], e["name"]) == (kind, namespace, name)]
    return entry["changes"]


async def no_writes_while(env, objs: list[dict], *args: str) -> tuple[int, Any, str, dict[str, int]]:
    """Run the diff and prove it wrote nothing: no AWS write (the emulator's per-operation counts),
    no API-server write (the audit log), no object changed (resourceVersions)."""
    before = await versions(env, objs)
    mark = env.kube.audit.size()
    await env.reset_calls()
    code, out, err = await latticegw_diff(env, *args)
    calls = await env.calls()
    assert code in (0, 1, 3), err
    assert writes(calls) == {}, calls
    assert kube_writes_since(env, mark) == []
    assert await versions(env, objs) == before
    return code, out, err, calls


async def test_diff_predicts_the_switch_and_writes_nothing(make_controller_env):
    async with make_controller_env() as env:
        objs, seeded = await converged_switch_state(env)

        # 1. Before the switch: everything the AWS controller made is adopted or kept, nothing else.
        code, report, err, calls = await no_writes_while(env, objs, "-o", "json")
        print(f"\ndiff on the AWS controller's state: {sum(calls.values())} AWS calls (all reads): {calls}")
        summary = report["summary"]
        assert summary["create"] == summary["delete"] == summary["recreate"] == summary["blocked"] == 0, report
        assert summary["update"] == 0, [c for c in (r for e in report["lattice"] for r in e["changes"])
                                        if c["action"] == "update"]
        assert summary["adopt"] > 20 and report["operations"] == {} and report["kubernetes"] == []
        assert code == 0, err
        assert report["awsCalls"]["writes"] == 0 and report["awsCalls"]["reads"] == sum(calls.values())
        # the long route's service: the AWS controller's truncated name, same id and DNS name
        long_ns = env.ns("a-namespace-name-longer-than-18")
        long_name = f"stock-availability-c-{long_ns[:18].strip('-')}"
        (svc,) = [c for c in rows(report, "HTTPRoute", long_ns, "stock-availability-checker-route")
                  if c["kind"] == "service"]
        assert (svc["name"], svc["action"], svc["id"]) == (long_name, "adopt", seeded.services[long_name]["id"])
        assert "latticegw would name it" in svc["note"]
        (dns,) = [c for c in rows(report, "HTTPRoute", long_ns, "stock-availability-checker-route")
                  if c["kind"] == "DNS name"]
        assert (dns["name"], dns["action"]) == (seeded.services[long_name]["dns"], "adopt")
        kinds = {c["kind"] for e in report["lattice"] for c in e["changes"]}
        assert {"service", "DNS name", "association", "listener", "rule", "target group", "targets",
                "service network", "auth policy", "access log"} <= kinds, kinds
        code, text, err, _ = await no_writes_while(env, objs)
        assert code == 0 and "0 create, 0 update, 0 delete, 0 recreate, 0 blocked" in text, text
        assert "~>  adopt" in text and long_name in text

        # 2. Changes made before the switch: a route loses a rule (a delete; the other rule moves
        # up), a route's weights change (an update of the rule's action), a route asks to take over
        # another cluster's service without the operator's leave (blocked), and a Service the AWS
        # controller finalized is being deleted (its finalizer goes).
        ns = env.ns("default")
        rates = find(objs, "HTTPRoute", "rates")
        rates = edited(rates, spec={**rates["spec"], "rules": rates["spec"]["rules"][1:]})
        inventory = find(objs, "HTTPRoute", "inventory")
        rule = inventory["spec"]["rules"][0]
        inventory = edited(inventory, spec={**inventory["spec"], "rules": [
            {**rule, "backendRefs": [{**rule["backendRefs"][0], "weight": 50}, {**rule["backendRefs"][1], "weight": 50}]}]})
        async with env.aws() as aws:
            theirs = await aws.create_service(name="payments-prod", tags={MANAGED_BY: THEIRS})
        intruder = edited(find(objs, "HTTPRoute", "rates"), metadata={
            "name": "payments", "namespace": ns,
            "annotations": {A + "service-name-override": "payments-prod", A + "allow-takeover-from": THEIRS}})
        legacy = {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "legacy", "namespace": ns, "finalizers": [LEGACY_FINALIZER]},
            "spec": {"ports": [{"port": 80, "protocol": "TCP"}]}}
        await env.apply([rates, inventory, intruder, legacy])
        await env.delete(legacy)
        objs = [o for o in objs if (o["kind"], o["metadata"]["name"]) not in (("HTTPRoute", "rates"),
                                                                            ("HTTPRoute", "inventory"))]
        objs += [rates, inventory, intruder, legacy]

        code, report, err, _ = await no_writes_while(env, objs, "-o", "json")
        assert code == 1, err
        by = {(c["kind"], c["action"]) for c in rows(report, "HTTPRoute", ns, "rates")}
        assert {("rule", "delete"), ("rule", "update"), ("target group", "delete")} <= by, by
        (moved,) = [c for c in rows(report, "HTTPRoute", ns, "rates") if c["kind"] == "rule" and c["action"] == "update"]
        assert moved["fields"] == ["priority"] and moved["adopted"]
        (reweighted,) = [c for c in rows(report, "HTTPRoute", ns, "inventory") if c["action"] == "update"]
        assert (reweighted["kind"], reweighted["fields"]) == ("rule", ["action"])
        blocked = [c for c in rows(report, "HTTPRoute", ns, "payments") if c["action"] == "blocked"]
        assert any(c["kind"] == "service" and c["name"] == "payments-prod" and THEIRS in c["note"] for c in blocked)
        (entry,) = [e for e in report["lattice"] if e["name"] == "payments"]
        assert any(p.startswith("TakeoverNotAllowed: ") for p in entry["problems"]), entry["problems"]
        assert report["kubernetes"] == [{"kind": "Service", "namespace": ns, "name": "legacy",
                                         "finalizers": [LEGACY_FINALIZER],
                                         "when": "being deleted: removed at once, nothing in Lattice to clean up for it"}]
        assert report["summary"]["create"] == report["summary"]["recreate"] == 0
        predicted = report["operations"]
        assert predicted.get("DeleteRule") == 1 and predicted.get("DeleteTargetGroup") == 1, predicted
        # the cutover gate: a delete fails it
        code, text, err, _ = await no_writes_while(env, objs, "--fail-on-delete", "--changes-only")
        print(text)
        assert code == 3, err
        assert "-   delete" in text and "!   blocked" in text and "payments-prod" in text and "keep  " not in text

        # 3. The switch: what `run` does is what the diff said, call for call.
        await env.reset_calls()
        await env.start()
        await env.wait_until(lambda: env.converged([o for o in objs if o is not intruder]),
                             "every route but the intruder converges", timeout=120)

        async def refused():
            live = await env.get(intruder)
            return status_current(live) and conditions(live).get("Accepted") == ("False", "Conflicted")

        await env.wait_until(refused, "the intruder is Conflicted")
        await env.wait_until(lambda: _gone(env, legacy), "the legacy Service goes")
        await idle(env)
        done = writes(await env.calls())
        print(f"diff predicted {predicted}; run made {done}")
        assert done == predicted
        state = await env.state()
        assert [s for s in state["services"] if s["id"] == theirs["id"]][0]["tags"][MANAGED_BY] == THEIRS

        # 4. Afterwards there is nothing left to do but what stays blocked.
        code, report, err, _ = await no_writes_while(env, objs, "-o", "json")
        assert report["operations"] == {} and report["kubernetes"] == [], report["operations"]
        assert {c["action"] for c in rows(report, "HTTPRoute", ns, "rates")} == {"keep"}
        assert code == 1 and report["summary"]["blocked"] >= 1
        for o in objs:
            if o["kind"] in ROUTE_KINDS and o is not intruder:
                assert {c["action"] for c in rows(report, o["kind"], o["metadata"]["namespace"],
                                                  o["metadata"]["name"])} <= {"keep"}, o["metadata"]["name"]


async def _gone(env, obj: dict) -> bool:
    return await env.get(obj) is None
