"""Does a Lattice state hold a translation's desired model? (benchmarks and the demo stop their clocks here)

A route's status (Accepted, the DNS-name annotation) says its Lattice service exists, not that its
listeners, rules, target groups and targets do: a clock stopped there measures less than the work.
`missing(services, target_groups, partition)` compares the desired model with a state dump in the
emulator's format (`/_emulator/state`: one partition's lists of records) and returns what is not
there yet, as short human lines; [] means every desired resource is present and configured:

* each service (by name), not FAILED, associated with each desired service network;
* each listener of it (name, port, protocol) and each rule (name, priority, match, and the
  forwarded target groups with their weights), or the listener's folded form (its match-all rule
  as the default action, see lattice.plan), which routes the same;
* each target group, and its registered targets (id, port) exactly, draining ones not counted.

Matches and actions are compared in `normalize`'s canonical forms (as plan compares them). Pure: no
I/O, no AWS client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lattice import normalize
from lattice.plan import folded
from translate.model import Listener, Service, TargetGroup


def missing(services: Iterable[Service], target_groups: Iterable[TargetGroup],
            partition: Mapping[str, Any]) -> list[str]:
    svcs = {s["name"]: s for s in partition.get("services", ())}
    tgs = {t["name"]: t for t in partition.get("targetGroups", ())}
    tg_names = {t["id"]: t["name"] for t in partition.get("targetGroups", ())}

    def named(tg_id: str) -> str:
        return tg_names.get(tg_id, tg_id)

    sn_names = {s["id"]: s["name"] for s in partition.get("serviceNetworks", ())}
    listeners: dict[str, dict[str, Any]] = {}
    for lst in partition.get("listeners", ()):
        listeners.setdefault(lst.get("serviceId", ""), {})[lst["name"]] = lst
    rules: dict[str, dict[str, Any]] = {}
    for rule in partition.get("rules", ()):
        if not rule.get("isDefault"):
            rules.setdefault(rule.get("listenerId", ""), {})[rule["name"]] = rule
    associated = {(a.get("serviceName"), a.get("serviceNetworkName") or sn_names.get(a.get("serviceNetworkId", "")))
                  for a in partition.get("serviceNetworkServiceAssociations", ())
                  if not str(a.get("status", "")).endswith("FAILED")}

    out: list[str] = []
    for svc in services:
        rec = svcs.get(svc.name)
        if rec is None:
            out.append(f"service {svc.name}")
            continue
        if str(rec.get("status", "")).endswith("FAILED"):
            out.append(f"service {svc.name}: {rec['status']}")
        for assoc in svc.associations:
            if (svc.name, assoc.service_network) not in associated:
                out.append(f"service {svc.name}: association with {assoc.service_network}")
        have = listeners.get(rec["id"], {})
        for want in svc.listeners:
            lst = have.get(want.name)
            if lst is None or lst.get("port") != want.port or lst.get("protocol") != want.protocol:
                out.append(f"listener {want.name}")
                continue
            have_rules = rules.get(lst["id"], {})
            gaps = _listener_gaps(want, lst, have_rules, named)
            fold = folded(want)
            if gaps and fold is not None and not _listener_gaps(fold, lst, have_rules, named):
                gaps = []  # the folded form: routes the same (lattice.plan)
            out += gaps
    for tg in target_groups:
        rec = tgs.get(tg.name)
        if rec is None:
            out.append(f"target group {tg.name}")
            continue
        targets = {(t["id"], t["port"]) for t in rec.get("targets", ()) if t.get("status") != "DRAINING"}
        if targets != {(t.id, t.port) for t in tg.targets}:
            out.append(f"target group {tg.name}: targets")
    return out


def _listener_gaps(want: Listener, lst: Mapping[str, Any], have_rules: Mapping[str, Mapping[str, Any]],
                   named: Callable[[str], str]) -> list[str]:
    out = []
    if normalize.action(lst.get("defaultAction"), named) != normalize.action(want.default_action):
        out.append(f"listener {want.name}: default action")
    for rule in want.rules:
        got = have_rules.get(rule.name)
        if got is None:
            out.append(f"rule {want.name}/{rule.name}")
        elif got.get("priority") != rule.priority \
                or normalize.match(got.get("match")) != normalize.match(rule.match) \
                or normalize.action(got.get("action"), named) != normalize.action(rule.action):
            out.append(f"rule {want.name}/{rule.name}: configuration")
    return out
