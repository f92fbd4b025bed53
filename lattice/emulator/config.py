"""Emulator settings: accounts, lifecycle delays and quotas (all adjustable at run time)."""

from __future__ import annotations

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


@dataclass
class Delays:
    """Seconds a resource spends in each transitional state (0 = done by the next request)."""

    create: float = 0.0
    delete: float = 0.0
    update: float = 0.0
    # INITIAL -> HEALTHY for targets of an in-use target group with health checks on.
    target_health: float = 0.0
    # DRAINING lasts this long after deregistering from an in-use target group.
    draining: float = 0.0


@dataclass
class EmulatorConfig:
    region: str = "us-west-2"
    account: str = "123456789012"
    # Access key id -> account, for multi-account tests; unknown keys map to `account`.
    accounts: dict[str, str] = field(default_factory=dict)
    delays: Delays = field(default_factory=Delays)
    quotas: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    # Check every response against the model's output shape; answers 500 on a mismatch.
    strict_output: bool = False
    # Seed for IDs and probabilistic faults, so runs can be reproduced.
    seed: int | None = None
    # Seconds between background saves when a state file is configured.
    save_interval: float = 5.0

    def quota(self, name: str) -> int:
        return self.quotas.get(name, DEFAULT_QUOTAS[name])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, patch: dict[str, Any]) -> None:
        """Apply a partial update from the control API; unknown keys are an error."""
        for key, value in patch.items():
            if key == "delays":
                for k, v in value.items():
                    if not hasattr(self.delays, k):
                        raise KeyError(f"delays.{k}")
                    setattr(self.delays, k, float(v))
            elif key == "quotas":
                for k, v in value.items():
                    if k not in DEFAULT_QUOTAS:
                        raise KeyError(f"quotas.{k}")
                    self.quotas[k] = int(v)
            elif key in ("strict_output", "region", "account", "accounts", "save_interval"):
                setattr(self, key, value)
            else:
                raise KeyError(key)

    @classmethod
    def realistic(cls, **kw: Any) -> "EmulatorConfig":
        """Transition times in the range real Lattice shows (seconds, not minutes)."""
        return cls(delays=Delays(create=5, delete=5, update=3, target_health=10, draining=10), **kw)
