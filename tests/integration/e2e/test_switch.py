"""Switching from the AWS Gateway API Controller: Lattice as it leaves it is adopted, nothing recreated.

Lattice is seeded exactly as the AWS controller leaves it for the objects in fixtures/switch
(tests/integration/e2e/aws_controller.py: its truncated service names, `k8s-<time>-rule-<n>` rule
names, random target-group names, its tags): my-hotel's rates, inventory blue/green with a
ServiceExport/ServiceImport, a route whose name and namespace it truncates, a GRPCRoute and a
TLS-passthrough route, and an IAMAuthPolicy and AccessLogPolicy on the Gateway. Then latticegw starts (same cluster identity): every route converges with
no service, target group, listener or rule created or deleted, the same ids and DNS names.
"""

from __future__ import annotations

import pytest

from tests.integration.e2e.aws_controller import ROUTE_KINDS, converged_switch_state
from tests.integration.e2e.helpers import idle

pytestmark = pytest.mark.integration

COUNTED = ("Service", "TargetGroup", "Listener", "Rule", "AccessLogSubscription")


def identities(state: dict) -> dict[str, set]:
    return {
        "services": {(s["id"], s["name"], s["dnsEntry"]["domainName"], s.get("customDomainName"))
                     for s in state["services"]},
        "target_groups": {(t["id"], t["name"]) for t in state["targetGroups"]},
        "listeners": {(x["id"], x["name"], x["port"], x["protocol"]) for x in state["listeners"]},
        "rules": {(r["id"], r["name"]) for r in state["rules"] if not r.get("isDefault")},
        "associations": {a["id"] for a in state["serviceNetworkServiceAssociations"]},
    }


def creates_and_deletes(calls: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in calls.items()
            if op.startswith(("Create", "Delete")) and op.removeprefix("Create").removeprefix("Delete") in COUNTED}


async def test_switch_from_the_aws_controller_recreates_nothing(make_controller_env):
    async with make_controller_env() as env:
        objs, seeded = await converged_switch_state(env)  # the AWS controller ran until now
        before = await env.state()
        long_ns = env.ns("a-namespace-name-longer-than-18")
        long_name = f"stock-availability-c-{long_ns[:18].strip('-')}"
        assert long_name in seeded.services  # the AWS controller's truncated name, not ours

        await env.reset_calls()
        await env.start()  # latticegw takes over
        await env.wait_until(env.converged, "every route converges on the adopted Lattice state", timeout=120)
        await idle(env)
        calls = await env.calls()
        after = await env.state()
        print(f"\nswitch: {sum(calls.values())} AWS calls, creates/deletes {creates_and_deletes(calls)}: {calls}")
        assert creates_and_deletes(calls) == {}, calls
        # the Gateway's IAMAuthPolicy and AccessLogPolicy find their network as the AWS controller left it
        assert not {op for op in calls if op in ("PutAuthPolicy", "DeleteAuthPolicy", "UpdateServiceNetwork")}, calls
        assert after["authPolicies"] == before["authPolicies"]
        assert [(a["id"], a["destinationArn"]) for a in after["accessLogSubscriptions"]] == \
            [(a["id"], a["destinationArn"]) for a in before["accessLogSubscriptions"]] != []
        # nothing was removed or recreated behind the counts either: same ids, names, DNS names
        was, now = identities(before), identities(after)
        for kind in was:
            assert now[kind] == was[kind], (kind, was[kind] ^ now[kind])
        # the routes report the DNS name the AWS controller's service has had all along
        for o in objs:
            if o["kind"] in ROUTE_KINDS:
                live = await env.get(o)
                name = seeded.route_service[(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])]
                ann = live["metadata"]["annotations"]
                assert ann["application-networking.k8s.aws/lattice-assigned-domain-name"] == \
                    seeded.services[name]["dns"]
                assert ann["application-networking.k8s.aws/lattice-service-arn"] == seeded.services[name]["arn"]

        # everything deletes cleanly afterwards: deleting the routes removes what was adopted
        for o in objs:
            if o["kind"] in (*ROUTE_KINDS, "ServiceExport"):
                await env.delete(o)

        async def clean():
            s = await env.state()
            return not (s["services"] or s["targetGroups"] or s["listeners"])

        await env.wait_until(clean, "the adopted services and target groups are deleted with their routes",
                             timeout=120)
