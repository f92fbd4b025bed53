"""How to reach Lattice and how hard to push it: one small frozen dataclass.

The controller builds one `LatticeConfig` at process start (`controller.config.lattice_config`,
from REGION, LATTICE_ENDPOINT, LATTICEGW_AWS_*, ...: nothing here reads the environment) and
hands it to `LatticeClient`. Credentials come from the standard AWS chain
unless given explicitly (tests pass dummy ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """An operation class's ceiling: at most `rate` requests per second, bursts of up to `burst`.
    The adaptive limiter (ratelimit.py) starts there and goes slower only when AWS throttles."""

    rate: float
    burst: float


# Lattice publishes no per-operation TPS, so a fixed guess is wrong both ways (too low costs every
# user speed; too high provokes throttling). These are ceilings, not targets: each class starts here
# and AWS's ThrottlingExceptions set the pace. Bursts stay small, because calls in flight when the
# first throttle comes back are throttled too (measured in the simulation of tests/unit/lattice/
# test_ratelimit.py: a burst of 50 doubles the throttled calls of a burst of 10).
DEFAULT_BUCKETS: dict[str, BucketSpec] = {
    "read": BucketSpec(rate=200.0, burst=20.0),
    "write": BucketSpec(rate=200.0, burst=10.0),
    "tag": BucketSpec(rate=100.0, burst=10.0),
}


@dataclass(frozen=True, slots=True)
class LatticeConfig:
    region: str = "us-west-2"
    endpoint_url: str | None = None  # None = the real regional endpoint
    acm_endpoint_url: str | None = None  # ACM is used when set or on real AWS
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    # The User-Agent of every AWS call (botocore adds its own name and version). botocore's default
    # (None) is rebuilt from ~15 sanitised parts twice per call: ~1.4 ms of CPU each time, more than
    # signing the request; a fixed one costs microseconds.
    user_agent: str | None = "latticegw"
    # connections per client (aiohttp TCPConnector limit); >= the number of concurrent workers
    max_pool_connections: int = 32
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # botocore-level attempts; 1 = every HTTP attempt goes through our own retry loop, which
    # honours retryAfterSeconds, feeds the adaptive buckets and counts it (aws_api_requests_total;
    # botocore's own retries would be invisible there).
    sdk_attempts: int = 1
    # our retry loop: attempts per call (first included) for throttling / 5xx / connection errors
    max_attempts: int = 4
    # never sleep longer than this in total for one call; beyond it raise RetryLater
    max_retry_wait: float = 5.0
    base_backoff: float = 0.05
    buckets: dict[str, BucketSpec] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))
    # how many Lattice calls one apply may run concurrently (independent resources)
    concurrency: int = 8
    # Resource Groups Tagging API (tag:GetResources) to find OUR resources at start in a few pages
    # instead of one ListTagsForResource per resource. None = on for real AWS (no endpoint_url),
    # off against an emulator.
    tagging_api: bool | None = None
    tagging_endpoint_url: str | None = None

    @property
    def use_acm(self) -> bool:
        """ACM (certificate import and discovery): on real AWS, or wherever its endpoint is given."""
        return self.endpoint_url is None or self.acm_endpoint_url is not None

    @property
    def use_tagging_api(self) -> bool:
        return self.endpoint_url is None if self.tagging_api is None else self.tagging_api
