"""What `latticegw plan` read but does not act on, and why: so nothing in a folder silently vanishes.

Two kinds of note:

- skipped: objects of kinds translate never reads (Deployment, ConfigMap, ...), which users keep in
  the same files as their routes. Listed, never an error.
- ignored: objects of kinds translate reads that get no status and no Lattice resource. The
  controller ignores them too (it writes status only for parents it owns), but a person reading
  the plan wants to know why: a route whose parent Gateway is missing or belongs to another
  controller, a Gateway of another class, a ServiceExport without the federation annotation.
  An ignored route counts as rejected for `--fail-on-rejected`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from translate import Snapshot, TranslateConfig
from translate.exports import FEDERATION
from translate.model import ROUTE_KINDS
from translate.snapshot import name_of, namespace_of, spec_of

# Kinds translate may decide not to act on (no status, no Lattice resource). The others either always
# get a status (policies, ServiceNetworks) or only feed the translation (Services, EndpointSlices, ...).
ACTED_ON = ("GatewayClass", "Gateway", *ROUTE_KINDS, "ServiceExport")


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    rejected: bool = False


def _ident(obj: Mapping[str, Any]) -> str:
    ns = namespace_of(obj)
    return f"{obj['kind']} {ns + '/' if ns else ''}{name_of(obj)}"


def _class_problem(snapshot: Snapshot, class_name: str, cfg: TranslateConfig) -> str | None:
    gc = snapshot.get("GatewayClass", "", class_name)
    if gc is None:
        return f"GatewayClass {class_name} is not in the input"
    controller = spec_of(gc).get("controllerName")
    if controller != cfg.controller_name:
        return f"GatewayClass {class_name} belongs to controller {controller}"
    return None


def _parent_problem(snapshot: Snapshot, route: Mapping[str, Any], ref: Mapping[str, Any],
                    cfg: TranslateConfig) -> str:
    kind = ref.get("kind") or "Gateway"
    ns = ref.get("namespace") or namespace_of(route)
    name = ref.get("name") or ""
    if kind != "Gateway":
        return f"parent {kind} {ns}/{name} is not a Gateway"
    gw = snapshot.get("Gateway", ns, name)
    if gw is None:
        return f"parent Gateway {ns}/{name} not found"
    problem = _class_problem(snapshot, str(spec_of(gw).get("gatewayClassName") or ""), cfg)
    return f"parent Gateway {ns}/{name}: {problem}" if problem else f"parent Gateway {ns}/{name} does not take it"


def _why(snapshot: Snapshot, obj: Mapping[str, Any], cfg: TranslateConfig) -> str:
    kind = obj["kind"]
    spec = spec_of(obj)
    if kind in ROUTE_KINDS:
        refs = spec.get("parentRefs") or ()
        return "; ".join(_parent_problem(snapshot, obj, ref, cfg) for ref in refs) or "no parentRefs"
    if kind == "Gateway":
        return _class_problem(snapshot, str(spec.get("gatewayClassName") or ""), cfg) or "not for this controller"
    if kind == "GatewayClass":
        return f"controller {spec.get('controllerName')}, not {cfg.controller_name}"
    if kind == "ServiceExport":
        ann = (obj.get("metadata") or {}).get("annotations") or {}
        if ann.get(FEDERATION) != "amazon-vpc-lattice":
            return f"no {FEDERATION}: amazon-vpc-lattice annotation (the AWS controller ignores it too)"
        return "its Service is missing or exports no port"
    return "nothing to do for it"


def notes(snapshot: Snapshot, document: Mapping[str, Any], cfg: TranslateConfig,
          skipped: Sequence[Mapping[str, Any]]) -> list[Note]:
    """Skipped and ignored objects, in input order per group (`document`: the plan's JSON document)."""
    acted = {(s["kind"], s["namespace"], s["name"]) for s in document["status"]}
    for section in ("services", "targetGroups"):
        acted |= {(r["source"]["kind"], r["source"]["namespace"], r["source"]["name"]) for r in document[section]}
    out = []
    for kind in ACTED_ON:
        for obj in snapshot.list(kind):
            if (kind, namespace_of(obj), name_of(obj)) not in acted:
                out.append(Note(f"{_ident(obj)}  [ignored: {_why(snapshot, obj, cfg)}]", rejected=kind in ROUTE_KINDS))
    for obj in skipped:
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace")
        out.append(Note(f"{obj['kind']} {ns + '/' if ns else ''}{meta.get('name')}  [skipped: latticegw does not "
                        f"read {obj.get('apiVersion')} {obj['kind']}]"))
    return out


def lines(all_notes: list[Note]) -> list[str]:
    return [n.text for n in all_notes]
