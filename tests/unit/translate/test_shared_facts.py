"""Facts several packages need, defined once: access log destination types, route kinds, and the
Conflicted rule for a route's parents. Each test pins the meaning every user now shares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice.observed import AccessLogRec, ServiceRec, service_source, target_group_source
from lattice.plan import Desired, Observed, plan
from translate import policies, tags
from translate.frozen import freeze
from translate.model import (
    ACCESS_LOG_DESTINATION_TYPES,
    ROUTE_KINDS,
    AccessLogSubscription,
    Condition,
    RouteParentStatus,
    Service,
    Source,
    destination_type,
)
from translate.status.conditions import conflicted

OURS = "111122223333/c/vpc-1"


@pytest.mark.parametrize(
    "arn,dtype,valid",
    [
        ("arn:aws:s3:::my-logs", "s3", True),
        ("arn:aws-cn:s3:::my-logs/prefix", "s3", True),
        # the type is the ARN's service field, whatever the rest looks like: a legacy bucket name
        # policies would not accept from a user still pairs with a desired S3 destination in plan
        ("arn:aws:s3:::Legacy_Bucket", "s3", False),
        ("arn:aws:logs:us-west-2:111122223333:log-group:/lattice/access:*", "logs", True),
        ("arn:aws:firehose:us-west-2:111122223333:deliverystream/lattice", "firehose", True),
        ("arn:aws:sqs:us-west-2:111122223333:queue", None, False),  # not a Lattice destination
        ("s3://my-logs", None, False),
        ("logs:x:y", None, False),
        ("", None, False),
    ],
)
def test_destination_type_is_the_arn_service_and_validity_is_separate(arn, dtype, valid):
    assert destination_type(arn) == dtype
    assert policies.valid_destination(arn) is valid


@given(st.text(max_size=80))
def test_destination_type_never_invents_a_type(arn):
    dtype = destination_type(arn)
    assert dtype is None or dtype in ACCESS_LOG_DESTINATION_TYPES
    if policies.valid_destination(arn):
        assert dtype is not None


def _service_with_log(dest: str) -> Service:
    src = Source("HTTPRoute", "ns", "r")
    als = AccessLogSubscription(Source("AccessLogPolicy", "ns", "p"), dest, destination_type(dest) or "",
                                freeze({tags.MANAGED_BY: OURS}))
    return Service(name="r-ns", source=src, custom_domain_name=None, certificate_arn=None, auth_type="NONE",
                   auth_policy=None, associations=(), listeners=(), access_log_subscriptions=(als,),
                   tags=freeze({tags.MANAGED_BY: OURS}), fingerprint="fp")


@pytest.mark.parametrize(
    "observed_arn,apis",
    [
        ("arn:aws:s3:::Legacy_Bucket", ["UpdateAccessLogSubscription"]),  # same type: changed in place
        ("arn:aws:logs:us-west-2:111122223333:log-group:g", ["CreateAccessLogSubscription", "DeleteAccessLogSubscription"]),
        ("arn:aws:kinesis:us-west-2:111122223333:stream/s", ["CreateAccessLogSubscription", "DeleteAccessLogSubscription"]),
    ],
)
def test_plan_pairs_observed_subscriptions_by_destination_type(observed_arn, apis):
    svc = _service_with_log("arn:aws:s3:::new-logs")
    rec = ServiceRec(id="svc-00000000000000001", arn="arn:svc/1", name=svc.name, status="ACTIVE", auth_type="NONE",
                     tags=dict(svc.tags), listeners={}, associations={}, hydrated=True,
                     access_logs={"als-1": AccessLogRec(id="als-1", arn="arn:als/1", resource_id="svc-00000000000000001",
                                                        destination_arn=observed_arn, tags={tags.MANAGED_BY: OURS})})
    p = plan(Desired(svc.source, services=(svc,)), Observed(OURS, {svc.name: rec}))
    assert sorted(op.api for op in p.operations if "AccessLog" in op.api) == apis


def test_route_kinds_have_one_route_type_tag_each_and_read_back():
    assert tuple(tags.ROUTE_TYPES) == ROUTE_KINDS
    for kind in ROUTE_KINDS:
        svc_tags = dict(tags.route_service_tags(freeze({}), OURS, kind, "ns", "r"))
        assert service_source(svc_tags) == Source(kind, "ns", "r")
        tg_tags = dict(tags.route_target_group_tags(
            freeze({}), managed=OURS, cluster="c", service_namespace="ns", service_name="s", source_kind=kind,
            protocol_version="HTTP1", route_namespace="ns", route_name="r"))
        assert target_group_source(tg_tags) == Source(kind, "ns", "r")


def test_conflicted_turns_only_accepted_and_keeps_generations():
    ref = freeze({"name": "gw"})
    parents = (
        RouteParentStatus(ref, "ctl", (Condition("Accepted", "True", "Accepted", "", 3),
                                       Condition("ResolvedRefs", "False", "BackendNotFound", "svc x", 3))),
        RouteParentStatus(ref, "ctl", (Condition("Accepted", "False", "NoMatchingParent", "m", 3),)),
    )
    out = conflicted(parents, "taken by HTTPRoute/ns/old")
    assert [p.conditions for p in out] == [
        (Condition("Accepted", "False", "Conflicted", "taken by HTTPRoute/ns/old", 3),
         Condition("ResolvedRefs", "False", "BackendNotFound", "svc x", 3)),
        (Condition("Accepted", "False", "Conflicted", "taken by HTTPRoute/ns/old", 3),),
    ]
    assert [(p.parent_ref, p.controller_name) for p in out] == [(ref, "ctl"), (ref, "ctl")]


def test_policy_kinds_are_the_kinds_policies_resolves():
    from translate.model import POLICY_KINDS

    assert tuple(policies.VALID_TARGETS) == POLICY_KINDS
