"""`latticegw run`: the controller process.

Flags override environment variables, which override defaults (see
`controller.config`). Reconcilers come from the module named by
`--reconcilers` / LATTICEGW_RECONCILERS (default `controller.reconcilers`),
which must define `register(registry, runtime)`. If it registers nothing (or
does not exist), every watched kind gets the *logging no-op reconciler*, which
only logs.

Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 2 for a configuration
error (the message names the variable or flag; also: no usable kubeconfig, an
address already in use), 1 for anything else. Errors are one line on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys

import structlog

from controller import config as config_mod
from controller.observe import logging as logging_mod

DEFAULT_RECONCILERS = "controller.reconcilers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--kubeconfig", help="kubeconfig file (default: in-cluster config, else $KUBECONFIG / ~/.kube/config)")
    a("--context", dest="kube_context", help="kubeconfig context")
    a("--namespace", help="namespace for the Lease and the HA queue store (env LATTICEGW_NAMESPACE, POD_NAMESPACE)")
    a("--identity", help="this replica's name in the Lease (env LATTICEGW_IDENTITY, POD_NAME; default hostname)")
    a("--metrics-bind-address", dest="metrics_address",
      help="HOST:PORT for /metrics, 0 = off (env LATTICEGW_METRICS_BIND_ADDRESS; default :8080)")
    a("--health-probe-bind-address", dest="health_address",
      help="HOST:PORT for /healthz /readyz (env LATTICEGW_HEALTH_PROBE_BIND_ADDRESS; default :8081)")
    a("--status-bind-address", dest="status_address",
      help="HOST:PORT for the status page / and /debug/* (env LATTICEGW_STATUS_BIND_ADDRESS; "
           "default 127.0.0.1:8082, loopback: unauthenticated)")
    a("--sidecar-address", help="one HOST:PORT for all three of the above (env LATTICEGW_SIDECAR_ADDRESS)")
    a("--workers", type=str, help="concurrent reconciles (env ROUTE_MAX_CONCURRENT_RECONCILES; default 16)")
    a("--leader-elect", dest="leader_elect", default=None, choices=["true", "false"],
      help="use a Lease so only one replica works (default true)")
    a("--queue-store", help="sqlite:PATH (default sqlite:latticegw-queue.sqlite3), kube (HA) or memory")
    a("--lease-duration", type=str)
    a("--renew-deadline", type=str)
    a("--retry-period", type=str)
    a("--log-level", help="debug, info, warning, error (env LOG_LEVEL)")
    a("--webhook-address", help="HOST:PORT of the pod readiness gate webhook, served by every replica "
                                "(env LATTICEGW_WEBHOOK_ADDRESS; default: not served)")
    a("--reconcilers", default=None, help="module with register(registry, runtime) (env LATTICEGW_RECONCILERS)")


def _flags(args: argparse.Namespace) -> dict:
    names = ["kubeconfig", "kube_context", "namespace", "identity", "sidecar_address", "metrics_address",
             "health_address", "status_address", "workers", "leader_elect",
             "queue_store", "lease_duration", "renew_deadline", "retry_period", "log_level", "webhook_address",
             "reconcilers"]
    return {n: getattr(args, n, None) for n in names}


def load_reconcilers(module_name: str | None, registry, runtime, log):
    """Import the reconcilers module and call its register(); returns its closer, if any."""
    explicit = module_name is not None
    module_name = module_name or DEFAULT_RECONCILERS
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if explicit:
            raise config_mod.ConfigError(f"--reconcilers / LATTICEGW_RECONCILERS {module_name}: {exc}") from None
        if exc.name != module_name:
            raise
        log.warning("no reconcilers module; every kind gets the logging no-op reconciler", module=module_name)
        return None
    register = getattr(module, "register", None)
    if register is None:
        if explicit:
            raise SystemExit(f"latticegw run: {module_name} defines no register(registry, runtime)")
        log.warning("reconcilers module defines no register(registry, runtime) yet; "
                    "every kind gets the logging no-op reconciler", module=module_name)
        return None
    closer = register(registry, runtime)
    log.info("reconcilers registered", module=module_name, kinds=registry.kinds())
    return closer


async def _amain(cfg: config_mod.Config, reconcilers: str | None) -> int:
    from controller.kube.client import KubeClient, KubeConfigError, load_configuration
    from controller.kube.tls_buffer import shrink
    from controller.manager import Manager
    from controller.observe.sidecar import BindError

    shrink()  # before any connection: 32 KiB TLS read buffers, not 256 KiB each
    log = structlog.get_logger("latticegw")
    try:
        kcfg = await load_configuration(cfg.kubeconfig, cfg.kube_context)
    except KubeConfigError as exc:
        print(f"latticegw run: {exc}", file=sys.stderr)
        return 2
    if (reconcilers or DEFAULT_RECONCILERS) == DEFAULT_RECONCILERS:  # the Lattice reconcilers need the identity
        try:
            cfg = await config_mod.complete_identity(cfg)  # unset parts: from instance metadata
        except config_mod.ConfigError as exc:
            print(f"latticegw run: configuration error: {exc}", file=sys.stderr)
            return 2
        log.info("aws identity", region=cfg.region, account=cfg.aws_account_id, vpc=cfg.cluster_vpc_id,
                 cluster=cfg.cluster_name)
    kube = KubeClient(kcfg)
    try:
        manager = Manager(cfg, kube)
        try:
            closer = load_reconcilers(reconcilers, manager.registry, manager.runtime, log)
        except config_mod.ConfigError as exc:
            print(f"latticegw run: configuration error: {exc}", file=sys.stderr)
            return 2
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, manager.stop)
        log.info("starting", identity=cfg.identity, namespace=cfg.namespace, leader_elect=cfg.leader_elect,
                 queue_store=cfg.queue_store, workers=cfg.workers)
        try:
            return await manager.run()
        except BindError as exc:
            print(f"latticegw run: {exc}", file=sys.stderr)
            return 2
        finally:
            if callable(closer):
                await closer()
    finally:
        await kube.close()


def main(args: argparse.Namespace) -> int:
    try:
        cfg = config_mod.load(_flags(args), os.environ)
    except config_mod.ConfigError as exc:
        print(f"latticegw run: configuration error: {exc}", file=sys.stderr)
        return 2
    logging_mod.configure(cfg.log_level)
    try:
        return asyncio.run(_amain(cfg, cfg.reconcilers or None))
    except KeyboardInterrupt:
        return 0
