"""Controller configuration that changes the translation.

A plain frozen dataclass: the controller runtime reads the environment (same variable names as the
AWS controller: CLUSTER_NAME, CLUSTER_VPC_ID, AWS_ACCOUNT_ID, REGION, DEFAULT_SERVICE_NETWORK,
ENABLE_SERVICE_NETWORK_OVERRIDE) and builds one. `from_env()` does that mapping for a given dict, so
it stays pure (the caller passes `os.environ`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from translate.model import DEFAULT_CONTROLLER_NAME

# Environment variable names used by the AWS controller (pkg/config/controller_config.go).
ENV_CLUSTER_NAME = "CLUSTER_NAME"
ENV_VPC_ID = "CLUSTER_VPC_ID"
ENV_ACCOUNT_ID = "AWS_ACCOUNT_ID"
ENV_REGION = "REGION"
ENV_DEFAULT_SERVICE_NETWORK = "DEFAULT_SERVICE_NETWORK"
ENV_SERVICE_NETWORK_OVERRIDE = "ENABLE_SERVICE_NETWORK_OVERRIDE"
ENV_CONTROLLER_NAME = "GATEWAY_CONTROLLER_NAME"  # latticegw addition; default is the AWS one
ENV_ALLOWED_TAKEOVER_FROM = "LATTICEGW_ALLOWED_TAKEOVER_FROM"  # latticegw addition (see allowed_takeover_from)

# Lattice allows priorities 1..2000 but the AWS controller (and the console) use 1..100.
MAX_RULE_PRIORITY = 100
# Lattice's default quotas (adjustable per account; the controller's LATTICEGW_QUOTA_* set ours to match).
RULES_PER_LISTENER = 10
TARGET_GROUPS_PER_SERVICE = 10


@dataclass(frozen=True, slots=True)
class TranslateConfig:
    cluster_name: str = "cluster"
    vpc_id: str = "vpc-00000000000000000"
    account_id: str = "123456789012"
    region: str = "us-west-2"
    default_service_network: str = ""
    # ENABLE_SERVICE_NETWORK_OVERRIDE: every Gateway maps to the default service network.
    service_network_override: bool = False
    controller_name: str = DEFAULT_CONTROLLER_NAME
    max_rule_priority: int = MAX_RULE_PRIORITY
    # Previous owners (ManagedBy values, or "*" for any) whose Lattice services a route may take over
    # with the allow-takeover-from annotation, for every Gateway. The cluster operator decides this,
    # not route authors; a Gateway can also allow owners for its own routes (gateway.TAKEOVER_ALLOWED).
    allowed_takeover_from: frozenset[str] = frozenset()
    # Checked here so a route over a quota gets a precise status instead of failing writes that
    # are retried for ever (a 402 ServiceQuotaExceeded per rule that does not fit).
    rules_per_listener: int = RULES_PER_LISTENER
    target_groups_per_service: int = TARGET_GROUPS_PER_SERVICE

    @property
    def managed_by(self) -> str:
        """The ownership tag value: `<account>/<cluster>/<vpc>` (as the AWS controller writes it)."""
        return f"{self.account_id}/{self.cluster_name}/{self.vpc_id}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: object) -> "TranslateConfig":
        """Build from an environment mapping; missing variables keep the defaults."""
        base = cls()
        values: dict[str, object] = {
            "cluster_name": env.get(ENV_CLUSTER_NAME) or base.cluster_name,
            "vpc_id": env.get(ENV_VPC_ID) or base.vpc_id,
            "account_id": env.get(ENV_ACCOUNT_ID) or base.account_id,
            "region": env.get(ENV_REGION) or base.region,
            "default_service_network": env.get(ENV_DEFAULT_SERVICE_NETWORK, "") or "",
            "service_network_override": (env.get(ENV_SERVICE_NETWORK_OVERRIDE, "") or "").strip().lower()
            == "true",
            "controller_name": env.get(ENV_CONTROLLER_NAME) or base.controller_name,
            "allowed_takeover_from": owners(env.get(ENV_ALLOWED_TAKEOVER_FROM, "")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def owners(text: str | None) -> frozenset[str]:
    """A comma-separated list of ManagedBy values (`<account>/<cluster>/<vpc>`, or `*`)."""
    return frozenset(p.strip() for p in str(text or "").split(",") if p.strip())
