"""Events where users look: `kubectl describe httproute` shows what latticegw did and why not.

Events are read the way `kubectl describe` reads them: core/v1 Events selected by the
involved object's kind, namespace, name and uid (the events.k8s.io/v1 Events we write, seen
through the core API), shown as TYPE, REASON, FROM, MESSAGE and the count of a series.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.integration.e2e.helpers import edited, find, idle

pytestmark = pytest.mark.integration


async def describe_events(env, obj: dict) -> list[dict]:
    """The Events section of `kubectl describe` for `obj`: kubectl's own query and columns."""
    live = await env.get(obj)
    assert live is not None, obj["metadata"]
    meta = live["metadata"]
    selector = ",".join([f"involvedObject.kind={live['kind']}", f"involvedObject.name={meta['name']}",
                         f"involvedObject.namespace={meta['namespace']}", f"involvedObject.uid={meta['uid']}"])
    status, body = await env.kube.request(
        "GET", f"/api/v1/namespaces/{meta['namespace']}/events?" + urlencode({"fieldSelector": selector}))
    assert status == 200, body
    rows = []
    for e in body["items"]:
        # kubectl's formatEventSource: source.component, else reportingController[, reportingInstance]
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent")
        rows.append({"type": e["type"], "reason": e["reason"], "from": source, "message": e.get("message") or "",
                     "count": (e.get("series") or {}).get("count") or e.get("count") or 1})
    return rows


def reasons(rows: list[dict], type_: str | None = None) -> list[str]:
    return sorted(r["reason"] for r in rows if type_ is None or r["type"] == type_)


async def test_deploy_succeed_once_per_generation(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    rates = find(objs, "HTTPRoute", "rates")
    for name in ("rates", "inventory"):
        route = find(objs, "HTTPRoute", name)
        rows = await env.wait_until(lambda route=route: describe_events(env, route), f"{name} has events")
        assert reasons(rows) == ["DeploySucceed"], rows  # and no Warning on a healthy route
        row = rows[0]
        assert row["type"] == "Normal" and row["count"] == 1
        assert row["from"] == env.config.controller_name
        assert row["message"].endswith("deployed for generation 1"), row
        live = await env.get(route)
        dns = live["metadata"]["annotations"]["application-networking.k8s.aws/lattice-assigned-domain-name"]
        assert dns in row["message"], (dns, row["message"])

    # A drift check (a full pass that finds everything as recorded) says nothing new.
    env.manager.queue.add(f"HTTPRoute/{rates['metadata']['namespace']}/rates")
    await idle(env)
    assert reasons(await describe_events(env, rates)) == ["DeploySucceed"]

    # A new generation that applies fully: one more DeploySucceed, for that generation.
    changed = edited(rates, spec={**rates["spec"], "rules": rates["spec"]["rules"][:1]})
    await env.apply([changed])

    async def two_deploys():
        rows = await describe_events(env, rates)
        return rows if reasons(rows) == ["DeploySucceed", "DeploySucceed"] else None

    rows = await env.wait_until(two_deploys, "a DeploySucceed for generation 2")
    assert sorted(r["message"].rsplit(" ", 1)[1] for r in rows) == ["1", "2"]


async def test_every_rejection_is_a_warning_with_its_gateway_api_reason(controller_env):
    env = controller_env
    objs = await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    rates = find(objs, "HTTPRoute", "rates")
    ns = rates["metadata"]["namespace"]
    other = env.ns("elsewhere")
    rules = [{"backendRefs": [{"name": "parking", "port": 80}]}]

    def route(name: str, namespace: str, parent: dict, rules=rules) -> dict:
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"parentRefs": [parent], "rules": rules}}

    gw = {"name": "my-hotel", "namespace": ns}
    bad = {
        "BackendNotFound": route("missing-backend", ns, gw, [{"backendRefs": [{"name": "nope", "port": 80}]}]),
        "RefNotPermitted": route("cross-ns", ns, gw,
                                 [{"backendRefs": [{"name": "parking", "namespace": other, "port": 80}]}]),
        "NoMatchingParent": route("no-section", ns, {**gw, "sectionName": "nope"}),
        "NotAllowedByListeners": route("other-ns", other, gw),
    }
    await env.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}}, *bad.values()])

    for reason, obj in bad.items():
        async def warned(obj=obj, reason=reason):
            rows = await describe_events(env, obj)
            return [r for r in rows if r["type"] == "Warning" and r["reason"] == reason]

        rows = await env.wait_until(warned, f"a {reason} Warning on {obj['metadata']['name']}")
        assert len(rows) == 1, rows
        message = rows[0]["message"]
        # Where (the parent), what (the condition) and why (translate's message) in one line.
        assert "parentRef Gateway" in message and "my-hotel" in message and "=False: " in message, message
    await idle(env)
    # Retries and no-op passes add nothing: still one Warning each, counted once.
    for obj in bad.values():
        env.manager.queue.add(f"HTTPRoute/{obj['metadata']['namespace']}/{obj['metadata']['name']}")
    await idle(env)
    for reason, obj in bad.items():
        rows = [r for r in await describe_events(env, obj) if r["reason"] == reason]
        assert [r["count"] for r in rows] == [1], rows


async def test_aws_failure_is_one_actionable_warning_however_often_it_retries(make_controller_env):
    async with make_controller_env() as env:
        await env.control.inject_error("CreateService", "AccessDeniedException", count=1000,
                                       message="User is not authorized to perform vpc-lattice:CreateService")
        objs = await env.apply_example("my-hotel")
        inventory = find(objs, "HTTPRoute", "inventory")

        async def failed():
            rows = [r for r in await describe_events(env, inventory) if r["reason"] == "FailedDeployModel"]
            return rows if rows and rows[0]["count"] >= 2 else None

        rows = await env.wait_until(failed, "inventory's FailedDeployModel Warning repeats as one series")
        assert len(rows) == 1 and rows[0]["type"] == "Warning", rows
        assert "CreateService" in rows[0]["message"] and "AccessDeniedException" in rows[0]["message"]
        assert "deploy/iam-policy.json" in rows[0]["message"]  # what to do about it
        await env.control.clear_faults()
        await env.wait_until(env.converged, "my-hotel converges once the permission is granted")
        rows = await env.wait_until(
            lambda: _with(describe_events(env, inventory), "DeploySucceed"), "the recovery is said too")
        assert rows[0]["type"] == "Normal"
        all_rows = await describe_events(env, inventory)
        assert reasons(all_rows, "Warning") == ["FailedDeployModel"], all_rows


async def _with(rows_coro, reason: str):
    rows = [r for r in await rows_coro if r["reason"] == reason]
    return rows or None
