"""How to reach Lattice and how hard to push it: one small frozen dataclass.

The controller builds one `LatticeConfig` at process start (from its own Config: REGION,
LATTICE_ENDPOINT, ...) and hands it to `LatticeClient`. Credentials come from the standard AWS chain
unless given explicitly (tests pass dummy ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """A token bucket: `rate` requests per second on average, bursts of up to `burst`."""

    rate: float
    burst: float


# Lattice publishes no per-operation TPS; these stay well below what AWS APIs usually allow
# (reads ~ 20/s, mutations ~ 5-10/s) so a busy controller never provokes throttling by itself.
DEFAULT_BUCKETS: dict[str, BucketSpec] = {
    "read": BucketSpec(rate=20.0, burst=40.0),
    "write": BucketSpec(rate=8.0, burst=16.0),
    "tag": BucketSpec(rate=5.0, burst=10.0),
}


@dataclass(frozen=True, slots=True)
class LatticeConfig:
    region: str = "us-west-2"
    endpoint_url: str | None = None  # LATTICE_ENDPOINT; None = the real regional endpoint
    acm_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    # connections per client (aiohttp TCPConnector limit); >= the number of concurrent workers
    max_pool_connections: int = 32
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # botocore-level attempts; 1 = every HTTP attempt goes through our own retry loop, which
    # honours retryAfterSeconds and feeds the adaptive buckets.
    sdk_attempts: int = 1
    # our retry loop: attempts per call (first included) for throttling / 5xx / connection errors
    max_attempts: int = 4
    # never sleep longer than this in total for one call; beyond it raise RetryLater
    max_retry_wait: float = 5.0
    base_backoff: float = 0.05
    buckets: dict[str, BucketSpec] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))
    # how many Lattice calls one apply may run concurrently (independent resources)
    concurrency: int = 8
