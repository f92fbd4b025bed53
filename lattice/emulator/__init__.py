"""A local Amazon VPC Lattice control plane (REST-JSON over aiohttp).

It speaks the wire protocol botocore/aioboto3 use, validates input against
botocore's own service model, and behaves like Lattice: status codes, conflicts,
quotas, lifecycles, pagination, clientToken idempotency (see
../shared/reference/lattice-api.md). It imports nothing else from latticegw.

In-process use (tests, benchmarks, `latticegw demo`)::

    import aioboto3
    from lattice.emulator import EmulatorControl, run_emulator

    async with run_emulator(host="127.0.0.1", port=0, strict_output=True) as emu:
        session = aioboto3.Session()
        async with session.client("vpc-lattice", **emu.client_kwargs()) as lattice:
            sn = await lattice.create_service_network(name="my-hotel")
        async with emu.control() as ctl:           # or EmulatorControl(emu.url)
            assert await ctl.call_count("CreateServiceNetwork") == 1
            state = await ctl.partition()          # {"serviceNetworks": [...], ...}

`run_emulator` options are EmulatorConfig fields: region, account, accounts
({access key id: account}), delays ({"create", "delete", "update",
"target_health", "draining"} seconds; default 0 = done by the next request;
"health_checks": a factor on each target group's healthyThresholdCount x
healthCheckIntervalSeconds that replaces target_health when > 0),
quotas ({"services": 2000, ...}), throttle (AWS-like request rates, the same rules as
faults/throttle below but kept across resets: {"writes": {"rate": 10, "burst": 10}}), strict_output (answer 500 when a response has
unmodelled members or an error the op does not declare: catches emulator bugs in
tests), seed (reproducible IDs, also after reset), and state_file (persist across
restarts, saved every save_interval seconds and at exit). Command line:
`latticegw emulator --host 127.0.0.1 --port 8080 [--state FILE] [--throttle writes=10/s,reads=20/s]`.

Requests need a SigV4 `Authorization` header (any credentials); the account
comes from the access key id, the region from the credential scope, and state
is partitioned by (account, region).

The same port also serves the Resource Groups Tagging API's GetResources, TagResources and
UntagResources (JSON 1.1: `POST /` with `X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Op>`;
the batch tagging calls tag each ARN as Lattice's TagResource/UntagResource would and report the
ones that fail in FailedResourcesMap), so
`session.client("resourcegroupstaggingapi", **emu.client_kwargs())` works too. It
lists this partition's resources that have or had tags, filtered by
ResourceTypeFilters (`vpc-lattice`, `vpc-lattice:service`, `vpc-lattice:targetgroup`,
`vpc-lattice:servicenetwork`, ...; listeners are `vpc-lattice:service/listener`),
TagFilters and ResourceARNList, in pages of ResourcesPerPage (1-100, default 50)
with 15-minute tokens. It is counted and fault-injected as `GetResources`; the
shared errors take its names (ThrottledException, InternalServiceException,
InvalidParameterException); other targets answer 400 UnknownOperationException.
See tagging_api/.

AWS Certificate Manager is served the same way (`X-Amz-Target: CertificateManager.<Op>`, so
`session.client("acm", **emu.client_kwargs())` works): ImportCertificate (and re-import),
ListCertificates (statuses, keyTypes with ACM's RSA-only default, pages), DescribeCertificate,
DeleteCertificate (ResourceInUseException while a Lattice service uses it), and the certificate tag
operations. See acm_api/. Both JSON services share ../json_front.py.

Control API (JSON; EmulatorControl wraps each call)
---------------------------------------------------
GET    /_emulator/state[?account=&region=]  every resource per partition, tags, targets with status
POST   /_emulator/reset                     drop all state, faults and counters
GET    /_emulator/calls                     {"calls": {op: n}, "total", "outcomes": {op: {code: n}},
                                             "throttled": {op: n}, "throttled_total",
                                             "timing": {op: {samples, p50_ms, p90_ms, p99_ms, mean_ms}}}
                                            (timing = server-side time per call, excluding injected latency)
DELETE /_emulator/calls                     reset the counters
GET    /_emulator/faults                    current fault rules;  DELETE clears them all
POST   /_emulator/faults/latency            {"operation": op|"*", "fixed": s | "uniform": [lo, hi] |
                                             "normal": [mean, sd] | "exponential": mean}  (no spec = remove)
POST   /_emulator/faults/throttle           {"operation": op|class|"*", "rate": per s, "burst": n,
                                             "retryAfter"?: s}: a token bucket per account and key; a class
                                             is "writes", "reads" (Get*/List*) or "tagging" (Tag/Untag,
                                             GetResources); "*" is account-wide; rate 0 refuses all (a
                                             storm); rate null removes it. An empty bucket answers 429
                                             ThrottlingException, Retry-After = whole seconds to the next
                                             token (>= 1) unless retryAfter is given
POST   /_emulator/faults/errors             {"operation": op|"*", "code": "ConflictException", "count": n |
                                             "probability": p, "message"?, "retryAfter"?, "status"?}; a rule
                                             of the wrong types or with unknown keys is a 400
POST   /_emulator/faults/consistency        {"seconds": s, "operations": [Create ops] | null}: created
                                             resources stay invisible to Get/List for s seconds
POST   /_emulator/faults/lifecycle          {"operation": "CreateService", "count": n, "failureCode",
                                             "failureMessage"}: the next transitions end *_FAILED
POST   /_emulator/target-health             {"targetGroupIdentifier", "id", "port"?, "status":
                                             "HEALTHY"|"UNHEALTHY"|null, "reasonCode"?}
POST   /_emulator/clock                     {"advance": s}: move the emulator's clock forward, so tests
                                             see transitions, health and visibility change without sleeping
GET    /_emulator/config   PATCH same       delays, quotas, strict_output, accounts (partial update)
POST   /_emulator/save                      write the state file now

State dump format (a stable contract; tests in other packages read it): one entry per
(account, region) in "partitions", each with "account", "region" and the lists
serviceNetworks, services, listeners, rules, targetGroups,
serviceNetworkServiceAssociations, serviceNetworkVpcAssociations,
accessLogSubscriptions (records in creation order, with the API's member names plus
"tags"; listeners and rules add "serviceId", rules "listenerId"; target groups add
"serviceArns" and "targets": [{id, port, status, reasonCode}]), "certificates" (ACM records with
their tags, never the PEM), and the maps authPolicies (by resource id) and resourcePolicies
(by resource ARN).
"""

from .client import EmulatorControl, EmulatorControlError
from .config import DEFAULT_QUOTAS, Delays, EmulatorConfig
from .runner import run_emulator
from .server import Emulator

__all__ = [
    "DEFAULT_QUOTAS",
    "Delays",
    "Emulator",
    "EmulatorConfig",
    "EmulatorControl",
    "EmulatorControlError",
    "run_emulator",
]
