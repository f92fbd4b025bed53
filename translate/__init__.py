"""Pure Gateway API → VPC Lattice translation (no I/O; see model.py for the theory of operation).

Entry point::

    from translate import Snapshot, TranslateConfig, translate
    result = translate(Snapshot.of(objects), TranslateConfig(cluster_name="c", vpc_id="vpc-…",
                                                                 account_id="…", region="us-west-2"))
    result.services, result.target_groups, result.outcome("HTTPRoute", "ns", "name")
"""

from translate.config import TranslateConfig
from translate.model import (
    AccessLogSubscription,
    AuthPolicy,
    Condition,
    Event,
    Listener,
    ListenerStatus,
    Outcome,
    RouteParentStatus,
    Rule,
    Service,
    ServiceNetwork,
    ServiceNetworkAssociation,
    Source,
    Target,
    TargetGroup,
    TargetGroupLookup,
    Translation,
    VpcAssociation,
)
from translate.snapshot import Snapshot
from translate.translator import translate

__all__ = [
    "AccessLogSubscription",
    "AuthPolicy",
    "Condition",
    "Event",
    "Listener",
    "ListenerStatus",
    "Outcome",
    "RouteParentStatus",
    "Rule",
    "Service",
    "ServiceNetwork",
    "ServiceNetworkAssociation",
    "Snapshot",
    "Source",
    "Target",
    "TargetGroup",
    "TargetGroupLookup",
    "TranslateConfig",
    "Translation",
    "VpcAssociation",
    "translate",
]
