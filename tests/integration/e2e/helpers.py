"""Small readers of the emulator's state dump and of live objects, shared by the e2e tests."""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from typing import Any

SVC_NS = "application-networking.k8s.aws/ServiceNamespace"
SVC_NAME = "application-networking.k8s.aws/ServiceName"
MANAGED_BY = "application-networking.k8s.aws/ManagedBy"
WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Tag", "Untag", "Batch")
SECTIONS = ("serviceNetworks", "services", "listeners", "rules", "targetGroups",
            "serviceNetworkServiceAssociations", "serviceNetworkVpcAssociations", "accessLogSubscriptions")


def by_name(items):
    return {i["name"]: i for i in items}


def backend_of(tg: dict) -> str:
    """`namespace/service` of the Kubernetes Service a target group serves (from its tags)."""
    return f"{tg['tags'].get(SVC_NS)}/{tg['tags'].get(SVC_NAME)}"


def routing(state: dict, service_name: str) -> dict[str, dict[str, int]]:
    """{path prefix (or "*" for the default action): {backend "ns/svc": weight}} of one service.

    A fixed response shows as {"fixed": statusCode}. In the translated form: an HTTP(S) listener made
    with its match-all rule as its default action (lattice.plan.folded) shows that action under "/"
    and the 404 it stands for under "*", as routing is the same.
    """
    svc = by_name(state["services"])[service_name]
    listeners = [lst for lst in state["listeners"] if lst["serviceId"] == svc["id"]]
    lids = {lst["id"] for lst in listeners}
    folded = {lst["id"] for lst in listeners if lst.get("protocol") in ("HTTP", "HTTPS")
              and "forward" in (lst.get("defaultAction") or {})}
    tgs = {t["id"]: t for t in state["targetGroups"]} | {t["arn"]: t for t in state["targetGroups"]}
    out: dict[str, dict[str, int]] = {}
    for rule in (r for r in state["rules"] if r["listenerId"] in lids):
        if rule.get("isDefault") and rule["listenerId"] in folded:
            key = "/"
            out["*"] = {"fixed": 404}
        elif rule.get("isDefault"):
            key = "*"
        else:
            match = (rule.get("match") or {}).get("httpMatch") or {}
            key = ((match.get("pathMatch") or {}).get("match") or {}).get("prefix") or "?"
        action = rule["action"]
        if "fixedResponse" in action:
            out[key] = {"fixed": action["fixedResponse"]["statusCode"]}
        else:
            out[key] = {backend_of(tgs[f["targetGroupIdentifier"]]): f["weight"]
                        for f in action["forward"]["targetGroups"]}
    return out


def tg_ids(state: dict) -> dict[str, str]:
    """{TG name: TG id} for every target group."""
    return {t["name"]: t["id"] for t in state["targetGroups"]}


def targets_of(state: dict, tg_name: str) -> set[tuple[str, int]]:
    tg = by_name(state["targetGroups"])[tg_name]
    return {(t["id"], t["port"]) for t in tg["targets"] if t["status"] != "DRAINING"}


def tgs_of_backend(state: dict, backend: str) -> list[dict]:
    return [t for t in state["targetGroups"] if backend_of(t) == backend]


def duplicates(state: dict) -> dict[str, list[str]]:
    """Names that appear more than once per section (rules and listeners per parent)."""
    out: dict[str, list[str]] = {}
    for section in SECTIONS:
        names = Counter()
        for item in state.get(section, ()):
            if section == "listeners":
                names[(item["serviceId"], item["name"])] += 1
            elif section == "rules":
                names[(item["listenerId"], item["name"])] += 1
            elif section == "serviceNetworkServiceAssociations":
                names[(item["serviceNetworkId"], item["serviceId"])] += 1
            elif section == "serviceNetworkVpcAssociations":
                names[(item["serviceNetworkId"], item["vpcId"])] += 1
            elif "name" in item:
                names[item["name"]] += 1
        dup = [str(k) for k, n in names.items() if n > 1]
        if dup:
            out[section] = dup
    return out


def inventory(state: dict) -> dict[str, set]:
    """Every resource id per section (to compare Lattice before and after)."""
    return {section: {i.get("id") or i.get("arn") for i in state.get(section, ())} for section in SECTIONS}


def conditions(live: dict) -> dict[str, tuple[str, str]]:
    """{type: (status, reason)} of a route's first parent."""
    parents = (live.get("status") or {}).get("parents") or []
    if not parents:
        return {}
    return {c["type"]: (c["status"], c["reason"]) for c in parents[0].get("conditions") or ()}


def status_current(live: dict | None) -> bool:
    """The route's status reports its current generation on every parent condition."""
    if live is None:
        return False
    gen = live["metadata"]["generation"]
    parents = (live.get("status") or {}).get("parents") or []
    return bool(parents) and all(c.get("observedGeneration") == gen
                                 for p in parents for c in p.get("conditions") or ())


def writes(calls: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in calls.items() if op.startswith(WRITE_PREFIXES)}


def find(objs: list[dict], kind: str, name: str, namespace: str | None = None) -> dict:
    for o in objs:
        if o["kind"] == kind and o["metadata"]["name"] == name and (
                namespace is None or o["metadata"].get("namespace") == namespace):
            return o
    raise KeyError(f"{kind} {namespace}/{name}")


def edited(obj: dict, **changes: Any) -> dict:
    """A deep copy of `obj` with top-level fields replaced (e.g. spec=..., endpoints=...)."""
    out = copy.deepcopy(obj)
    out.update(copy.deepcopy(changes))
    return out


async def idle(env, seconds: float = 1.0, timeout: float = 120.0) -> None:
    """Quiet, including delayed re-checks (e.g. of an association Lattice was still creating):
    nothing runnable, nothing running and nothing delayed, continuously for `seconds`.

    All three at once: a key can leave the delayed set to run and come back delayed (still in
    progress) between separate checks, and a test that counts calls must not have such a
    re-check of the previous step land in its window.
    """
    q = env.manager.queue
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if len(q) > 0 or q.processing_keys() or q.delayed_count() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= seconds:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the controller never went idle (delayed: {q.delayed_count()}, queued: {len(q)})")
