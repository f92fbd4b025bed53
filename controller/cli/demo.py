"""`latticegw demo`: the whole product on a laptop, no AWS account.

Starts a real kube-apiserver + etcd on loopback (controller.localkube), the local
Lattice emulator, and the controller itself (the same Manager and reconcilers as
`latticegw run`); applies the seed examples; waits until every Gateway is
Programmed and every route Accepted; prints what became of each Kubernetes
object in Lattice; then keeps running until Ctrl-C (`--once` exits instead).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from controller import config as config_mod
from controller.annotations import LATTICE_DOMAIN as DOMAIN_ANNOTATION
from controller.annotations import LATTICE_SERVICE_ARN
from controller.localkube.artifacts import REPO_ROOT
from controller.observe import logging as logging_mod
from translate.model import ROUTE_KINDS

DEFAULT_EXAMPLES = [str(REPO_ROOT / "examples" / "my-hotel"), str(REPO_ROOT / "examples" / "checkout-ab")]
POLICY_CRDS = REPO_ROOT / "deploy" / "crds"

# The demo's make-believe AWS identity; the emulator accepts any credentials.
DEMO_ENV = {
    "CLUSTER_NAME": "demo",
    "CLUSTER_VPC_ID": "vpc-0000000000000demo",
    "AWS_ACCOUNT_ID": "123456789012",
    "REGION": "us-west-2",
}


# The production layout (controller.config), all on loopback: a laptop exposes nothing.
DEMO_ADDRESSES = {"metrics": "127.0.0.1:8080", "health": "127.0.0.1:8081", "status": "127.0.0.1:8082"}


def free_addresses(wanted: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """`wanted` with each busy default replaced by port 0 (the kernel picks a free one), and a
    note per replacement. Only the defaults move: an address the user chose is theirs to fix."""
    out, notes = {}, []
    for role, addr in wanted.items():
        host, port = config_mod.parse_address(role, addr)
        if addr == DEMO_ADDRESSES[role] and not _can_bind(host, port):
            out[role] = f"{host}:0"
            notes.append(f"port {port} is busy; {role} uses a free port instead")
        else:
            out[role] = addr
    return out, notes


def _can_bind(host: str, port: int) -> bool:
    # The same options aiohttp's TCPSite uses (reuse_address), so the answer is the one it gets.
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("-f", "--filename", action="append", dest="examples",
      help="manifests to apply (file or directory; repeatable; default: the seed examples)")
    a("--metrics-bind-address", dest="metrics_address", default=DEMO_ADDRESSES["metrics"],
      help=f"HOST:PORT for /metrics (default {DEMO_ADDRESSES['metrics']}; a free port if busy)")
    a("--health-probe-bind-address", dest="health_address", default=DEMO_ADDRESSES["health"],
      help=f"HOST:PORT for /healthz /readyz (default {DEMO_ADDRESSES['health']}; a free port if busy)")
    a("--status-bind-address", dest="status_address", default=DEMO_ADDRESSES["status"],
      help=f"HOST:PORT for the status page (default {DEMO_ADDRESSES['status']}; a free port if busy)")
    a("--once", action="store_true", help="exit after the examples converged (for scripts and CI)")
    a("--timeout", type=float, default=180.0, help="seconds to wait for convergence (default 180)")
    a("--workers", default="16", help="concurrent reconciles (default 16)")
    a("--log-level", default="warning", help="controller log level (default warning, to keep the table readable)")


def main(args: argparse.Namespace) -> int:
    from controller.cli.manifests import ManifestError
    from controller.localkube.artifacts import ArtifactsError
    from controller.observe.sidecar import BindError

    logging_mod.configure(args.log_level)
    try:
        return asyncio.run(_demo(args))
    except KeyboardInterrupt:
        return 0
    except (ManifestError, config_mod.ConfigError, BindError, ArtifactsError) as exc:
        print(f"latticegw demo: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


async def _demo(args: argparse.Namespace) -> int:
    from controller.cli.manifests import load
    from controller.config import translate_config
    from controller.embedded import running_manager
    from controller.localkube import LocalKube
    from lattice.emulator import EmulatorControl, run_emulator

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    manifests = load(args.examples or DEFAULT_EXAMPLES)
    addresses, notes = free_addresses({"metrics": args.metrics_address, "health": args.health_address,
                                       "status": args.status_address})
    for note in notes:
        print(note)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="latticegw-demo-") as tmp:
        workdir = Path(tmp)
        print("starting a local Kubernetes API server (etcd + kube-apiserver) ...", flush=True)
        async with LocalKube.started(workdir / "kube", extra_crds=sorted(POLICY_CRDS.glob("*.yaml"))) as kube, \
                run_emulator(host="127.0.0.1", port=0, region=DEMO_ENV["REGION"]) as emu:
            print(f"  API server  {kube.url}  (kubeconfig: {kube.kubeconfig_path})")
            print(f"  Lattice     {emu.url}  (local emulator)")
            # The emulator also serves the tagging API (find our resources with it, as on AWS) and
            # ACM (listener certificates), unless the environment says otherwise.
            env = {"LATTICEGW_TAGGING_ENDPOINT": emu.url, "LATTICEGW_ACM_ENDPOINT": emu.url,
                   **os.environ, **DEMO_ENV, "LATTICE_ENDPOINT": emu.url}
            cfg = config_mod.load(
                {"kubeconfig": str(kube.kubeconfig_path), "metrics_address": addresses["metrics"],
                 "health_address": addresses["health"], "status_address": addresses["status"],
                 "leader_elect": "false", "queue_store": f"sqlite:{workdir / 'queue.sqlite3'}",
                 "workers": args.workers, "log_level": args.log_level},
                env,
            )
            await create_service_networks(emu, manifests, DEMO_ENV["CLUSTER_VPC_ID"])
            async with running_manager(cfg) as manager:
                side = manager.sidecar
                print(f"  controller  status page {side.url('status')}/  metrics {side.url('metrics')}/metrics"
                      f"  probes {side.url('health')}/readyz")
                for obj in manifests:
                    await kube.apply(obj, field_manager="latticegw-demo")
                print(f"applied {len(manifests)} objects; waiting for Lattice to converge ...", flush=True)
                async with EmulatorControl(emu.url) as ctl:
                    ok, problems = await _wait_converged(kube, manifests, args.timeout, ctl,
                                                         translate_config(cfg))
                    state = await ctl.partition()
                routes = [await _read(kube, o) for o in manifests if o["kind"] in ROUTE_KINDS]
                print()
                print(render_table(routes, state))
                print()
                if not ok:
                    print("not converged after %.0fs:" % args.timeout, file=sys.stderr)
                    for p in problems:
                        print(f"  - {p}", file=sys.stderr)
                    return 1
                print(f"converged in {time.monotonic() - started:.1f}s (including API server start-up)")
                if not args.once:
                    print("running; Ctrl-C to stop. Try: KUBECONFIG=%s kubectl get httproutes -A" % kube.kubeconfig_path)
                    await _wait_for_signal()
    return 0


async def create_service_networks(emu, manifests: list[dict], vpc_id: str) -> None:
    """What the walkthrough does with the AWS CLI before installing anything: one service
    network per Gateway, the first associated with the cluster's VPC (Lattice allows one
    service network per VPC). latticegw, like the AWS controller, never creates a service
    network for a Gateway: set DEFAULT_SERVICE_NETWORK or use a ServiceNetwork object."""
    import aioboto3

    names = sorted({o["metadata"]["name"] for o in manifests if o["kind"] == "Gateway"})
    session = aioboto3.Session()
    async with session.client("vpc-lattice", **emu.client_kwargs()) as aws:
        for i, name in enumerate(names):
            sn = await aws.create_service_network(name=name)
            line = f"  created service network {name} ({sn['id']})"
            if i == 0:
                await aws.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"],
                                                                 vpcIdentifier=vpc_id)
                line += f", associated with {vpc_id}"
            print(line + " (the walkthrough's AWS CLI step)")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _read(kube, obj: dict) -> dict:
    status, body = await kube.request("GET", await kube.object_path(obj))
    return body if status == 200 else obj


def _condition(conditions, type_: str) -> dict:
    return next((c for c in conditions or () if c.get("type") == type_), {})


def problems_of(obj: dict) -> list[str]:
    """Why `obj` (as read back from the API server) is not converged yet; [] when it is."""
    kind, name = obj["kind"], f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
    status = obj.get("status") or {}
    if kind == "Gateway":
        programmed = _condition(status.get("conditions"), "Programmed")
        if programmed.get("status") != "True":
            return [f"Gateway {name}: Programmed={programmed.get('status', '?')} {programmed.get('reason', '')}"]
    elif kind in ROUTE_KINDS:
        parents = status.get("parents") or []
        if not parents:
            return [f"{kind} {name}: no status from the controller yet"]
        out = []
        for p in parents:
            for type_ in ("Accepted", "ResolvedRefs"):
                c = _condition(p.get("conditions"), type_)
                if c.get("status") != "True":
                    out.append(f"{kind} {name}: {type_}={c.get('status', '?')} {c.get('reason', '')} {c.get('message', '')}")
        if not (obj["metadata"].get("annotations") or {}).get(DOMAIN_ANNOTATION):
            out.append(f"{kind} {name}: no assigned DNS name yet")
        return out
    return []


async def _wait_converged(kube, manifests: list[dict], timeout: float, ctl, tconfig) -> tuple[bool, list[str]]:
    """Until every Gateway is Programmed, every route Accepted with its DNS name, and Lattice (the
    emulator's state) holds the complete model of every route: status alone says only that a
    route's service exists, not its listeners, rules, target groups and targets."""
    from lattice.desired_state import missing
    from translate import Snapshot, translate

    watched = [o for o in manifests if o["kind"] == "Gateway" or o["kind"] in ROUTE_KINDS]
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    while time.monotonic() < deadline:
        problems = []
        for obj in watched:
            problems += problems_of(await _read(kube, obj))
        if not problems:
            # what the controller translates: the objects as the API server holds them
            want = translate(Snapshot.of([await _read(kube, o) for o in manifests]), tconfig)
            problems = [f"Lattice: {gap}" for gap in missing(want.services, want.target_groups,
                                                             await ctl.partition())]
            if not problems:
                return True, []
        await asyncio.sleep(0.5)
    return False, problems


def render_table(routes: list[dict], state: dict) -> str:
    """Kubernetes routes -> their Lattice service, listeners, rules and target groups."""
    services = {s["arn"]: s for s in state.get("services", [])}
    listeners: dict[str, list[dict]] = {}
    for listener in state.get("listeners", []):
        listeners.setdefault(listener["serviceId"], []).append(listener)
    rules: dict[str, list[dict]] = {}
    for rule in state.get("rules", []):
        rules.setdefault(rule["listenerId"], []).append(rule)
    tgs = {t["id"]: t for t in state.get("targetGroups", [])}
    tgs.update({t["arn"]: t for t in state.get("targetGroups", [])})
    pad = " " * 44
    lines = [f"{'KUBERNETES':44} LATTICE"]
    for route in routes:
        meta = route["metadata"]
        ann = meta.get("annotations") or {}
        svc = services.get(ann.get(LATTICE_SERVICE_ARN, ""))
        title = f"{route['kind']} {meta.get('namespace', '')}/{meta['name']}"
        lines.append(f"{title:44} service {svc['name'] if svc else '(none yet)'}")
        lines.append(f"{pad}  dns {ann.get(DOMAIN_ANNOTATION, '-')}")
        for listener in listeners.get((svc or {}).get("id", ""), []):
            lines.append(f"{pad}  listener {listener.get('name')} {listener.get('protocol')}:{listener.get('port')}")
            ordered = sorted(rules.get(listener["id"], []),
                             key=lambda r: (bool(r.get("isDefault")), int(r.get("priority") or 0)))
            for rule in ordered:
                lines.append(f"{pad}    {_describe_rule(rule, tgs)}")
    return "\n".join(lines)


def _describe_rule(rule: dict, tgs: dict) -> str:
    path = (((rule.get("match") or {}).get("httpMatch") or {}).get("pathMatch") or {}).get("match") or {}
    where = "default" if rule.get("isDefault") else next((f"{k} {v}" for k, v in path.items()), "any path")
    prio = "-" if rule.get("isDefault") else rule.get("priority")
    action = rule.get("action") or {}
    if "forward" in action:
        parts = []
        for ref in action["forward"].get("targetGroups", []):
            tg = tgs.get(ref.get("targetGroupIdentifier"), {})
            parts.append(f"{tg.get('name', ref.get('targetGroupIdentifier'))} weight {ref.get('weight')}"
                         f" ({len(tg.get('targets', []))} targets)")
        return f"[{prio}] {where} -> " + ", ".join(parts)
    if "fixedResponse" in action:
        return f"[{prio}] {where} -> fixed response {action['fixedResponse'].get('statusCode')}"
    return f"[{prio}] {where} -> {action}"
