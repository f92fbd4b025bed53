"""`latticegw diff`: what `latticegw run` would do, object by object, before it runs.

    latticegw diff                       # the cluster as kubectl finds it; AWS as `run` finds it
    latticegw diff -o json               # the same, for scripts
    latticegw diff --fail-on-delete      # a cutover gate: exit 3 if anything would be deleted or recreated

Like `kubectl diff` or `terraform plan`: it reads the live Kubernetes objects (through the
kubeconfig, as `run` and `status` do) and the live Lattice state (through the same client,
configuration loader and identity discovery as `run`), translates the objects and plans each
route and ServiceExport with the controller's own code (`LatticeSync.plan_source`: the lookups,
adoption of what exists for the same source, and `lattice.plan`, up to the point where `run`
would apply), and each Gateway's or ServiceNetwork's service network with a dry run of its step.
It writes nothing, anywhere: its AWS client refuses every call that is not a read
(`lattice.readonly`), and it sends only GETs to the API server.

Per Lattice object it prints adopt (exists, made by someone else for this object, e.g. the AWS
Gateway API Controller: taken over in place, same id and DNS name), keep, create, update (with
the fields), delete, recreate (its DNS name changes) or blocked (why); then the Kubernetes objects
whose finalizers (the AWS controller's) latticegw would remove, and the Lattice calls `run` would
make. A route latticegw has already applied (its `latticegw.io/applied` record) that differs from
Lattice is what `run` corrects at its next drift check.

Exit codes, as `kubectl diff`: 0 nothing would change, 1 something would (or is blocked),
2 an error (no cluster, no AWS, a configuration error); with --fail-on-delete, 3 when anything
would be deleted or recreated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

LIMIT = 8  # sources planned at a time (the controller's client concurrency)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", dest="kube_context", help="kubeconfig context")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("--fail-on-delete", action="store_true",
                        help="exit 3 when anything would be deleted or recreated (a DNS name change): "
                             "a gate before a cutover")
    parser.add_argument("--changes-only", action="store_true", help="leave out objects that are kept or adopted as "
                                                                   "they are")
    parser.add_argument("--controller-name", default=None,
                        help="GatewayClass controllerName (default: the AWS controller's, as latticegw run)")


@dataclass
class Report:
    identity: dict[str, str]
    lattice: list[dict[str, Any]] = field(default_factory=list)  # per Kubernetes object: its Lattice rows
    kubernetes: list[dict[str, Any]] = field(default_factory=list)  # finalizers removed
    operations: Counter[str] = field(default_factory=Counter)  # the Lattice writes `run` would make
    calls: Counter[str] = field(default_factory=Counter)  # the AWS calls this diff made

    def changes(self) -> list[dict[str, Any]]:
        return [c for entry in self.lattice for c in entry["changes"]]

    def to_dict(self) -> dict[str, Any]:
        from lattice.client import is_read
        from lattice.preview import ACTIONS

        counts = Counter(c["action"] for c in self.changes())
        reads = sum(n for op, n in self.calls.items() if is_read(op))
        return {
            "identity": self.identity,
            "lattice": self.lattice,
            "kubernetes": self.kubernetes,
            "summary": {**{a: counts.get(a, 0) for a in ACTIONS}, "finalizersRemoved": len(self.kubernetes)},
            "operations": dict(sorted(self.operations.items())),
            "awsCalls": {"reads": reads, "writes": sum(self.calls.values()) - reads,
                         "byOperation": dict(sorted(self.calls.items()))},
        }


def _entry(kind: str, namespace: str, name: str, changes: list, problems: list[str], note: str = "") -> dict:
    return {"kind": kind, "namespace": namespace, "name": name, "note": note,
            "changes": [c.to_dict() for c in changes], "problems": problems}


async def _read_cluster(kube: Any) -> list[dict[str, Any]]:
    """Every object the controller watches, as it lists them (Secrets: only kubernetes.io/tls)."""
    from controller.kube.discovery import FIELD_SELECTORS, discover

    resources, _missing = await discover(kube)
    objects: list[dict[str, Any]] = []
    for res in resources:
        selector = FIELD_SELECTORS.get(res.kind)
        body = await kube.get(res.path, {"fieldSelector": selector} if selector else None)
        for item in body.get("items") or ():
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
            objects.append(item)
    return objects


def _read_only(kube: Any) -> None:
    """This command sends GETs only: anything else is refused before it leaves the process."""
    request = kube.request

    async def only_get(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method.upper() != "GET":
            raise RuntimeError(f"latticegw diff: refused {method} {path}: this command only reads")
        return await request(method, path, *args, **kwargs)

    kube.request = only_get


async def gather(args: argparse.Namespace) -> Report:
    from controller import config as config_mod
    from controller import progress
    from controller.kube.client import KubeClient, load_configuration
    from controller.reconcilers.finalizers import AWS_FINALIZERS, being_deleted, finalizers_of, held
    from controller.reconcilers.gateway import _auth_applied
    from controller.reconcilers.route import _used_by
    from lattice.certificates import CertificateFinder, CertificateImporter
    from lattice.client import record_calls
    from lattice.inventory import Inventory
    from lattice.preview import describe, describe_network, operations
    from lattice.readonly import ReadOnlyClient
    from lattice.sync import LatticeSync
    from translate import Snapshot, translate
    from translate.model import Outcome, ServiceNetwork, Source

    cfg = config_mod.load({"kubeconfig": args.kubeconfig, "kube_context": args.kube_context,
                           "controller_name": args.controller_name}, os.environ)
    cfg = await config_mod.complete_identity(cfg)  # as `run`: unset parts from instance metadata
    tconfig = config_mod.translate_config(cfg)
    lconfig = config_mod.lattice_config(cfg)

    kube = KubeClient(await load_configuration(cfg.kubeconfig, cfg.kube_context))
    _read_only(kube)
    try:
        objects = await _read_cluster(kube)
    finally:
        await kube.close()
    translation = translate(Snapshot.of(objects), tconfig)
    report = Report({"managedBy": tconfig.managed_by, "region": cfg.region, "cluster": kube.host})

    acm = lconfig.use_acm
    with record_calls() as calls:
        async with ReadOnlyClient(lconfig, with_acm=acm) as client:
            inventory = Inventory(client, managed_by=tconfig.managed_by)
            await inventory.load()
            sync = LatticeSync(client, inventory, tconfig.managed_by, vpc_id=tconfig.vpc_id,
                               certificates=CertificateFinder(client) if acm else None,
                               importer=CertificateImporter(client, tconfig.managed_by) if acm else None)
            sem = asyncio.Semaphore(LIMIT)

            async def plan_object(obj: dict[str, Any]) -> dict[str, Any] | None:
                kind, md = obj["kind"], obj.get("metadata") or {}
                ns, name = md.get("namespace") or "", md["name"]
                source = Source(kind, ns, name)
                adopting = progress.recorded(obj) is None
                async with sem:
                    if being_deleted(obj):
                        if not held(obj):
                            return None
                        sp = await sync.plan_source(source)
                        note = "being deleted: what latticegw owns for it goes"
                    else:
                        outcome = translation.outcome(kind, ns, name) or Outcome(source)
                        said = _translated_problems(outcome)
                        services = translation.services_of(source)
                        tgs = translation.target_groups_of(source)
                        if outcome.parents or (kind == "ServiceExport" and tgs):
                            lookups = tuple(t for t in translation.target_group_lookups
                                            if _used_by(t.name, services))
                            sp = await sync.plan_source(source, services, tgs, lookups)
                            note = "" if adopting else "applied by latticegw before"
                        else:
                            sp = await sync.plan_source(source)  # not (or no longer) attached to a Gateway of ours
                            note = "not attached to a Gateway of this controller: what latticegw owns for it goes"
                            if not sp.plan.operations and not held(obj):
                                return None
                report.operations.update(operations(sp.plan.operations))
                report.calls.update(sp.calls)
                problems = [*(said if not being_deleted(obj) else []), *sp.problems,
                            *(f"certificate from Secret {s} imported into ACM first" for s in sp.imports)]
                return _entry(kind, ns, name, describe(sp, adopting=adopting), problems, note)

            route_kinds = ("HTTPRoute", "GRPCRoute", "TLSRoute", "ServiceExport")
            routes = [o for o in objects if o["kind"] in route_kinds]
            for got in await asyncio.gather(*(plan_object(o) for o in sorted(routes, key=_order))):
                if got is not None:
                    report.lattice.append(got)

            seen: set[str] = set()
            for obj in sorted((o for o in objects if o["kind"] in ("Gateway", "ServiceNetwork")), key=_order):
                kind, md = obj["kind"], obj.get("metadata") or {}
                ns, name = md.get("namespace") or "", md["name"]
                source = Source(kind, ns, name)
                adopting = progress.recorded(obj) is None
                rows: list[Any] = []
                problems: list[str] = []
                if being_deleted(obj):
                    if kind == "ServiceNetwork" and held(obj):
                        result = await sync.delete_service_network(ServiceNetwork(name, (source,), managed=True),
                                                                   dry_run=True)
                        report.operations.update(operations(result.planned))
                        report.calls.update(result.calls)
                        rows = describe_network(ServiceNetwork(name, (source,), managed=True), result,
                                                adopting=False)
                    if rows:
                        report.lattice.append(_entry(kind, ns, name, rows, problems, "being deleted"))
                    continue
                outcome = translation.outcome(kind, ns, name)
                if outcome is None:
                    continue  # not ours (another class)
                accepted = outcome.condition("Accepted") if kind == "Gateway" else None
                if accepted is not None and accepted.status != "True":
                    problems.append(f"not accepted: {accepted.message}")
                networks = [sn for sn in translation.service_networks if source in sn.sources]
                if kind == "ServiceNetwork":
                    networks = networks[:1]
                applied = _auth_applied(obj) if kind == "Gateway" else set()
                for sn in networks if not problems else ():
                    if sn.name in seen:
                        continue
                    seen.add(sn.name)
                    result = await sync.ensure_service_network(sn, dry_run=True)
                    if result.found and not sn.managed and sn.auth_policy is None and sn.name in applied:
                        dropped = await sync.remove_service_network_auth(sn, dry_run=True)  # its IAMAuthPolicy went
                        result.planned += dropped.planned
                        report.calls.update(dropped.calls)
                    report.operations.update(operations(result.planned))
                    report.calls.update(result.calls)
                    rows += describe_network(sn, result, adopting=adopting)
                    problems += result.in_progress
                report.lattice.append(_entry(kind, ns, name, rows, problems))

    report.calls.update(calls)  # (the inventory's load; plans and networks count their own)
    for obj in sorted(objects, key=_order):
        kind, md = obj["kind"], obj.get("metadata") or {}
        released = [f for f in finalizers_of(obj) if f in AWS_FINALIZERS.get(kind, ())]
        if not released:
            continue
        if being_deleted(obj):
            when = "being deleted: removed once latticegw's cleanup for it is done" if kind in (
                *route_kinds, "ServiceNetwork", "AccessLogPolicy", "VpcAssociationPolicy", "IAMAuthPolicy") else \
                "being deleted: removed at once, nothing in Lattice to clean up for it"
        elif kind in route_kinds and not any(e["kind"] == kind and e["namespace"] == (md.get("namespace") or "")
                                             and e["name"] == md["name"] and not e["note"].startswith("not attached")
                                             for e in report.lattice):
            when = "not attached to a Gateway of this controller: removed after its cleanup"
        else:
            continue  # kept: latticegw uses the same finalizer
        report.kubernetes.append({"kind": kind, "namespace": md.get("namespace") or "", "name": md["name"],
                                  "finalizers": released, "when": when})
    return report


def _translated_problems(outcome: Any) -> list[str]:
    """What the translation already says is wrong with a route (its False conditions, its Warnings)."""
    out = [f"{c.type}={c.status} {c.reason}: {c.message}" for p in outcome.parents for c in p.conditions
           if c.status != "True"]
    out += [f"{e.reason}: {e.message}" for e in outcome.events if e.type == "Warning"]
    return list(dict.fromkeys(out))


def _order(obj: dict[str, Any]) -> tuple[str, str, str]:
    md = obj.get("metadata") or {}
    return (obj.get("kind", ""), md.get("namespace") or "", md.get("name") or "")


SIGN = {"adopt": "~>", "keep": "  ", "create": "+ ", "update": "~ ", "delete": "- ", "recreate": "-/+",
        "blocked": "! "}


def render_text(report: dict[str, Any], changes_only: bool = False) -> str:
    ident = report["identity"]
    out = [f"latticegw diff: what `latticegw run` would do (ManagedBy {ident['managedBy']}, cluster {ident['cluster']})",
           ""]
    for entry in report["lattice"]:
        rows = [c for c in entry["changes"] if not changes_only or c["action"] not in ("keep", "adopt")]
        if changes_only and not rows and not entry["problems"]:
            continue
        where = f"{entry['namespace']}/{entry['name']}" if entry["namespace"] else entry["name"]
        out.append(f"{entry['kind']} {where}" + (f"  ({entry['note']})" if entry["note"] else ""))
        for c in rows:
            what = c["action"] + (" (adopted)" if c["adopted"] else "")
            if c["fields"]:
                what += ": " + ", ".join(c["fields"])
            tail = "  ".join(x for x in (c["id"] or "", c["note"]) if x)
            out.append(f"  {SIGN[c['action']]:3} {what:28} {c['kind']:16} {c['name']}" + (f"  {tail}" if tail else ""))
        for p in entry["problems"]:
            out.append(f"  note: {p}")
        out.append("")
    if report["kubernetes"]:
        out.append("Kubernetes: finalizers latticegw removes")
        for k in report["kubernetes"]:
            where = f"{k['namespace']}/{k['name']}" if k["namespace"] else k["name"]
            out.append(f"  - {k['kind']} {where}: {', '.join(k['finalizers'])}; {k['when']}")
        out.append("")
    s = report["summary"]
    out.append(", ".join(f"{s[a]} {a}" for a in ("adopt", "keep", "create", "update", "delete", "recreate", "blocked"))
               + f"; finalizers removed from {s['finalizersRemoved']} Kubernetes objects")
    ops = report["operations"]
    out.append("Lattice writes `run` would make: " + (", ".join(f"{op} {n}" for op, n in ops.items()) or "none"))
    calls = report["awsCalls"]
    out.append(f"AWS calls made by this diff: {calls['reads']} reads, {calls['writes']} writes")
    return "\n".join(out) + "\n"


def exit_code(report: dict[str, Any], fail_on_delete: bool) -> int:
    s = report["summary"]
    if fail_on_delete and (s["delete"] or s["recreate"]):
        return 3
    changed = report["operations"] or report["kubernetes"] or s["blocked"] or any(
        s[a] for a in ("create", "update", "delete", "recreate"))
    return 1 if changed else 0


def main(args: argparse.Namespace) -> int:
    from controller.config import ConfigError
    from controller.kube.client import KubeConfigError, KubeError
    from lattice.errors import LatticeError

    try:
        report = asyncio.run(gather(args)).to_dict()
    except (KubeConfigError, KubeError, ConfigError, LatticeError) as exc:
        print(f"latticegw diff: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - exit 1 means "changes" here: any other failure is 2
        if os.environ.get("LATTICEGW_DEBUG"):
            raise
        print(f"latticegw diff: unexpected error: {type(exc).__name__}: {exc} "
              "(set LATTICEGW_DEBUG=1 to see the traceback, and please report it)", file=sys.stderr)
        return 2
    if args.output == "json":
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(report, args.changes_only))
    return exit_code(report, args.fail_on_delete)
