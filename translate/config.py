"""Controller configuration that changes the translation.

A plain frozen dataclass, built by the caller: the controller derives it from its own
configuration at start-up (`controller.config.translate_config`, from the AWS controller's
variables CLUSTER_NAME, CLUSTER_VPC_ID, AWS_ACCOUNT_ID, REGION, ...), `latticegw plan` likewise
(with explicit placeholders when the identity is not given). The identity has no default: a
placeholder would put an ownership tag on Lattice resources that names somebody else.
"""

from __future__ import annotations

from dataclasses import dataclass

from translate.model import DEFAULT_CONTROLLER_NAME

# Lattice allows priorities 1..2000 but the AWS controller (and the console) use 1..100.
MAX_RULE_PRIORITY = 100
# Lattice's default quotas (adjustable per account; the controller's LATTICEGW_QUOTA_* set ours to match).
RULES_PER_LISTENER = 10
TARGET_GROUPS_PER_SERVICE = 10


@dataclass(frozen=True, slots=True)
class TranslateConfig:
    # The identity: the ownership tag is `<account>/<cluster>/<vpc>`; region is part of ARNs.
    cluster_name: str
    vpc_id: str
    account_id: str
    region: str
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


def owners(text: str | None) -> frozenset[str]:
    """A comma-separated list of ManagedBy values (`<account>/<cluster>/<vpc>`, or `*`)."""
    return frozenset(p.strip() for p in str(text or "").split(",") if p.strip())
