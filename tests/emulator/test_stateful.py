"""A hypothesis state machine: random sequences of plausible Lattice calls (valid and not),
checking after every step that the emulator's state keeps Lattice's invariants:

- every listener belongs to a live service, every rule to a live listener;
- each listener has exactly one default rule, and rule priorities are unique per listener;
- names are unique where Lattice says so;
- a target group's serviceArns are exactly the services forwarding to it, and it serves one at most;
- associations point at live resources; a VPC sits in at most one service network;
- no call ever answers 5xx.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from .threaded import Server

NAMES = ["alpha", "bravo", "charlie"]
VPCS = ["vpc-11111111", "vpc-22222222"]
MISSING = {"svc": "svc-0aaaaaaaaaaaaaaaa", "tg": "tg-0aaaaaaaaaaaaaaaa", "sn": "sn-0aaaaaaaaaaaaaaaa",
           "listener": "listener-0aaaaaaaaaaaaaaaa", "rule": "rule-0aaaaaaaaaaaaaaaa"}

SERVER: Server | None = None
OUTCOMES: Counter[tuple[str, int]] = Counter()  # (method path-shape, status), for EMULATOR_STATEFUL_DEBUG


@pytest.fixture(scope="module", autouse=True)
def server():
    global SERVER
    SERVER = Server()
    yield SERVER
    if os.environ.get("EMULATOR_STATEFUL_DEBUG"):
        print(sorted(OUTCOMES.items()))
    SERVER.close()
    SERVER = None


class LatticeMachine(RuleBasedStateMachine):
    @initialize()
    def reset(self) -> None:
        self.srv = SERVER
        self.srv.api("POST", "/_emulator/reset")
        # Start every example from a small built scenario, so steps work on deep state
        # (rules forwarding to target groups) from the first call.
        self.srv.api("POST", "/servicenetworks", {"name": "base-net"})
        tgs = [self.srv.api("POST", "/targetgroups", {
            "name": f"base-{i}", "type": "IP",
            "config": {"protocol": "HTTP", "port": 8080, "vpcIdentifier": VPCS[0]}})["id"] for i in (1, 2)]
        for i, name in enumerate(("base-a", "base-b")):
            svc = self.srv.api("POST", "/services", {"name": name})["id"]
            self.srv.api("POST", f"/services/{svc}/listeners", {
                "name": "http", "protocol": "HTTP",
                "defaultAction": {"forward": {"targetGroups": [{"targetGroupIdentifier": tgs[i]}]}}})
        self.state: dict[str, Any] = {}
        self.refresh()

    # -- helpers ------------------------------------------------------------------------
    def refresh(self) -> None:
        parts = self.srv.api("GET", "/_emulator/state")["partitions"]
        self.state = parts[0] if parts else {}

    def has(self, section: str, below: int | None = None) -> bool:
        n = len(self.state.get(section, []))
        return n < below if below is not None else n > 0

    def ids(self, section: str, prefix: str) -> list[str]:
        # Existing IDs several times over, so calls mostly hit live resources and build deep states.
        return [r["id"] for r in self.state.get(section, [])] * 4 + [MISSING[prefix]]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        status, out = self.srv.call(method, path, body)
        OUTCOMES[(method + " " + "/".join(p.split("-")[0] for p in path.split("/")), status)] += 1
        assert status < 500, (method, path, body, status, out)
        self.refresh()

    def action(self, data, tgs: list[str]) -> dict[str, Any]:
        if data.draw(st.integers(0, 3)) == 0:
            return {"fixedResponse": {"statusCode": data.draw(st.sampled_from([404, 500, 503]))}}
        chosen = data.draw(st.lists(st.sampled_from(tgs), min_size=1, max_size=2, unique=True))
        groups = [{"targetGroupIdentifier": t} for t in chosen]
        if len(groups) > 1 or data.draw(st.booleans()):
            for g in groups:
                g["weight"] = data.draw(st.integers(0, 999))
        return {"forward": {"targetGroups": groups}}

    def listener_paths(self) -> list[str]:
        paths = [f"/services/{lst['serviceId']}/listeners/{lst['id']}" for lst in self.state.get("listeners", [])]
        return paths * 4 + [f"/services/{MISSING['svc']}/listeners/{MISSING['listener']}"]

    # -- the one rule: a weighted choice of action ---------------------------------------------
    # Hypothesis picks among @rule methods uniformly; dispatching from one rule lets the weights
    # favour the routing operations whose interplay (priorities, references) is the hard part,
    # and the `ready` checks skip actions that could only answer 404.
    ACTIONS = (
        ("create_rule", 6), ("batch_update_rules", 6), ("update_or_delete_rule", 4), ("create_listener", 2),
        ("update_listener", 2), ("delete_listener", 1), ("create_service", 1), ("create_target_group", 1),
        ("create_network", 1), ("associate_service", 2), ("associate_vpc", 1), ("disassociate", 1),
        ("delete_something", 2), ("register_targets", 1), ("compare_lists", 3),
    )

    def ready(self, action: str) -> bool:
        has = self.has
        custom_rules = len(self.state.get("rules", [])) > len(self.state.get("listeners", []))
        return {
            "create_network": has("serviceNetworks", below=2),
            "create_service": has("services", below=3),
            "create_target_group": has("targetGroups", below=3),
            "create_listener": has("services"),
            "update_listener": has("listeners"), "delete_listener": has("listeners"), "create_rule": has("listeners"),
            "batch_update_rules": custom_rules, "update_or_delete_rule": custom_rules,
            "associate_service": has("services") and has("serviceNetworks"),
            "associate_vpc": has("serviceNetworks"),
            "disassociate": has("serviceNetworkServiceAssociations") or has("serviceNetworkVpcAssociations"),
            "register_targets": has("targetGroups"),
        }.get(action, True)

    @rule(data=st.data())
    def step(self, data):
        choices = [name for name, weight in self.ACTIONS if self.ready(name) for _ in range(weight)]
        getattr(self, data.draw(st.sampled_from(choices), label="action"))(data)

    # -- actions ----------------------------------------------------------------------------
    def create_network(self, data):
        name = data.draw(st.sampled_from(NAMES))
        self.call("POST", "/servicenetworks", {"name": name + "-net"})

    def create_service(self, data):
        name = data.draw(st.sampled_from(NAMES))
        self.call("POST", "/services", {"name": name})

    def create_target_group(self, data):
        name = data.draw(st.sampled_from(NAMES))
        protocol = data.draw(st.sampled_from(["HTTP", "HTTP", "HTTP", "TCP"]))
        cfg = {"protocol": protocol, "port": 8080, "vpcIdentifier": VPCS[0]}
        self.call("POST", "/targetgroups", {"name": name + "-tg", "type": "IP", "config": cfg})

    def create_listener(self, data):
        svc = data.draw(st.sampled_from(self.ids("services", "svc")))
        body = {"name": data.draw(st.sampled_from(["http", "web"])), "protocol": "HTTP",
                "port": data.draw(st.sampled_from([80, 8080])),
                "defaultAction": self.action(data, self.ids("targetGroups", "tg"))}
        self.call("POST", f"/services/{svc}/listeners", body)

    def update_listener(self, data):
        path = data.draw(st.sampled_from(self.listener_paths()))
        self.call("PATCH", path, {"defaultAction": self.action(data, self.ids("targetGroups", "tg"))})

    def delete_listener(self, data):
        self.call("DELETE", data.draw(st.sampled_from(self.listener_paths())))

    def create_rule(self, data):
        path = data.draw(st.sampled_from(self.listener_paths()))
        body = {"name": data.draw(st.sampled_from(["r-one", "r-two", "r-three"])),
                "priority": data.draw(st.integers(1, 3)),
                "match": {"httpMatch": {"pathMatch": {"match": {"prefix": "/" + data.draw(st.sampled_from("abc"))}}}},
                "action": self.action(data, self.ids("targetGroups", "tg"))}
        self.call("POST", path + "/rules", body)

    def batch_update_rules(self, data):
        listener = data.draw(st.sampled_from(self.state["listeners"]))
        path = f"/services/{listener['serviceId']}/listeners/{listener['id']}"
        mine = [r for r in self.state["rules"] if r["listenerId"] == listener["id"]]
        candidates = [r["id"] for r in mine if not r["isDefault"]] * 4 + [mine[0]["id"], MISSING["rule"]]
        entries = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True))
        body = {"rules": [{"ruleIdentifier": r, "priority": data.draw(st.integers(1, 3))} for r in entries]}
        self.call("PATCH", path + "/rules", body)

    def update_or_delete_rule(self, data):
        rules = self.state.get("rules", [])
        if rules:
            r = data.draw(st.sampled_from(rules))
            path = f"/services/{r['serviceId']}/listeners/{r['listenerId']}/rules/{r['id']}"
        else:
            path = f"/services/{MISSING['svc']}/listeners/{MISSING['listener']}/rules/{MISSING['rule']}"
        if data.draw(st.booleans()):
            self.call("DELETE", path)
        else:
            self.call("PATCH", path, {"priority": data.draw(st.integers(1, 4)),
                                      "action": self.action(data, self.ids("targetGroups", "tg"))})

    def associate_service(self, data):
        self.call("POST", "/servicenetworkserviceassociations", {
            "serviceIdentifier": data.draw(st.sampled_from(self.ids("services", "svc"))),
            "serviceNetworkIdentifier": data.draw(st.sampled_from(self.ids("serviceNetworks", "sn")))})

    def associate_vpc(self, data):
        self.call("POST", "/servicenetworkvpcassociations", {
            "vpcIdentifier": data.draw(st.sampled_from(VPCS)),
            "serviceNetworkIdentifier": data.draw(st.sampled_from(self.ids("serviceNetworks", "sn")))})

    def disassociate(self, data):
        items = [("servicenetworkserviceassociations", a["id"])
                 for a in self.state.get("serviceNetworkServiceAssociations", [])]
        items += [("servicenetworkvpcassociations", a["id"]) for a in self.state.get("serviceNetworkVpcAssociations", [])]
        if items:
            kind, rid = data.draw(st.sampled_from(items))
            self.call("DELETE", f"/{kind}/{rid}")

    def delete_something(self, data):
        kind, section, prefix = data.draw(st.sampled_from([
            ("services", "services", "svc"), ("targetgroups", "targetGroups", "tg"),
            ("servicenetworks", "serviceNetworks", "sn")]))
        self.call("DELETE", f"/{kind}/{data.draw(st.sampled_from(self.ids(section, prefix)))}")

    def compare_lists(self, data):
        """List* answers must agree with the state dump (they are served from a view cache)."""
        def listed(path: str) -> dict[str, dict]:
            status, out = self.srv.call("GET", path)
            assert status == 200, (path, out)
            return {i["id"]: i for i in out["items"]}

        services = listed("/services")
        assert {i: (x["status"], x["lastUpdatedAt"]) for i, x in services.items()} == {
            x["id"]: (x["status"], x["lastUpdatedAt"]) for x in self.state["services"]}
        for lst in self.state.get("listeners", []):
            rules = listed(f"/services/{lst['serviceId']}/listeners/{lst['id']}/rules")
            assert {i: r.get("priority") for i, r in rules.items()} == {
                r["id"]: r.get("priority") for r in self.state["rules"] if r["listenerId"] == lst["id"]}
        for sn in self.state.get("serviceNetworks", []):
            assocs = listed(f"/servicenetworkserviceassociations?serviceNetworkIdentifier={sn['id']}")
            assert {i: a["status"] for i, a in assocs.items()} == {
                a["id"]: a["status"] for a in self.state["serviceNetworkServiceAssociations"]
                if a["serviceNetworkId"] == sn["id"]}

    def register_targets(self, data):
        tg = data.draw(st.sampled_from(self.ids("targetGroups", "tg")))
        ips = data.draw(st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "bogus"]), min_size=1, max_size=3))
        op = data.draw(st.sampled_from(["registertargets", "deregistertargets"]))
        self.call("POST", f"/targetgroups/{tg}/{op}", {"targets": [{"id": ip} for ip in ips]})

    # -- invariants --------------------------------------------------------------------
    @invariant()
    def lattice_invariants(self) -> None:
        s = self.state
        if not s:
            return
        services = {x["id"]: x for x in s["services"]}
        listeners = {x["id"]: x for x in s["listeners"]}
        groups = {x["id"]: x for x in s["targetGroups"]}
        for lst in listeners.values():
            assert lst["serviceId"] in services
        per_listener: dict[str, list[dict]] = {lid: [] for lid in listeners}
        for r in s["rules"]:
            assert r["listenerId"] in listeners, r
            per_listener[r["listenerId"]].append(r)
        forwarding: dict[str, set[str]] = {tid: set() for tid in groups}
        for lid, rules in per_listener.items():
            assert sum(r["isDefault"] for r in rules) == 1, rules
            prios = [r["priority"] for r in rules if not r["isDefault"]]
            assert len(prios) == len(set(prios)), prios
            names = [r["name"] for r in rules if not r["isDefault"]]
            assert len(names) == len(set(names))
            default = next(r for r in rules if r["isDefault"])
            assert default["action"] == listeners[lid]["defaultAction"]
            svc_arn = services[listeners[lid]["serviceId"]]["arn"]
            for action in [r["action"] for r in rules]:
                for g in action.get("forward", {}).get("targetGroups", []):
                    forwarding[g["targetGroupIdentifier"]].add(svc_arn)
        for tid, tg in groups.items():
            assert set(tg["serviceArns"]) == forwarding[tid], (tid, tg["serviceArns"], forwarding[tid])
            assert len(tg["serviceArns"]) <= 1
        for section in ("services", "serviceNetworks", "targetGroups"):
            counts = Counter(x["name"] for x in s[section])
            assert max(counts.values(), default=0) <= 1, counts
        sns = {x["id"] for x in s["serviceNetworks"]}
        for a in s["serviceNetworkServiceAssociations"]:
            assert a["serviceId"] in services and a["serviceNetworkId"] in sns
        vpcs = Counter(a["vpcId"] for a in s["serviceNetworkVpcAssociations"])
        assert max(vpcs.values(), default=0) <= 1
        for a in s["serviceNetworkVpcAssociations"]:
            assert a["serviceNetworkId"] in sns


# No shrinking: a failing run reports its original sequence at once instead of replaying
# hundreds of HTTP-backed variants for minutes (the invariants already name the broken rule).
LatticeMachine.TestCase.settings = settings(
    phases=(Phase.explicit, Phase.reuse, Phase.generate), report_multiple_bugs=False,
    max_examples=int(os.environ.get("EMULATOR_STATEFUL_EXAMPLES", "20")), stateful_step_count=40,
    deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_lattice_state_machine = LatticeMachine.TestCase
