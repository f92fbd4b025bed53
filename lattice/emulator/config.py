"""Emulator settings: accounts, lifecycle delays and quotas (all adjustable at run time)."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

# Per account per Region defaults from the User Guide (spec section 4).
DEFAULT_QUOTAS: dict[str, int] = {
    "service_networks": 50,
    "services": 2000,
    "target_groups": 500,
    "listeners_per_service": 2,
    "rules_per_listener": 10,
    "target_groups_per_service": 10,
    "targets_per_target_group": 1000,
    "service_associations_per_service_network": 500,
    "vpc_associations_per_service_network": 500,
    "auth_policy_bytes": 10 * 1024,
}

# Quota codes as Service Quotas names them; only the listener one is confirmed
# (spec section 4), the rest are stable placeholders so clients can match on them.
QUOTA_CODES: dict[str, str] = {
    "listeners_per_service": "L-D64E952E",
}


Seconds = float | tuple[float, float]


@dataclass
class Delays:
    """Seconds a resource spends in each transitional state (0 = done by the next request).

    create, delete and update also take a (low, high) range: each transition then
    draws its own duration, as real Lattice takes anywhere from 2 to 30 seconds.
    """

    create: Seconds = 0.0
    delete: Seconds = 0.0
    update: Seconds = 0.0
    # INITIAL -> HEALTHY for targets of an in-use target group with health checks on.
    target_health: float = 0.0
    # When > 0, INITIAL lasts as long as Lattice's health checks take to pass instead:
    # healthyThresholdCount x healthCheckIntervalSeconds of the target group (defaults 5 x 30 s),
    # times this factor (0.01 makes the default 1.5 s), so a target group with a shorter
    # interval or threshold becomes healthy sooner, as on AWS.
    health_checks: float = 0.0
    # DRAINING lasts this long after deregistering from an in-use target group.
    draining: float = 0.0

    RANGED = ("create", "delete", "update")

    def pick(self, name: str, rng: random.Random) -> float:
        value = getattr(self, name)
        if isinstance(value, (tuple, list)):
            return rng.uniform(value[0], value[1])
        return value

    def set(self, name: str, value: Any) -> None:
        if name not in ("create", "delete", "update", "target_health", "health_checks", "draining"):
            raise KeyError(f"delays.{name}")
        if isinstance(value, (list, tuple)):
            if name not in self.RANGED or len(value) != 2 or not 0 <= float(value[0]) <= float(value[1]):
                raise ValueError(f"delays.{name}: a range is [low, high] and only for {', '.join(self.RANGED)}")
            setattr(self, name, (float(value[0]), float(value[1])))
        else:
            if float(value) < 0:
                raise ValueError(f"delays.{name} must not be negative")
            setattr(self, name, float(value))


@dataclass
class EmulatorConfig:
    region: str = "us-west-2"
    account: str = "123456789012"
    # Access key id -> account, for multi-account tests; unknown keys map to `account`.
    accounts: dict[str, str] = field(default_factory=dict)
    delays: Delays = field(default_factory=Delays)
    quotas: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    # AWS-like request rates: token buckets per account and operation class ("writes", "reads",
    # "tagging"), operation, or "*" (account-wide): {key: {"rate": per s, "burst": n}}. Empty = no
    # throttling (Lattice publishes no rates). `latticegw emulator --throttle writes=10/s,reads=20/s`.
    throttle: dict[str, dict[str, float]] = field(default_factory=dict)
    # Check every response against the model's output shape; answers 500 on a mismatch.
    strict_output: bool = False
    # Seed for IDs and probabilistic faults, so runs can be reproduced.
    seed: int | None = None
    # Seconds between background saves when a state file is configured.
    save_interval: float = 5.0
    # The EC2 instance IMDSv2 and DescribeTags describe (instance/): instanceId, mac, vpcId, tags,
    # and accountId / region (default: the emulator's own).
    instance: dict[str, Any] = field(default_factory=lambda: {
        "instanceId": "i-0123456789abcdef0", "mac": "0e:12:34:56:78:9a", "vpcId": "vpc-0123456789abcdef0",
        "tags": {"aws:eks:cluster-name": "emulated-cluster"}})

    def instance_view(self) -> dict[str, Any]:
        return {"accountId": self.account, "region": self.region, "tags": {}, **self.instance}

    def quota(self, name: str) -> int:
        return self.quotas.get(name, DEFAULT_QUOTAS[name])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, patch: dict[str, Any]) -> None:
        """Apply a partial update from the control API; unknown keys are an error."""
        for key, value in patch.items():
            if key == "delays":
                for k, v in value.items():
                    self.delays.set(k, v)
            elif key == "quotas":
                for k, v in value.items():
                    if k not in DEFAULT_QUOTAS:
                        raise KeyError(f"quotas.{k}")
                    self.quotas[k] = int(v)
            elif key == "throttle":
                from .faults import throttle_rule  # (faults imports the model; keep config light)

                self.throttle = {k: throttle_rule(v["rate"], v.get("burst"), v.get("retryAfter"))
                                 for k, v in (value or {}).items()}
            elif key == "instance":
                unknown = set(value) - {"instanceId", "mac", "vpcId", "tags", "accountId", "region"}
                if unknown:
                    raise KeyError(f"instance.{sorted(unknown)[0]}")
                self.instance = {**self.instance, **value}
            elif key in ("strict_output", "region", "account", "accounts", "save_interval"):
                setattr(self, key, value)
            else:
                raise KeyError(key)

    @classmethod
    def realistic(cls, **kw: Any) -> "EmulatorConfig":
        """Transition times in the range real Lattice shows (spec: 2-30 s)."""
        return cls(delays=Delays(create=(2, 30), delete=(2, 30), update=(2, 10), target_health=10, draining=10), **kw)
