"""IDs, ARNs and DNS names in the formats real Lattice uses (spec section 3)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource family: its ID prefix, ARN path and error `resourceType`."""

    name: str
    prefix: str
    resource_type: str


SERVICE_NETWORK = Kind("servicenetwork", "sn", "SERVICE_NETWORK")
SERVICE = Kind("service", "svc", "SERVICE")
LISTENER = Kind("listener", "listener", "LISTENER")
RULE = Kind("rule", "rule", "RULE")
TARGET_GROUP = Kind("targetgroup", "tg", "TARGET_GROUP")
SNSA = Kind("servicenetworkserviceassociation", "snsa", "SERVICE_NETWORK_SERVICE_ASSOCIATION")
SNVA = Kind("servicenetworkvpcassociation", "snva", "SERVICE_NETWORK_VPC_ASSOCIATION")
ALS = Kind("accesslogsubscription", "als", "ACCESS_LOG_SUBSCRIPTION")

KINDS = {k.name: k for k in (SERVICE_NETWORK, SERVICE, LISTENER, RULE, TARGET_GROUP, SNSA, SNVA, ALS)}


def new_id(kind: Kind, rng: random.Random) -> str:
    # Real IDs are the prefix, a "0" and 16 lowercase hex digits: 17 chars after the dash.
    return f"{kind.prefix}-0{rng.getrandbits(64):016x}"


def arn(region: str, account: str, path: str) -> str:
    return f"arn:aws:vpc-lattice:{region}:{account}:{path}"


def parse_arn(value: str) -> tuple[str, str, list[str]] | None:
    """(region, account, path segments) of a vpc-lattice ARN, or None."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "vpc-lattice":
        return None
    return parts[3], parts[4], parts[5].split("/")


def _region_hash(region: str) -> str:
    return hashlib.sha256(region.encode()).hexdigest()


def dns_label(region: str) -> str:
    """The 7-hex label real Lattice shares across accounts within a region."""
    return _region_hash(region)[:7]


def hosted_zone_id(region: str) -> str:
    # Route 53 zone IDs are "Z" + uppercase base-32-ish characters; constant per region.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(("zone/" + region).encode()).digest()
    return "Z" + "".join(alphabet[b % 32] for b in digest[:13])


def service_dns(name: str, service_id: str, region: str) -> dict[str, str]:
    suffix = service_id.split("-", 1)[1]
    return {
        "domainName": f"{name}-{suffix}.{dns_label(region)}.vpc-lattice-svcs.{region}.on.aws",
        "hostedZoneId": hosted_zone_id(region),
    }
