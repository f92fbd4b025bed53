"""How a failed Lattice call is classified (errors.verdict, apply.settle), and how every answered
call changes the inventory's records (recording.py's table): table-driven, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lattice.apply import ApplyOutcome, settle
from lattice.errors import Conflict, LatticeError, NotFound, RetryLater, Verdict, verdict
from lattice.inventory import Inventory
from lattice.observed import AssociationRec, ServiceNetworkRec, ServiceRec, TargetGroupRec, VpcAssociationRec
from lattice.plan import Desired, Operation, plan
from lattice.recording import HANDLERS
from tests.unit.lattice.test_plan import OURS, SRC, SVC_TAGS, TG_TAGS, fwd, observed_from, service, tg
from translate.frozen import freeze
from translate.model import AccessLogSubscription, AuthPolicy
from translate.tags import MANAGED_BY


def nf(api: str, rtype: str = "SERVICE") -> NotFound:
    return NotFound(api, "ResourceNotFoundException", "not found", {"resourceType": rtype})


def cf(api: str, message: str = "conflict") -> Conflict:
    return Conflict(api, "ConflictException", message, {"resourceType": "SERVICE"})


def throttled(api: str) -> RetryLater:
    return RetryLater(api, "ThrottlingException", "Rate exceeded", 3.0)


def other(api: str) -> LatticeError:
    return LatticeError(api, "ValidationException", "bad")


VERDICTS = [
    # removals of something already gone are done
    ("DeleteService", nf, Verdict.DONE),
    ("DeleteListener", nf, Verdict.DONE),
    ("DeleteRule", nf, Verdict.DONE),
    ("DeleteServiceNetworkServiceAssociation", nf, Verdict.DONE),
    ("DeleteAuthPolicy", nf, Verdict.DONE),
    ("DeleteServiceNetworkVpcAssociation", nf, Verdict.DONE),
    ("DeregisterTargets", nf, Verdict.DONE),
    ("UntagResource", nf, Verdict.DONE),
    # anything else that finds nothing failed (the caller forgets what it believed)
    ("CreateListener", nf, Verdict.FAILED),
    ("UpdateService", nf, Verdict.FAILED),
    ("RegisterTargets", nf, Verdict.FAILED),
    ("TagResource", nf, Verdict.FAILED),
    ("PutAuthPolicy", nf, Verdict.FAILED),
    # conflicts: in progress when Lattice names a transition, on any delete, on target changes
    ("CreateServiceNetworkServiceAssociation",
     lambda a: cf(a, "Service is in CREATE_IN_PROGRESS state"), Verdict.IN_PROGRESS),
    ("UpdateServiceNetwork", lambda a: cf(a, "UPDATE_IN_PROGRESS"), Verdict.IN_PROGRESS),
    ("DeleteService", cf, Verdict.IN_PROGRESS),
    ("DeleteServiceNetwork", cf, Verdict.IN_PROGRESS),
    ("DeleteTargetGroup", cf, Verdict.IN_PROGRESS),
    ("RegisterTargets", cf, Verdict.IN_PROGRESS),
    ("DeregisterTargets", cf, Verdict.IN_PROGRESS),
    ("CreateService", cf, Verdict.FAILED),
    ("CreateTargetGroup", cf, Verdict.FAILED),
    ("CreateServiceNetworkVpcAssociation", cf, Verdict.FAILED),
    ("UpdateListener", cf, Verdict.FAILED),
    # throttled beyond the budget: later, whatever the operation
    ("CreateService", throttled, Verdict.RETRY_LATER),
    ("DeleteService", throttled, Verdict.RETRY_LATER),
    ("GetService", throttled, Verdict.RETRY_LATER),
    # anything else is an error
    ("CreateService", other, Verdict.FAILED),
    ("DeleteService", other, Verdict.FAILED),
]


@pytest.mark.parametrize("api,make,expected", VERDICTS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_verdict(api, make, expected):
    assert verdict(api, make(api)) is expected


OP = Operation(2, "CreateListener", ("listener", "svc/l"))


@pytest.mark.parametrize("exc,bucket", [
    (throttled("CreateListener"), "in_progress"),
    (cf("CreateListener", "CREATE_IN_PROGRESS"), "in_progress"),
    (cf("CreateListener"), "errors"),
    (nf("CreateListener"), "errors"),
    (other("CreateListener"), "errors"),
])
def test_settle_puts_each_failure_in_one_bucket(exc, bucket):
    out = ApplyOutcome()
    v = settle(out, OP, exc)
    filled = {name for name in ("done", "in_progress", "errors", "skipped") if getattr(out, name)}
    assert filled == {bucket}
    assert (out.retry_after == 3.0) == (v is Verdict.RETRY_LATER)
    if bucket == "errors":
        (e,) = out.errors
        assert (e.key, e.api, e.code) == (OP.key, "CreateListener", exc.code)


def test_settle_adds_nothing_for_a_removal_already_done():
    out = ApplyOutcome()
    op = Operation(3, "DeleteRule", ("rule", "svc/l/r"))
    assert settle(out, op, nf("DeleteRule")) is Verdict.DONE
    assert out == ApplyOutcome()


def test_retry_later_keeps_the_longest_wait():
    out = ApplyOutcome()
    settle(out, OP, RetryLater("CreateListener", "ThrottlingException", "x", 2.0))
    settle(out, OP, RetryLater("CreateListener", "ThrottlingException", "x", 5.0))
    settle(out, OP, RetryLater("CreateListener", "ThrottlingException", "x", 1.0))
    assert out.retry_after == 5.0


# -- the inventory's recording table ----------------------------------------------------------------
def test_every_operation_a_plan_makes_has_a_recorder():
    """Create from nothing, converge partly changed state, delete everything, take over: every
    (key kind, operation) these plans contain is recorded by the inventory."""
    desired = ((service(),), (tg("tg-a", ("10.0.0.1", 80)), tg("tg-b", ("10.0.0.2", 80))))
    seen = set()
    plans = [plan(Desired(SRC, *desired), observed_from((), ()))]
    assert plans[0].operations
    changed = service(sns=("sn1", "sn2"), auth_type="AWS_IAM", auth_policy=AuthPolicy(SRC, "{}"),
                      access_log_subscriptions=(AccessLogSubscription(SRC, "arn:aws:s3:::b", "s3", freeze({})),))
    changed = replace(changed, listeners=(replace(changed.listeners[0], default_action=fwd(("tg-a", 1)), rules=tuple(
        replace(r, priority=r.priority + 10) for r in changed.listeners[0].rules)),))
    obs = observed_from([changed], [tg("tg-a", ("10.0.0.9", 80)), tg("old")])
    plans.append(plan(Desired(SRC, *desired), obs))
    before = observed_from([service()], desired[1])
    before.services["r-ns"].access_logs = {}  # loaded: none yet
    plans.append(plan(Desired(SRC, (changed,), desired[1]), before))
    plans.append(plan(Desired(SRC, (), ()), obs))
    plans.append(plan(Desired(SRC, (service(allow_takeover_from=OTHER_OWNER),), ()),
                      observed_from([service()], [], owner=OTHER_OWNER)))
    for p in plans:
        seen |= {(op.key[0], op.api) for op in p.operations}
    assert {api for _, api in seen} >= {
        "CreateService", "CreateListener", "CreateRule", "CreateTargetGroup", "RegisterTargets", "DeregisterTargets",
        "DeleteTargetGroup", "DeleteService", "TagResource", "UpdateListener", "BatchUpdateRule", "PutAuthPolicy",
        "UpdateService", "CreateAccessLogSubscription", "CreateServiceNetworkServiceAssociation",
        "DeleteServiceNetworkServiceAssociation"}, sorted(seen)
    missing = seen - set(HANDLERS)
    assert not missing, missing


OTHER_OWNER = "999/other/vpc-2"


def inventory() -> Inventory:
    # record() is pure bookkeeping: no client is needed (nor used) for it
    return Inventory(None, OURS)  # type: ignore[arg-type]


def test_create_and_delete_children_of_a_service():
    inv = inventory()
    inv.record("CreateService", ("svc", "s"), {"name": "s", "tags": dict(SVC_TAGS)},
               {"id": "svc-1", "arn": "arn:svc-1", "name": "s", "status": "CREATE_IN_PROGRESS",
                "dnsEntry": {"domainName": "s.example"}})
    assert inv.services_of(SRC) == [inv.services["s"]] and inv.services["s"].dns_name == "s.example"
    inv.record("CreateListener", ("listener", "s/l"), {"defaultAction": {"fixedResponse": {"statusCode": 404}}},
               {"id": "l-1", "arn": "arn:l-1", "name": "l", "port": 80, "protocol": "HTTP"})
    inv.record("CreateRule", ("rule", "s/l/r"), {"match": {"m": 1}, "action": {"a": 1}},
               {"id": "r-1", "arn": "arn:r-1", "name": "r", "priority": 1})
    assert inv.listener("s/l").rules["r"].match == {"m": 1}
    inv.record("CreateServiceNetworkServiceAssociation", ("snsa", "s/net"), {"serviceNetworkIdentifier": "sn-1"},
               {"id": "snsa-1", "arn": "arn:snsa-1", "status": "CREATE_IN_PROGRESS"})
    svc = inv.services["s"]
    assert svc.status == "ACTIVE" and svc.associations["sn-1"].service_network_name == "net"
    inv.record("GetServiceNetworkServiceAssociation", ("snsa", "s/net"),
               {"serviceNetworkServiceAssociationIdentifier": "snsa-1"}, {"status": "ACTIVE"})
    assert svc.associations["sn-1"].status == "ACTIVE"
    inv.record("GetServiceNetworkServiceAssociation", ("snsa", "s/net"),
               {"serviceNetworkServiceAssociationIdentifier": "snsa-1"}, None)  # NotFound: gone
    assert svc.associations == {}
    inv.record("DeleteRule", ("rule", "s/l/r"), {"ruleIdentifier": "r-1"}, {})
    assert inv.listener("s/l").rules == {}
    inv.record("DeleteListener", ("listener", "s/l"), {"listenerIdentifier": "l-1"}, {})
    assert svc.listeners == {}
    inv.record("DeleteService", ("svc", "s"), {"serviceIdentifier": "svc-1"}, {})
    assert "s" not in inv.services and "svc-1" in inv.gone and inv.services_of(SRC) == []


def test_targets_and_batch_problems():
    inv = inventory()
    inv.put_target_group(TargetGroupRec(id="tg-1", arn="arn:tg-1", name="t", type="IP",
                                        status="CREATE_IN_PROGRESS", tags=dict(TG_TAGS), targets={}))
    problems = inv.record("RegisterTargets", ("targets", "t"), {"targets": [{"id": "a", "port": 80}]},
                          {"successful": [{"id": "a", "port": 80}],
                           "unsuccessful": [{"id": "b", "port": 80, "failureCode": "X", "failureMessage": "y"}]})
    rec = inv.target_groups["t"]
    assert rec.status == "ACTIVE" and rec.targets == {("a", 80): "INITIAL"}
    assert problems == ["target b:80: X y"]
    # a deregistration answered NotFound ({}) removed what it named
    assert inv.record("DeregisterTargets", ("targets", "t"), {"targets": [{"id": "a", "port": 80}]}, {}) == []
    assert rec.targets == {}


def test_tags_re_index_ownership():
    inv = inventory()
    inv.put_service(ServiceRec(id="svc-1", arn="arn:svc-1", name="s", status="ACTIVE",
                               tags={MANAGED_BY: OTHER_OWNER, **{k: v for k, v in SVC_TAGS.items() if k != MANAGED_BY}}))
    assert inv.services_of(SRC) == []
    inv.record("TagResource", ("svc", "s"), {"tags": {MANAGED_BY: OURS}}, {})
    assert inv.services_of(SRC) == [inv.services["s"]]
    inv.record("UntagResource", ("svc", "s"), {"tagKeys": [MANAGED_BY]}, {})
    assert inv.services_of(SRC) == [] and MANAGED_BY not in inv.services["s"].tags


def test_service_network_parts():
    inv = inventory()
    inv.record("CreateServiceNetwork", ("sn", "net"), {"name": "net", "tags": {MANAGED_BY: OURS}},
               {"id": "sn-1", "arn": "arn:sn-1", "authType": "NONE"})
    rec = inv.service_network("sn-1")
    assert rec is inv.service_networks["net"] and rec.managed_by == OURS
    inv.record("PutAuthPolicy", ("sn", "net"), {"resourceIdentifier": "sn-1", "policy": "{}"}, {})
    inv.record("UpdateServiceNetwork", ("sn", "net"), {"authType": "AWS_IAM"}, {"id": "sn-1"})
    assert (rec.auth_policy, rec.auth_type) == ("{}", "AWS_IAM")
    inv.record("DeleteAuthPolicy", ("sn", "net"), {"resourceIdentifier": "sn-1"}, {})
    assert rec.auth_policy is None
    inv.record("CreateServiceNetworkVpcAssociation", ("snva", "net"),
               {"vpcIdentifier": "vpc-1", "securityGroupIds": ["sg-1"], "tags": {MANAGED_BY: OURS}},
               {"id": "snva-1", "arn": "arn:snva-1", "status": "CREATE_IN_PROGRESS"})
    va = rec.vpc_associations["sn-1"]
    assert isinstance(va, VpcAssociationRec) and va.security_group_ids == ("sg-1",)
    inv.record("GetServiceNetworkVpcAssociation", ("snva", "net"), {}, {"status": "ACTIVE", "securityGroupIds": []})
    assert va.status == "ACTIVE" and va.security_group_ids == ()
    inv.record("CreateAccessLogSubscription", ("snals", "net"),
               {"resourceIdentifier": "sn-1", "destinationArn": "arn:aws:s3:::b"}, {"id": "als-1", "arn": "arn:als-1"})
    inv.record("UpdateAccessLogSubscription", ("snals", "net"),
               {"accessLogSubscriptionIdentifier": "als-1", "destinationArn": "arn:aws:s3:::c"}, {})
    assert rec.access_logs["als-1"].destination_arn == "arn:aws:s3:::c"
    inv.record("DeleteAccessLogSubscription", ("snals", "net"), {"accessLogSubscriptionIdentifier": "als-1"}, {})
    inv.record("DeleteServiceNetworkVpcAssociation", ("snva", "net"), {}, {})
    assert rec.access_logs == {} and rec.vpc_associations == {}
    inv.record("DeleteServiceNetwork", ("sn", "net"), {"serviceNetworkIdentifier": "sn-1"}, {})
    assert inv.service_network("net") is None and "sn-1" in inv.gone


def test_forget_after_a_failure():
    inv = inventory()
    inv.put_service(ServiceRec(id="svc-1", arn="arn:svc-1", name="s", status="ACTIVE", tags=dict(SVC_TAGS),
                               listeners={}, associations={"sn-1": AssociationRec("a", "arn:a", "svc-1", "sn-1", "n",
                                                                                    "ACTIVE")}, hydrated=True))
    inv.put_target_group(TargetGroupRec(id="tg-1", arn="arn:tg-1", name="t", type="IP", status="ACTIVE",
                                        tags=dict(TG_TAGS), config={"port": 80}, targets={("a", 80): "HEALTHY"}))
    inv.forget(("listener", "s/l"), cf("CreateListener"))
    assert not inv.services["s"].hydrated  # children are read again before the next plan
    inv.forget(("targets", "t"), cf("RegisterTargets"))
    assert inv.target_groups["t"].targets is None and inv.target_groups["t"].config is None
    inv.forget(("tg", "t"), nf("UpdateTargetGroup", "TARGET_GROUP"))
    assert "t" not in inv.target_groups
    inv.forget(("svc", "s"), nf("UpdateService", "SERVICE"))
    assert "s" not in inv.services


def test_unknown_operations_change_nothing():
    inv = inventory()
    inv.put_service_network(ServiceNetworkRec(id="sn-1", arn="arn:sn-1", name="net"))
    assert inv.record("ListServices", ("svc", "s"), {}, {}) == []
    assert list(inv.service_networks) == ["net"]
