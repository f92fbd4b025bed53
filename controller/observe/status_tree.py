"""Kubernetes -> Lattice at a glance: one tree for the status page and for `latticegw status`.

`build(objects, translation, ...)` is pure: the cluster's objects (as the API server returns
them), their translation (`translate(...).to_dict()`, the plan contract), and what only a
running controller knows: target health from its Lattice inventory, each key's last reconcile,
queue depth, leader, AWS call rates. Missing parts are simply left out, so the CLI (which has
only the cluster) and the page (which has everything) show the same tree.

    {"controller": {...}, "gateways": [{"namespace", "name", "conditions", "routes": [
        {"kind", "namespace", "name", "conditions", "service", "dns", "reconcile",
         "listeners": [{"name", "protocol", "port", "rules": [
             {"priority", "match", "action", "forward": [{"targetGroup", "weight", "targets": [
                 {"id", "port", "health"}]}]}]}]}]}]}

`render_text(tree)` is the terminal form; `controller.observe.status_page` renders HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
DNS_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name"

Health = Callable[[str], Mapping[tuple[str, int], str] | None]  # TG name -> {(id, port): status}


def build(objects: Iterable[Mapping[str, Any]], translation: Mapping[str, Any], *,
          controller_name: str | None = None, health: Health | None = None,
          reconciles: Mapping[str, Mapping[str, Any]] | None = None,
          controller: Mapping[str, Any] | None = None) -> dict[str, Any]:
    objs = list(objects)
    services: dict[tuple, list[dict]] = {}
    for svc in translation.get("services") or ():
        services.setdefault(_src(svc["source"]), []).append(svc)
    tgs = {tg["name"]: tg for tg in translation.get("targetGroups") or ()}
    accepted_classes = {o["name"] for o in translation.get("status") or ()
                        if o.get("kind") == "GatewayClass" and _true(o.get("conditions"), "Accepted")}
    gateways = []
    for gw in sorted((o for o in objs if o.get("kind") == "Gateway"), key=_ns_name):
        if accepted_classes and (gw.get("spec") or {}).get("gatewayClassName") not in accepted_classes:
            continue
        meta = gw["metadata"]
        gateways.append({
            "namespace": meta.get("namespace", ""), "name": meta["name"],
            "conditions": _conditions((gw.get("status") or {}).get("conditions")),
            "reconcile": _reconcile(reconciles, f"Gateway/{meta.get('namespace')}/{meta['name']}"),
            "routes": [],
        })
    by_gw = {(g["namespace"], g["name"]): g for g in gateways}
    for route in sorted((o for o in objs if o.get("kind") in ROUTE_KINDS), key=_ns_name):
        meta = route["metadata"]
        ns = meta.get("namespace", "")
        node = _route(route, services.get((route["kind"], ns, meta["name"]), []), tgs, controller_name,
                      health, reconciles)
        for ref in (route.get("spec") or {}).get("parentRefs") or ():
            parent = by_gw.get((ref.get("namespace") or ns, ref.get("name")))
            if parent is not None and node not in parent["routes"]:
                parent["routes"].append(node)
    return {"controller": dict(controller or {}), "gateways": gateways}


def _route(route, svcs, tgs, controller_name, health, reconciles) -> dict[str, Any]:
    meta = route["metadata"]
    parents = [p for p in (route.get("status") or {}).get("parents") or ()
               if controller_name is None or p.get("controllerName") == controller_name]
    conditions = _conditions([c for p in parents for c in p.get("conditions") or ()])
    svc = svcs[0] if svcs else None
    listeners = []
    for listener in (svc or {}).get("listeners") or ():
        rules = [_rule(r["priority"], r.get("match"), r.get("action"), tgs, health) for r in listener.get("rules") or ()]
        rules.append(_rule("default", None, listener.get("defaultAction"), tgs, health))
        listeners.append({"name": listener["name"], "protocol": listener["protocol"], "port": listener["port"],
                          "rules": rules})
    return {
        "kind": route["kind"], "namespace": meta.get("namespace", ""), "name": meta["name"],
        "conditions": conditions,
        "service": svc["name"] if svc else None,
        "dns": ((meta.get("annotations") or {}).get(DNS_ANNOTATION)),
        "listeners": listeners,
        "reconcile": _reconcile(reconciles, f"{route['kind']}/{meta.get('namespace')}/{meta['name']}"),
    }


def _rule(priority, match, action, tgs, health) -> dict[str, Any]:
    action = action or {}
    forward = []
    for ref in (action.get("forward") or {}).get("targetGroups") or ():
        name = ref.get("targetGroupIdentifier")
        tg = tgs.get(name) or {}
        known = health(name) if health is not None and tg else None
        targets = [{"id": t["id"], "port": t["port"],
                    "health": (known or {}).get((t["id"], t["port"])) if known is not None else None}
                   for t in tg.get("targets") or ()]
        forward.append({"targetGroup": name, "weight": ref.get("weight", 1), "targets": targets})
    out: dict[str, Any] = {"priority": priority, "match": describe_match(match), "forward": forward}
    if "fixedResponse" in action:
        out["fixedResponse"] = action["fixedResponse"].get("statusCode")
    return out


def describe_match(match: Mapping[str, Any] | None) -> str:
    """A rule's match in a few words: `GET prefix /parking header x-env=canary`."""
    if not match:
        return "default (no rule matched)"
    http = match.get("httpMatch") or {}
    parts = []
    if http.get("method"):
        parts.append(http["method"])
    for kind, value in ((http.get("pathMatch") or {}).get("match") or {}).items():
        parts.append(f"{kind} {value}")
    for header in http.get("headerMatches") or ():
        for kind, value in (header.get("match") or {}).items():
            parts.append(f"header {header.get('name')} {kind} {value}")
    return " ".join(parts) or "any request"


def _reconcile(reconciles, key: str) -> dict[str, Any] | None:
    return dict(reconciles[key]) if reconciles and key in reconciles else None


def _conditions(conditions) -> list[dict[str, str]]:
    return [{"type": c.get("type", ""), "status": c.get("status", ""), "reason": c.get("reason", ""),
             "message": c.get("message", "")} for c in conditions or ()]


def _true(conditions, type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions or ())


def _src(source: Mapping[str, Any]) -> tuple:
    return (source.get("kind"), source.get("namespace"), source.get("name"))


def _ns_name(obj) -> tuple[str, str]:
    return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


# ----------------------------------------------------------------------------- the terminal form
def render_text(tree: Mapping[str, Any]) -> str:
    lines = []
    ctl = tree.get("controller") or {}
    if ctl:
        lines.append("controller  " + "  ".join(f"{k} {v}" for k, v in ctl.items() if not isinstance(v, dict)))
        for op, rate in sorted((ctl.get("awsCallsPerMinute") or {}).items()):
            lines.append(f"  aws {op}: {rate}/min")
    for gw in tree.get("gateways") or ():
        lines.append(f"Gateway {gw['namespace']}/{gw['name']}  {summary(gw['conditions'])}")
        for r in gw["routes"]:
            lines.append(f"  {r['kind']} {r['namespace']}/{r['name']}  {summary(r['conditions'])}")
            lines.append(f"    service {r['service'] or '(none)'}  dns {r['dns'] or '-'}")
            rec = r.get("reconcile")
            if rec:
                lines.append(f"    reconcile {rec.get('state')}" + (f": {rec['error']}" if rec.get("error") else ""))
            for listener in r["listeners"]:
                lines.append(f"    listener {listener['name']} {listener['protocol']}:{listener['port']}")
                for rule in listener["rules"]:
                    lines.append(f"      [{rule['priority']}] {rule['match']} -> {describe_action(rule)}")
                    for fwd in rule["forward"]:
                        for t in fwd["targets"]:
                            lines.append(f"          {fwd['targetGroup']} {t['id']}:{t['port']} "
                                         f"{t['health'] or 'health unknown'}")
    if not tree.get("gateways"):
        lines.append("no Gateway of this controller's class")
    return "\n".join(lines) + "\n"


def describe_action(rule: Mapping[str, Any]) -> str:
    if rule.get("forward"):
        return ", ".join(f"{f['targetGroup']} weight {f['weight']} ({len(f['targets'])} targets)"
                         for f in rule["forward"])
    if rule.get("fixedResponse") is not None:
        return f"fixed response {rule['fixedResponse']}"
    return "-"


def summary(conditions) -> str:
    return " ".join(f"{c['type']}={c['status']}" + (f"({c['reason']})" if c["status"] != "True" else "")
                    for c in conditions) or "(no status yet)"
