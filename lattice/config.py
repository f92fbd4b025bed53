"""How to reach Lattice and how hard to push it: one small frozen dataclass.

The controller builds one `LatticeConfig` at process start (from its own Config: REGION,
LATTICE_ENDPOINT, ...) and hands it to `LatticeClient`. Credentials come from the standard AWS chain
unless given explicitly (tests pass dummy ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
    endpoint_url: str | None = None  # LATTICE_ENDPOINT; None = the real regional endpoint
    acm_endpoint_url: str | None = None  # LATTICEGW_ACM_ENDPOINT; ACM is used when set or on real AWS
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
    # Resource Groups Tagging API (tag:GetResources) to find OUR resources at start in a few pages
    # instead of one ListTagsForResource per resource. None = on for real AWS (no endpoint_url),
    # off against an emulator; DISABLE_TAGGING_SERVICE_API=true turns it off (reference's name).
    tagging_api: bool | None = None
    tagging_endpoint_url: str | None = None

    @property
    def use_acm(self) -> bool:
        """ACM (certificate import and discovery): on real AWS, or wherever its endpoint is given."""
        return self.endpoint_url is None or self.acm_endpoint_url is not None

    @property
    def use_tagging_api(self) -> bool:
        return self.endpoint_url is None if self.tagging_api is None else self.tagging_api


def _num(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}: want a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name}: must be > 0, got {raw!r}")
    return value


def from_env(env: Mapping[str, str], **overrides: Any) -> LatticeConfig:
    """A LatticeConfig from the environment (pass os.environ); `overrides` win when not None.

    REGION / AWS_REGION, LATTICE_ENDPOINT, DISABLE_TAGGING_SERVICE_API (the reference's names),
    and our knobs: LATTICEGW_AWS_{READ,WRITE,TAG}_QPS and _BURST (ceilings of the adaptive rates),
    LATTICEGW_AWS_MAX_ATTEMPTS,
    LATTICEGW_AWS_MAX_RETRY_WAIT (seconds), LATTICEGW_AWS_POOL (connections per client),
    LATTICEGW_TAGGING_ENDPOINT (the Resource Groups Tagging API's endpoint; setting it turns the
    tagging API on even with LATTICE_ENDPOINT set, e.g. for the emulator, which serves both),
    LATTICEGW_ACM_ENDPOINT (ACM's endpoint; likewise turns ACM - certificate import and discovery -
    on with LATTICE_ENDPOINT set).
    A bad value raises ValueError naming the variable.
    """
    base = LatticeConfig()
    buckets = {}
    for cls, spec in DEFAULT_BUCKETS.items():
        up = cls.upper()
        buckets[cls] = BucketSpec(rate=_num(env, f"LATTICEGW_AWS_{up}_QPS", spec.rate),
                                  burst=_num(env, f"LATTICEGW_AWS_{up}_BURST", spec.burst))
    values: dict[str, Any] = {
        "region": env.get("REGION") or env.get("AWS_REGION") or base.region,
        "endpoint_url": env.get("LATTICE_ENDPOINT") or None,
        "max_attempts": int(_num(env, "LATTICEGW_AWS_MAX_ATTEMPTS", base.max_attempts)),
        "max_retry_wait": _num(env, "LATTICEGW_AWS_MAX_RETRY_WAIT", base.max_retry_wait),
        "max_pool_connections": int(_num(env, "LATTICEGW_AWS_POOL", base.max_pool_connections)),
        "buckets": buckets,
    }
    tagging_endpoint = (env.get("LATTICEGW_TAGGING_ENDPOINT") or "").strip()
    if tagging_endpoint:
        values.update(tagging_api=True, tagging_endpoint_url=tagging_endpoint)
    acm_endpoint = (env.get("LATTICEGW_ACM_ENDPOINT") or "").strip()
    if acm_endpoint:
        values["acm_endpoint_url"] = acm_endpoint
    if (env.get("DISABLE_TAGGING_SERVICE_API") or "").strip().lower() == "true":
        values["tagging_api"] = False  # wins: private clusters without a tagging endpoint
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LatticeConfig(**values)
