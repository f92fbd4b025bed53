"""TargetGroupPolicy, VpcAssociationPolicy, AccessLogPolicy, IAMAuthPolicy."""

import json

import pytest

from tests.unit.translate.builders import CONFIG, base, only_service, policy, route, run
from translate.model import AUTH_IAM

GW = "gateway.networking.k8s.io"
S3 = "arn:aws:s3:::my-bucket"
LOGS = "arn:aws:logs:us-west-2:111122223333:log-group:/lattice/access:*"
FIREHOSE = "arn:aws:firehose:us-west-2:111122223333:deliverystream/lattice"
POLICY_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}
# As users write it in YAML: a multi-line block. Lattice forbids newlines in auth policies,
# so the model carries the same document as compact one-line JSON.
POLICY = json.dumps(POLICY_DOC, indent=2)
COMPACT = json.dumps(POLICY_DOC, separators=(",", ":"))


def accepted(res, kind, name, ns="default"):
    c = {c.type: c for c in res.outcome(kind, ns, name).conditions}["Accepted"]
    return c.status, c.reason


@pytest.mark.parametrize(
    "pol,reason",
    [
        (policy("TargetGroupPolicy", "p", "default", "Service", "svc", protocol="TCP", protocolVersion="HTTP2"), "Invalid"),
        (policy("TargetGroupPolicy", "p", "default", "Service", "svc", healthCheck={"intervalSeconds": 1}), "Invalid"),
        (policy("TargetGroupPolicy", "p", "default", "Deployment", "svc", target_group="apps"), "Invalid"),
        (policy("TargetGroupPolicy", "p", "default", "Service", "nope"), "TargetNotFound"),
        (policy("TargetGroupPolicy", "p", "default", "Service", "svc"), "Accepted"),
        (policy("VpcAssociationPolicy", "p", "default", "Gateway", "lgw", target_group=GW, securityGroupIds=["bad"]), "Invalid"),
        (policy("VpcAssociationPolicy", "p", "default", "Gateway", "lgw", target_group=GW, securityGroupIds=["sg-0abc"]), "Accepted"),
        (policy("AccessLogPolicy", "p", "default", "Gateway", "lgw", target_group=GW, destinationArn="arn:aws:sqs:x"), "Invalid"),
        (policy("AccessLogPolicy", "p", "default", "Gateway", "lgw", target_group="", destinationArn=S3), "Invalid"),
        (policy("AccessLogPolicy", "p", "default", "HTTPRoute", "nope", target_group=GW, destinationArn=S3), "TargetNotFound"),
        (policy("IAMAuthPolicy", "p", "default", "Gateway", "lgw", target_group=GW, policy="{not json"), "Invalid"),
        (policy("IAMAuthPolicy", "p", "default", "HTTPRoute", "r", target_group=GW, policy=POLICY), "Accepted"),
    ],
)
def test_policy_acceptance(pol, reason):
    res = run(base(route(), pol))
    assert accepted(res, pol["kind"], "p")[1] == reason


def test_oldest_policy_wins():
    old = policy("TargetGroupPolicy", "b-old", "default", "Service", "svc", created="2026-01-01T00:00:00Z", healthCheck={"path": "/old"})
    new = policy("TargetGroupPolicy", "a-new", "default", "Service", "svc", created="2026-02-01T00:00:00Z", healthCheck={"path": "/new"})
    res = run(base(route(), new, old))
    assert accepted(res, "TargetGroupPolicy", "b-old") == ("True", "Accepted")
    assert accepted(res, "TargetGroupPolicy", "a-new") == ("False", "Conflicted")
    assert res.target_groups[0].config["healthCheck"]["path"] == "/old"


def test_vpc_association_policy():
    vap = policy("VpcAssociationPolicy", "v", "default", "Gateway", "lgw", target_group=GW, securityGroupIds=["sg-2", "sg-1"])
    (sn,) = run(base(vap)).service_networks
    assert sn.vpc_association.security_group_ids == ("sg-1", "sg-2")
    assert sn.vpc_association.vpc_identifier == CONFIG.vpc_id
    off = policy("VpcAssociationPolicy", "v", "default", "Gateway", "lgw", target_group=GW, associateWithVpc=False)
    assert run(base(off)).service_networks[0].vpc_association is None


def test_access_log_policies():
    pols = [policy("AccessLogPolicy", n, "default", k, t, target_group=GW, destinationArn=d, created=c)
            for n, k, t, d, c in [
                ("gw-s3", "Gateway", "lgw", S3, "2026-01-01T00:00:00Z"),
                ("gw-logs", "Gateway", "lgw", LOGS, "2026-01-01T00:00:00Z"),
                ("gw-s3-2", "Gateway", "lgw", "arn:aws:s3:::other-bucket", "2026-03-01T00:00:00Z"),
                ("r-fh", "HTTPRoute", "r", FIREHOSE, "2026-01-01T00:00:00Z"),
            ]]
    res = run(base(route(), *pols))
    sn = res.service_networks[0]
    assert [a.destination_type for a in sn.access_log_subscriptions] == ["logs", "s3"]
    assert accepted(res, "AccessLogPolicy", "gw-s3-2") == ("False", "Conflicted")
    als = only_service(res).access_log_subscriptions
    assert [a.destination_arn for a in als] == [FIREHOSE]
    assert als[0].tags["application-networking.k8s.aws/AccessLogPolicy"] == "default/r-fh"


def test_iam_auth_policies():
    gwp = policy("IAMAuthPolicy", "g", "default", "Gateway", "lgw", target_group=GW, policy=POLICY)
    rp = policy("IAMAuthPolicy", "r", "default", "HTTPRoute", "r", target_group=GW, policy=POLICY)
    res = run(base(route(), gwp, rp))
    assert res.service_networks[0].auth_type == AUTH_IAM and res.service_networks[0].auth_policy.policy == COMPACT
    assert "\n" not in res.service_networks[0].auth_policy.policy
    svc = only_service(res)
    assert svc.auth_type == AUTH_IAM and svc.auth_policy.source.name == "r"
    assert only_service(run(base(route()))).auth_type == "NONE"


@pytest.mark.parametrize("kind,extra", [
    ("IAMAuthPolicy", {"policy": POLICY}),
    ("AccessLogPolicy", {"destinationArn": S3}),
    ("VpcAssociationPolicy", {"securityGroupIds": ["sg-0abc"]}),
])
def test_a_policy_being_deleted_no_longer_applies(kind, extra):
    """The AWS controller's finalizer keeps a deleted policy around until its effect is undone: the
    model must already be the one without it, and the policy gets no status any more."""
    pol = policy(kind, "p", "default", "Gateway", "lgw", target_group=GW, **extra)
    (sn,) = run(base(route(), pol)).service_networks
    assert sn.auth_policy or sn.access_log_subscriptions or sn.vpc_association.security_group_ids
    pol["metadata"]["deletionTimestamp"] = "2026-03-01T00:00:00Z"
    pol["metadata"]["finalizers"] = ["application-networking.k8s.aws/iam-auth-policy"]
    res = run(base(route(), pol))
    (sn,) = res.service_networks
    assert sn.auth_policy is None and not sn.access_log_subscriptions
    assert sn.vpc_association is None or not sn.vpc_association.security_group_ids
    assert res.outcome(kind, "default", "p") is None
