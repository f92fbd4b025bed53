"""desired_state.missing: a state holds a translation's model only when every resource is there."""

from __future__ import annotations

import copy
import os

from controller.cli.manifests import load
from lattice.desired_state import missing
from translate import Snapshot, TranslateConfig, translate

CONFIG = TranslateConfig(cluster_name="cluster", vpc_id="vpc-00000000000000000", account_id="123456789012",
                         region="us-west-2")

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples")


def _state(t) -> dict:
    """The state dump a complete apply of translation `t` leaves (the emulator's format)."""
    part: dict = {"serviceNetworks": [], "services": [], "listeners": [], "rules": [], "targetGroups": [],
                  "serviceNetworkServiceAssociations": []}
    tg_ids = {tg.name: f"tg-{i:017d}" for i, tg in enumerate(t.target_groups)}

    def by_id(action) -> dict:
        action = copy.deepcopy(dict(action))
        if "forward" in action:
            action = {"forward": {"targetGroups": [
                {"targetGroupIdentifier": tg_ids.get(x["targetGroupIdentifier"], x["targetGroupIdentifier"]),
                 "weight": x.get("weight")} for x in action["forward"]["targetGroups"]]}}
        return action

    for i, svc in enumerate(t.services):
        sid = f"svc-{i:017d}"
        part["services"].append({"id": sid, "name": svc.name, "status": "ACTIVE"})
        for a in svc.associations:
            part["serviceNetworkServiceAssociations"].append(
                {"serviceName": svc.name, "serviceNetworkName": a.service_network, "status": "ACTIVE"})
        for j, lst in enumerate(svc.listeners):
            lid = f"listener-{i}-{j}"
            part["listeners"].append({"id": lid, "serviceId": sid, "name": lst.name, "port": lst.port,
                                      "protocol": lst.protocol, "defaultAction": by_id(lst.default_action)})
            for rule in lst.rules:
                part["rules"].append({"listenerId": lid, "name": rule.name, "priority": rule.priority,
                                      "match": copy.deepcopy(dict(rule.match)), "action": by_id(rule.action)})
    for tg in t.target_groups:
        part["targetGroups"].append({"id": tg_ids[tg.name], "name": tg.name, "targets": [
            {"id": x.id, "port": x.port, "status": "HEALTHY"} for x in tg.targets]})
    return part


def test_complete_state_misses_nothing_and_each_gap_is_named():
    t = translate(Snapshot.of(load([os.path.join(EXAMPLES, "my-hotel")])), CONFIG)
    assert t.services and t.target_groups and any(lst.rules for s in t.services for lst in s.listeners)
    full = _state(t)
    assert missing(t.services, t.target_groups, full) == []

    gaps = copy.deepcopy(full)
    gaps["rules"].pop()
    gaps["targetGroups"][0]["targets"].pop()
    gaps["targetGroups"][1]["targets"][0]["status"] = "DRAINING"
    gaps["serviceNetworkServiceAssociations"].pop()
    gaps["listeners"][0]["port"] += 1
    found = missing(t.services, t.target_groups, gaps)
    assert any(x.startswith("rule ") for x in found) or any(x.startswith("listener ") for x in found)
    assert f"target group {t.target_groups[0].name}: targets" in found
    assert f"target group {t.target_groups[1].name}: targets" in found
    assert any("association with" in x for x in found)
    assert f"listener {t.services[0].listeners[0].name}" in found
    assert missing(t.services, t.target_groups, {}) == [f"service {s.name}" for s in t.services] + [
        f"target group {tg.name}" for tg in t.target_groups]


def test_the_folded_form_of_a_listener_is_complete_too():
    """A listener made with its match-all rule as the default action (lattice.plan.folded) holds the
    model; a 404 default without that rule does not."""
    t = translate(Snapshot.of(load([os.path.join(EXAMPLES, "checkout-ab")])), CONFIG)
    (svc,) = t.services
    (lst,) = svc.listeners
    (rule,) = lst.rules
    full = _state(t)
    (listener,) = full["listeners"]
    (rule_rec,) = full["rules"]
    folded_state = copy.deepcopy(full)
    folded_state["rules"] = []
    folded_state["listeners"][0]["defaultAction"] = copy.deepcopy(rule_rec["action"])
    assert missing(t.services, t.target_groups, folded_state) == []
    half = copy.deepcopy(full)
    half["rules"] = []
    assert missing(t.services, t.target_groups, half) == [f"rule {lst.name}/{rule.name}"]
    wrong = copy.deepcopy(folded_state)
    wrong["listeners"][0]["defaultAction"]["forward"]["targetGroups"].pop()
    assert missing(t.services, t.target_groups, wrong)
