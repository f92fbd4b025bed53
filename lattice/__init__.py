"""Everything about AWS: the VPC Lattice (and ACM) side of latticegw.

Modules, one job each (only this package imports aioboto3/botocore; `emulator/` is separate):

- `config.py`       LatticeConfig: endpoint, region, credentials, pool size, rate limits, retry budget
- `client.py`       LatticeClient: one aioboto3 client per service, rate limits, retries, metrics, spans
- `ratelimit.py`    adaptive send rates per operation class (read / write / tag), shared by all workers
- `errors.py`       NotFound, Conflict, RetryLater (requeue after `retry_after`), LatticeError, and
                    `verdict()`: the one policy for what a failed call means (plans and networks)
- `observed.py`     mutable records of what Lattice holds (services, listeners, rules, TGs, ...)
- `inventory.py`    Inventory: the index of Lattice resources, loaded once, kept current by our writes;
                    the only writer of its records (`record(api, key, params, response)`)
- `recording.py`    the table behind `Inventory.record`: what each answered call changes, by (kind, operation)
- `normalize.py`    canonical forms so desired values and Lattice's echoes compare equal
- `plan.py`         plan(desired, observed) -> Plan: pure, ordered, minimal operations
- `apply.py`        Applier: runs a plan (phases, Refs, deterministic clientTokens), records results
- `sync.py`         LatticeSync: the API the reconcilers call (apply_source, sync_targets, ...)
- `networks.py`     ServiceNetworks (owned by LatticeSync): lookup / create / adopt, VPC association,
                    auth policy, access logs
- `certificates.py` ACM for custom domains: listener Secrets imported (CertificateImporter), discovery
- `desired_state.py` does a state dump hold a translation's whole model? (bench and demo convergence)

This file imports nothing, so `import lattice.emulator` stays free of aioboto3.
"""
