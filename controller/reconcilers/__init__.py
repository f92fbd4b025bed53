"""The reconcilers: one per kind, each snapshot -> translate -> Lattice sync -> status.

`register(registry, runtime)` is what `latticegw run` (and `controller.embedded`)
call; it returns an async closer for the process-wide Lattice client.

| kind                          | reconciler                      | writes to AWS                          |
|-------------------------------|---------------------------------|----------------------------------------|
| GatewayClass                  | conditions_only.gateway_class   | nothing                                |
| Gateway                       | gateway.GatewayReconciler       | SN lookups; SNVA/auth/access logs      |
| HTTPRoute, GRPCRoute, TLSRoute| route.RouteReconciler           | service, listeners, rules, TGs, targets|
| ServiceExport                 | route.RouteReconciler           | the exported target groups             |
| ServiceNetwork                | service_network.ServiceNetworkReconciler | the service network           |
| *Policy (4 kinds)             | conditions_only.policy          | nothing (the target's reconcile does)  |
| ServiceImport, Service        | released.ReleaseOnly            | nothing: drops the AWS controller's finalizer when deleting |

EndpointSlices, Namespaces and ReferenceGrants have no reconciler of their own (nor
Services and ServiceImports beyond letting them go): the event handlers turn their changes into the keys of
the routes and exports that use them, whose reconcile then registers or
deregisters just the targets that changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from controller.config import lattice_config, translate_config
from controller.reconcile import Registry, Runtime
from controller.reconcilers import conditions_only
from controller.reconcilers.context import Context
from controller.reconcilers.gateway import GatewayReconciler
from controller.reconcilers.lattice_handle import LatticeHandle
from controller.reconcilers.released import ReleaseOnly
from controller.reconcilers.route import RouteReconciler
from controller.reconcilers.service_network import ServiceNetworkReconciler
from translate.model import POLICY_KINDS, ROUTE_KINDS


def register(registry: Registry, runtime: Runtime) -> Callable[[], Awaitable[None]]:
    # The settings of the translation and of the AWS client, built here once, at start-up, from
    # the Config `controller.config.load` read (a missing AWS identity stops the process here).
    tconfig = translate_config(runtime.config)
    lconfig = lattice_config(runtime.config)
    metrics = getattr(runtime, "metrics", None) or getattr(runtime.kube, "metrics", None)
    handle = LatticeHandle(
        lconfig, tconfig.managed_by, tconfig.vpc_id,
        observer=metrics,
        on_open=metrics.watch_aws_rates if metrics is not None else None,
    )
    ctx = Context(runtime, tconfig, handle)
    runtime.lattice_inventory = lambda: handle.inventory
    routes = RouteReconciler(ctx)
    registry.register("GatewayClass", conditions_only.gateway_class(ctx))
    registry.register("Gateway", GatewayReconciler(ctx))
    for kind in (*ROUTE_KINDS, "ServiceExport"):
        registry.register(kind, routes)
    registry.register("ServiceNetwork", ServiceNetworkReconciler(ctx))
    policy = conditions_only.policy(ctx, registry)
    for kind in POLICY_KINDS:
        registry.register(kind, policy)
    release = ReleaseOnly(ctx)
    for kind in ("ServiceImport", "Service"):
        registry.register(kind, release)
    return handle.close
