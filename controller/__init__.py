"""Everything about Kubernetes and the process: the latticegw runtime.

Packages, one concept each (only this package imports kubernetes-asyncio):

- `kube/`        the API server: raw-JSON client, discovery, informers, stores, indexes, snapshot, keys
- `queue/`       the durable, rate-limited, deduplicating work queue and its persistence backends
- `leader/`      Lease leader election and the per-term fence
- `reconcilers/` one reconciler per kind: snapshot -> translate -> plan -> apply -> status
- `observe/`     metrics, tracing, logging and the sidecar that serves them
- `cli/`         the `latticegw` command and its subcommands
- `localkube/`   a loopback kube-apiserver + etcd for `demo` and the tests

Top-level modules hold the wiring between them:

- `config.py`      Config: flags > environment > defaults, parsed once at start
- `manager.py`     Manager: informers + queue + leader election + workers + sidecar
- `embedded.py`    running_manager(): the same Manager inside an existing event loop
- `reconcile.py`   the reconciler contract (Result, TemporaryError, TerminalError, Registry, Runtime)
- `workers.py`     worker coroutines: queue -> reconcile -> outcome, metrics, spans, logs
- `handlers.py`    cache changes -> work-queue keys
- `status.py`      fenced status patches; `events.py` deduplicated Kubernetes Events
- `progress.py`    the applied-progress record; `annotations.py` the output annotations
- `version.py`     the version string

See README.md in this folder for how to write a reconciler.
"""
