"""Where the controller's resident memory goes before it does any work: RSS added by each import.

Imports the controller's dependencies one at a time, in the order `latticegw run` pulls them in,
in a fresh interpreter, and prints the RSS each one adds (after gc). The peak RSS at work is
bench_rates.py's figure; the difference is data (informer caches, the botocore model, pools).

    .venv/bin/python bench/bench_memory.py
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Heaviest third-party pieces first, so each later line is what that module adds on top.
CHAIN = [
    ("structlog", "structlog (and the asyncio stdlib it pulls in)"),
    ("aiohttp", "aiohttp"),
    # Configuration, ApiClient and the kubeconfig loaders, without the generated APIs and models
    # (importing `kubernetes_asyncio.client` itself would add ~34 MiB more).
    ("controller.kube.k8s_lib", "kubernetes-asyncio (Configuration, ApiClient, loaders)"),
    ("botocore.session", "botocore"),
    ("aioboto3", "aioboto3 / aiobotocore"),
    ("prometheus_client", "prometheus_client"),
    ("opentelemetry.sdk.trace", "OpenTelemetry SDK"),
    ("translate", "translate/"),
    ("lattice.sync", "lattice/ (client, plan, apply, inventory, sync)"),
    ("controller.manager", "controller/ (manager, informers, queue, sidecar, webhook)"),
    ("controller.reconcilers", "controller reconcilers"),
    ("controller.cli.run", "latticegw run"),
]


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) / 1024


def main() -> None:
    start = rss_mib()
    print(f"{'interpreter':60} {start:6.1f} MiB")
    for module, label in CHAIN:
        before = rss_mib()
        importlib.import_module(module)
        gc.collect()
        print(f"{label:60} +{rss_mib() - before:5.1f} MiB")
    print(f"{'total after imports':60} {rss_mib():6.1f} MiB")


if __name__ == "__main__":
    main()
