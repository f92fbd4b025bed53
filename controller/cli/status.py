"""`latticegw status`: the status page's tree in a terminal, from a live cluster.

    latticegw status                      # kubeconfig as kubectl finds it
    kubectl latticegw status -o json      # the same, as a kubectl plugin

It reads what the API server holds (Gateways, routes with their status and DNS annotations,
Services, EndpointSlices, policies, the leader Lease) and translates it exactly as the
controller does, so listeners, rules (priority, match, weights) and targets are the ones the
controller programs. Target health, the last reconcile of each object and AWS call rates live
in the controller itself: see its status page (`kubectl port-forward deploy/latticegw 8082`).
Exit codes: 0, 2 when the cluster cannot be reached or read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import orjson


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", dest="kube_context", help="kubeconfig context")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("--namespace", default=os.environ.get("LATTICEGW_NAMESPACE", "latticegw-system"),
                        help="the controller's namespace, for its leader Lease (default latticegw-system)")
    parser.add_argument("--lease-name", default="latticegw-leader")
    parser.add_argument("--controller-name", default=None, help="GatewayClass controllerName (default: the AWS "
                                                                  "controller's, as latticegw run)")


async def gather(args: argparse.Namespace) -> dict:
    from controller import config as config_mod
    from controller.cli.plan import config_from
    from controller.config import DEFAULT_CONTROLLER_NAME
    from controller.kube.client import KubeClient, KubeError, load_configuration
    from controller.kube.discovery import discover
    from controller.observe import status_tree
    from translate import Snapshot, translate

    kube = KubeClient(await load_configuration(args.kubeconfig, args.kube_context))
    try:
        resources, _missing = await discover(kube)
        objects = []
        for res in resources:
            if res.kind == "Secret":
                continue  # never read Secrets for a status view (they only resolve certificates)
            body = await kube.get(res.path)
            for item in body.get("items") or ():
                item.setdefault("apiVersion", res.api_version)
                item.setdefault("kind", res.kind)
                objects.append(item)
        try:
            lease = await kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{args.namespace}/leases/{args.lease_name}")
            leader = (lease.get("spec") or {}).get("holderIdentity") or "none"
        except KubeError as exc:
            if not exc.not_found:
                raise
            leader = f"none (no Lease {args.namespace}/{args.lease_name})"
    finally:
        await kube.close()
    # The same loader and variables as `latticegw run` (placeholders for an identity not given:
    # this only translates, to show what the controller would do)
    settings = config_mod.load({"controller_name": args.controller_name}, os.environ)
    controller_name = settings.controller_name or DEFAULT_CONTROLLER_NAME
    tconfig = config_from(settings)
    translation = translate(Snapshot.of(objects), tconfig).to_dict()
    return status_tree.build(objects, translation, controller_name=controller_name,
                             controller={"leader": leader, "cluster": kube.host})


def main(args: argparse.Namespace) -> int:
    from controller.config import ConfigError
    from controller.kube.client import KubeConfigError, KubeError
    from controller.observe.status_tree import render_text

    try:
        tree = asyncio.run(gather(args))
    except (KubeConfigError, KubeError, ConfigError) as exc:
        print(f"latticegw status: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.output == "json":
        sys.stdout.write(orjson.dumps(tree, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(tree))
    return 0
