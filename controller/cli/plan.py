"""`latticegw plan`: translate manifests offline (no cluster, no AWS) and print the desired model.

    latticegw plan -f examples/my-hotel -o table

`-o json` (default) and `-o yaml` print the contract in docs/reference/plan-output.md; `-o table` prints one line
per Lattice resource indented under its Kubernetes source, with rejected objects marked `✗`.
Configuration comes from the same environment variables as the controller, read by the same
loader (`controller.config`: CLUSTER_NAME, CLUSTER_VPC_ID, AWS_ACCOUNT_ID, REGION,
DEFAULT_SERVICE_NETWORK, ENABLE_SERVICE_NETWORK_OVERRIDE, LATTICEGW_CONTROLLER_NAME) and can be
overridden with flags; when the identity falls back to placeholders, a warning says so
(ownership tags and target group names then differ from the live controller's).

Folders are read as users keep them: objects of kinds translate does not read (Deployment, Secret
of other types, ConfigMap, ...) are listed as skipped; objects of kinds it reads but does not act on
(a route whose parent Gateway is missing or of another class, an export without the federation
annotation, ...) are listed as ignored, with why. Both lists go to stderr with `-o json|yaml` (stdout
stays the contract) and into the table with `-o table`.

Exit 0 even when objects are rejected (their status says why), unless `--fail-on-rejected`: then
exit 1 when any object is rejected or a route is ignored (for CI gating); exit 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson
import yaml

from controller import config as config_mod
from controller.cli import unacted
from controller.cli.manifests import ManifestError, load
from translate import Snapshot, TranslateConfig, Translation, translate
from translate.model import ROUTE_KINDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", action="append", required=True, metavar="FILE_OR_DIR",
                        help="manifest file or directory (recursive); repeatable; - for stdin")
    parser.add_argument("-o", "--output", choices=("json", "yaml", "table"), default="json")
    parser.add_argument("--cluster-name", help="CLUSTER_NAME")
    parser.add_argument("--vpc-id", help="CLUSTER_VPC_ID")
    parser.add_argument("--account-id", help="AWS_ACCOUNT_ID")
    parser.add_argument("--region", help="REGION")
    parser.add_argument("--default-service-network", help="DEFAULT_SERVICE_NETWORK")
    parser.add_argument("--service-network-override", action="store_true", default=None,
                        help="ENABLE_SERVICE_NETWORK_OVERRIDE: map every Gateway to the default service network")
    parser.add_argument("--controller-name", help="GatewayClass controllerName to act on")
    parser.add_argument("--fail-on-rejected", action="store_true",
                        help="exit 1 when any object is rejected or a route is ignored (CI gating)")


# The identity the ownership tag (and every target group name) is made of: Config field, env var,
# flag, and what a plan shows without it (the controller refuses to start without it).
IDENTITY = (("cluster_name", "CLUSTER_NAME", "--cluster-name", "cluster"),
            ("cluster_vpc_id", "CLUSTER_VPC_ID", "--vpc-id", "vpc-00000000000000000"),
            ("aws_account_id", "AWS_ACCOUNT_ID", "--account-id", "123456789012"))
REGION_PLACEHOLDER = "us-west-2"


def settings(args: argparse.Namespace, env: Mapping[str, str]) -> config_mod.Config:
    """The controller's configuration (the same loader, the same variables), with the plan's flags."""
    return config_mod.load({
        "cluster_name": args.cluster_name, "cluster_vpc_id": args.vpc_id, "aws_account_id": args.account_id,
        "region": args.region, "default_service_network": args.default_service_network,
        "enable_service_network_override": args.service_network_override, "controller_name": args.controller_name,
    }, env)


def config_from(cfg: config_mod.Config) -> TranslateConfig:
    """translate's settings, with placeholders for the parts of the identity nobody gave."""
    given = {name: str(getattr(cfg, name) or placeholder) for name, _, _, placeholder in IDENTITY}
    return config_mod.translate_config(replace(cfg, cluster_name=given["cluster_name"],
                                               cluster_vpc_id=given["cluster_vpc_id"],
                                               aws_account_id=given["aws_account_id"],
                                               region=cfg.region or REGION_PLACEHOLDER))


def placeholder_warning(cfg: config_mod.Config) -> str | None:
    unset = [(var, flag, placeholder) for name, var, flag, placeholder in IDENTITY if not getattr(cfg, name)]
    if not unset:
        return None
    names = ", ".join(f"{var}={value}" for var, _, value in unset)
    flags = "/".join(flag for _, flag, _ in unset)
    return (f"latticegw plan: warning: {names} are placeholders (set them, or pass {flags}): the ownership tags "
            "and target group names shown differ from the ones the live controller uses")


def main(args: argparse.Namespace) -> int:
    skipped: list[dict[str, Any]] = []
    try:
        stdin_text = sys.stdin.read() if "-" in args.filename else None
        objects = load(args.filename, stdin_text, skipped)
    except ManifestError as exc:
        print(f"latticegw plan: {exc}", file=sys.stderr)
        return 2
    try:
        settings_ = settings(args, os.environ)
    except config_mod.ConfigError as exc:
        print(f"latticegw plan: configuration error: {exc}", file=sys.stderr)
        return 2
    cfg = config_from(settings_)
    snapshot = Snapshot.of(objects)
    try:
        result = translate(snapshot, cfg)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # translate trusts the API server's schema validation; raw YAML may not be schema-valid.
        print(f"latticegw plan: cannot translate the manifests ({type(exc).__name__}: {exc}); "
              "are they valid against the CRD schemas?", file=sys.stderr)
        return 2
    warning = placeholder_warning(settings_)
    if warning:
        print(warning, file=sys.stderr)
    data = plain(result)
    notes = unacted.notes(snapshot, data, cfg, skipped)
    if args.output == "table":
        sys.stdout.write(table(data, notes))
    else:
        sys.stdout.write(render(result, args.output))
        for line in unacted.lines(notes):
            print(f"latticegw plan: {line}", file=sys.stderr)
    if args.fail_on_rejected:
        rejected = problems(data) + [n for n in notes if n.rejected]
        if rejected:
            print(f"latticegw plan: {len(rejected)} objects rejected or ignored (--fail-on-rejected)", file=sys.stderr)
            return 1
    return 0


def plain(result: Translation) -> dict[str, Any]:
    """The JSON document as plain dicts and lists (FrozenDict/tuples converted)."""
    return orjson.loads(orjson.dumps(result.to_dict()))


def render(result: Translation, output: str) -> str:
    data = result.to_dict()
    if output == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    plain = orjson.loads(orjson.dumps(data))  # FrozenDict/tuples → plain dict/list for PyYAML
    if output == "yaml":
        return yaml.safe_dump(plain, sort_keys=False, default_flow_style=False)
    return table(plain)


def _entry_ok(st: dict[str, Any]) -> tuple[bool, str]:
    """(ok, summary) of one status entry: a route by its parents, any other kind by its conditions."""
    if st["kind"] in ROUTE_KINDS:
        oks, summaries = [], []
        for p in st.get("parents", ()):
            ok, s = _conds(p["conditions"])
            oks.append(ok)
            ref = p["parentRef"]
            sect = f"/{ref['sectionName']}" if ref.get("sectionName") else ""
            summaries.append(f"{ref.get('namespace')}/{ref['name']}{sect}: {s}")
        return all(oks), " | ".join(summaries)
    ok, s = _conds(st["conditions"])
    prog = next((c for c in st["conditions"] if c["type"] == "Programmed"), None)
    if prog and prog["status"] != "True" and ok:
        s += f", Programmed={prog['status']} {prog['reason']}"
    return ok, s


def problems(d: dict[str, Any]) -> list[str]:
    """`Kind ns/name: why` for every rejected object of the document."""
    out = []
    for st in d["status"]:
        ok, summary = _entry_ok(st)
        if not ok:
            ns = f"{st['namespace']}/" if st["namespace"] else ""
            out.append(f"{st['kind']} {ns}{st['name']}: {summary}")
    return out


# ---------------------------------------------------------------------------------------------
# The table: for people.


def _conds(conds: list[dict[str, Any]]) -> tuple[bool, str]:
    """(ok, summary) of a condition list: ok unless Accepted/ResolvedRefs is False."""
    bad = [c for c in conds if c["status"] == "False" and c["type"] in ("Accepted", "ResolvedRefs")]
    bad += [c for c in conds if c["type"] == "PartiallyInvalid" and c["status"] == "True"]
    if bad:
        return False, "; ".join(f"{c['type']}={c['status']} {c['reason']}: {c['message']}".rstrip(": ") for c in bad)
    acc = next((c for c in conds if c["type"] == "Accepted"), None)
    return True, acc["reason"] if acc else ""


def _match(m: dict[str, Any]) -> str:
    hm = m.get("httpMatch", {})
    parts = []
    if hm.get("method"):
        parts.append(hm["method"])
    pm = (hm.get("pathMatch") or {}).get("match") or {}
    for k, v in pm.items():
        parts.append(f"{'Exact' if k == 'exact' else 'Prefix'} {v}")
    for h in hm.get("headerMatches") or ():
        parts.append(f"{h['name']}={next(iter(h['match'].values()))}")
    return " ".join(parts) or "*"


def _action(a: dict[str, Any]) -> str:
    if "fixedResponse" in a:
        return f"fixed {a['fixedResponse']['statusCode']}"
    tgs = a.get("forward", {}).get("targetGroups", ())
    return "forward " + ", ".join(f"{t['targetGroupIdentifier']} w={t['weight']}" for t in tgs)


def table(d: dict[str, Any], notes: "list[unacted.Note] | None" = None) -> str:
    lines: list[str] = []
    status = {(s["kind"], s["namespace"], s["name"]): s for s in d["status"]}
    services_by: dict[Any, list[Any]] = {}
    for svc in d["services"]:
        services_by.setdefault((svc["source"]["kind"], svc["source"]["namespace"], svc["source"]["name"]), []).append(svc)
    tgs_by: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for tg in d["targetGroups"]:
        tgs_by.setdefault((tg["source"]["kind"], tg["source"]["namespace"], tg["source"]["name"]), []).append(tg)
    sn_by: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for sn in d["serviceNetworks"]:
        for src in sn["sources"]:
            sn_by.setdefault((src["kind"], src["namespace"], src["name"]), []).append(sn)

    def head(key: tuple[str, str, str], extra: str = "", ok: bool = True) -> None:
        kind, ns, name = key
        ident = f"{kind} {ns + '/' if ns else ''}{name}"
        mark = "  " if ok else "✗ "
        lines.append(f"{mark}{ident}" + (f"  [{extra}]" if extra else ""))

    def row(what: str, text: str, depth: int = 1) -> None:
        lines.append(f"{'    ' * depth}{what:<15} {text}")

    keys = sorted(set(status) | set(sn_by) | set(tgs_by), key=lambda k: (_ORDER.get(k[0], 99), k))
    for key in keys:
        st = status.get(key)
        if st is None:
            head(key)
        else:
            ok, s = _entry_ok(st)
            head(key, s, ok)
        for ev in (st or {}).get("events", ()):
            row("event", f"{ev['type']} {ev['reason']}: {ev['message']}")
        for sn in sn_by.get(key, ()):
            mode = "create/adopt" if sn["managed"] else "look up"
            row("service network", f"{sn['name']} ({mode}, auth {sn['authType']})")
            if sn.get("vpcAssociation"):
                va = sn["vpcAssociation"]
                row("vpc assoc.", f"{va['vpcIdentifier']} sg={','.join(va['securityGroupIds']) or '-'}", 2)
            for als in sn.get("accessLogSubscriptions", ()):
                row("access logs", als["destinationArn"], 2)
        if key[0] == "Gateway" and st:
            for lst in st.get("listeners", ()):
                ok, s = _conds(lst["conditions"])
                row("listener", f"{lst['name']}  attachedRoutes={lst['attachedRoutes']}" + ("" if ok else f"  ✗ {s}"))
        for svc in services_by.get(key, ()):
            extras = [f"→ sn {', '.join(svc['serviceNetworks'])}" if svc["serviceNetworks"] else "standalone"]
            if svc["customDomainName"]:
                extras.append(f"domain {svc['customDomainName']}")
            if svc["authType"] != "NONE":
                extras.append(f"auth {svc['authType']}")
            row("service", f"{svc['name']}  " + "  ".join(extras))
            for lst in svc["listeners"]:
                row("listener", f"{lst['name']}  {lst['protocol']}:{lst['port']}  default {_action(lst['defaultAction'])}", 2)
                for rule in lst["rules"]:
                    row("rule", f"p{rule['priority']:<3} {_match(rule['match'])}  → {_action(rule['action'])}", 3)
        for tg in tgs_by.get(key, ()):
            cfg = tg["config"]
            hc = cfg.get("healthCheck", {})
            hc_s = f"hc {hc.get('path', '')} every {hc.get('healthCheckIntervalSeconds')}s" if hc.get("enabled") else "hc off"
            targets = ", ".join(f"{t['id']}:{t['port']}" for t in tg["targets"][:4])
            more = f" +{len(tg['targets']) - 4}" if len(tg["targets"]) > 4 else ""
            proto = f"{cfg['protocol']}/{cfg['protocolVersion']}" if cfg.get("protocolVersion") else cfg["protocol"]
            b = tg["backend"]
            row("target group", f"{tg['name']}  ← Service {b['namespace']}/{b['name']}  {proto}  {hc_s}")
            row("targets", f"{len(tg['targets'])}: {targets}{more}" if tg["targets"] else "0", 2)
    for note in notes or ():
        lines.append(("✗ " if note.rejected else "- ") + note.text)
    rejected = sum(1 for line in lines if line.startswith("✗"))
    lines.append("")
    lines.append(
        f"{len(d['serviceNetworks'])} service networks, {len(d['services'])} services, "
        f"{len(d['targetGroups'])} target groups; {rejected} objects with problems (✗)"
    )
    return "\n".join(lines) + "\n"


_ORDER = {
    "GatewayClass": 0, "ServiceNetwork": 1, "Config": 1, "Gateway": 2, "HTTPRoute": 3, "GRPCRoute": 4,
    "TLSRoute": 5, "ServiceExport": 6, "TargetGroupPolicy": 7, "VpcAssociationPolicy": 8,
    "AccessLogPolicy": 9, "IAMAuthPolicy": 10,
}
