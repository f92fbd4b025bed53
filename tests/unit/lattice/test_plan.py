"""plan(): table-driven, pure. Ordering, minimality, ownership/takeover, orphan GC, target diffs."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from lattice.observed import AssociationRec, ListenerRec, RuleRec, ServiceRec, TargetGroupRec
from lattice.plan import Desired, Observed, Ref, plan
from translate.frozen import freeze
from translate.model import (
    AuthPolicy,
    Listener,
    Rule,
    Service,
    ServiceNetworkAssociation,
    Source,
    Target,
    TargetGroup,
)
from translate.tags import MANAGED_BY

OURS = "123456789012/cluster/vpc-1"
OTHER = "999/other/vpc-2"
SRC = Source("HTTPRoute", "ns", "r")
SVC_TAGS = freeze({MANAGED_BY: OURS, "application-networking.k8s.aws/RouteName": "r",
                   "application-networking.k8s.aws/RouteNamespace": "ns",
                   "application-networking.k8s.aws/RouteType": "http"})
TG_TAGS = freeze({MANAGED_BY: OURS, "application-networking.k8s.aws/SourceTypeKey": "HTTPRoute",
                  "application-networking.k8s.aws/RouteName": "r", "application-networking.k8s.aws/RouteNamespace": "ns"})
HC = freeze({"enabled": True, "path": "/", "healthCheckIntervalSeconds": 30})


def fwd(*tgs: tuple[str, int]):
    return freeze({"forward": {"targetGroups": [{"targetGroupIdentifier": n, "weight": w} for n, w in tgs]}})


def prefix(p: str):
    return freeze({"httpMatch": {"pathMatch": {"match": {"prefix": p}, "caseSensitive": True}}})


def tg(name: str, *targets: tuple[str, int], hc=HC) -> TargetGroup:
    return TargetGroup(name=name, source=SRC, backend=Source("Service", "ns", name), type="IP",
                       config=freeze({"port": 80, "protocol": "HTTP", "vpcIdentifier": "vpc-1", "healthCheck": hc}),
                       targets=tuple(sorted(Target(i, p) for i, p in targets)), tags=TG_TAGS, fingerprint="f-" + name)


def service(rules=None, name="r-ns", sns=("sn1",), **kw) -> Service:
    rules = rules if rules is not None else (
        Rule("rule-a", 1, prefix("/a"), fwd(("tg-a", 1)), tags=freeze({MANAGED_BY: OURS})),
        Rule("rule-b", 2, prefix("/b"), fwd(("tg-b", 1)), tags=freeze({MANAGED_BY: OURS})),
    )
    lst = Listener("r-ns-80-http", 80, "HTTP", freeze({"fixedResponse": {"statusCode": 404}}), tuple(rules),
                   tags=freeze({MANAGED_BY: OURS}))
    base = dict(name=name, source=SRC, custom_domain_name=None, certificate_arn=None, auth_type="NONE",
                auth_policy=None, associations=tuple(ServiceNetworkAssociation(s, freeze({MANAGED_BY: OURS}))
                                                     for s in sns),
                listeners=(lst,), tags=SVC_TAGS, fingerprint="svc-fp")
    base.update(kw)
    return Service(**base)


TGS = (tg("tg-a", ("10.0.0.1", 8080), ("10.0.0.2", 8080)), tg("tg-b", ("10.0.0.3", 8080)))
SNS = {"sn1": "sn-00000000000000001", "sn2": "sn-00000000000000002"}


def observed_from(services, tgs, *, owner=OURS) -> Observed:
    """Observed state that matches the desired model exactly (what a converged apply leaves)."""
    tg_recs = {}
    for i, t in enumerate(tgs):
        tags = dict(t.tags)
        tags[MANAGED_BY] = owner
        tg_recs[t.name] = TargetGroupRec(id=f"tg-{i:017d}", arn=f"arn:tg/{i}", name=t.name, type="IP",
                                         status="ACTIVE", config=copy.deepcopy(dict(t.config)), tags=tags,
                                         targets={(x.id, x.port): "HEALTHY" for x in t.targets})
    ids = {n: r.id for n, r in tg_recs.items()}

    def resolve(action):
        if "forward" not in action:
            return dict(action)
        return {"forward": {"targetGroups": [{"targetGroupIdentifier": ids.get(x["targetGroupIdentifier"], "tg-x"),
                                              "weight": x["weight"]} for x in action["forward"]["targetGroups"]]}}

    svc_recs = {}
    for j, s in enumerate(services):
        listeners = {}
        for k, lst in enumerate(s.listeners):
            rules = {r.name: RuleRec(id=f"rule-{j}{k}{n}", arn=f"arn:rule/{j}{k}{n}", name=r.name, priority=r.priority,
                                     match=dict(r.match), action=resolve(r.action), tags=dict(r.tags))
                     for n, r in enumerate(lst.rules)}
            listeners[lst.name] = ListenerRec(id=f"listener-{j}{k}", arn=f"arn:l/{j}{k}", name=lst.name, port=lst.port,
                                              protocol=lst.protocol, default_action=resolve(lst.default_action),
                                              tags=dict(lst.tags), rules=rules)
        assocs = {SNS[a.service_network]: AssociationRec(
            id=f"snsa-{j}{a.service_network}", arn=f"arn:snsa/{j}{a.service_network}", service_id=f"svc-{j}",
            service_network_id=SNS[a.service_network], service_network_name=a.service_network, status="ACTIVE",
            tags=dict(a.tags)) for a in s.associations}
        tags = dict(s.tags)
        tags[MANAGED_BY] = owner
        svc_recs[s.name] = ServiceRec(id=f"svc-{j:017d}", arn=f"arn:svc/{j}", name=s.name, status="ACTIVE",
                                      dns_name=f"{s.name}.on.aws", custom_domain_name=s.custom_domain_name,
                                      certificate_arn=s.certificate_arn, auth_type=s.auth_type, tags=tags,
                                      listeners=listeners, associations=assocs, hydrated=True,
                                      auth_policy=s.auth_policy.policy if s.auth_policy else None)
    return Observed(OURS, svc_recs, tg_recs, dict(SNS), {})


def apis(p) -> list[str]:
    return [op.api for op in p.operations]


def test_create_from_nothing_orders_parents_before_children():
    p = plan(Desired(SRC, (service(),), TGS), Observed(OURS, {}, {}, dict(SNS)))
    a = apis(p)
    assert sorted(a) == sorted(["CreateTargetGroup", "CreateTargetGroup", "CreateService", "RegisterTargets",
                                "RegisterTargets", "CreateServiceNetworkServiceAssociation", "CreateListener",
                                "CreateRule", "CreateRule"])
    assert a.index("CreateService") < a.index("CreateListener") < a.index("CreateRule")
    assert max(i for i, x in enumerate(a) if x == "CreateTargetGroup") < a.index("RegisterTargets")
    assert a.index("CreateService") < a.index("CreateServiceNetworkServiceAssociation")
    listener = next(op for op in p.operations if op.api == "CreateListener")
    assert listener.params["serviceIdentifier"] == Ref("svc", "r-ns") and ("svc", "r-ns") in listener.needs
    rule = next(op for op in p.operations if op.api == "CreateRule")
    assert rule.params["action"]["forward"]["targetGroups"][0]["targetGroupIdentifier"] == Ref("tg", "tg-a")
    assert ("tg", "tg-a") in rule.needs and rule.params["listenerIdentifier"] == Ref("listener", "r-ns/r-ns-80-http")
    assert all(op.phase >= prev.phase for prev, op in zip(p.operations, p.operations[1:]))
    assert not p.conflicts and not p.errors


def test_converged_plans_nothing():
    svc = service()
    assert plan(Desired(SRC, (svc,), TGS), observed_from((svc,), TGS)).operations == ()


def test_lattice_echo_defaults_still_match():
    """Lattice fills caseSensitive and the single-target weight; that is not a difference."""
    svc = service(rules=(Rule("rule-a", 1, freeze({"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}}}}),
                              fwd(("tg-a", 100))),))
    obs = observed_from((svc,), TGS)
    rule = obs.services["r-ns"].listeners["r-ns-80-http"].rules["rule-a"]
    rule.match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}, "caseSensitive": True}}}
    rule.action = {"forward": {"targetGroups": [{"targetGroupIdentifier": obs.target_groups["tg-a"].id}]}}
    rule.tags = None
    obs.services["r-ns"].listeners["r-ns-80-http"].tags = None
    assert plan(Desired(SRC, (svc,), TGS), obs).operations == ()


def _mutated(**changes):
    """(desired, observed) where observed is converged for the ORIGINAL model."""
    svc0 = service()
    svc1 = changes.pop("svc", svc0)
    tgs1 = changes.pop("tgs", TGS)
    return Desired(SRC, (svc1,), tgs1), observed_from((svc0,), TGS)


CASES = {
    "weights": (
        dict(svc=service(rules=(Rule("rule-a", 1, prefix("/a"), fwd(("tg-a", 3), ("tg-b", 1)), tags=freeze({MANAGED_BY: OURS})),
                                Rule("rule-b", 2, prefix("/b"), fwd(("tg-b", 1)), tags=freeze({MANAGED_BY: OURS}))))),
        ["BatchUpdateRule"]),
    "priority swap is one batch": (
        dict(svc=service(rules=(Rule("rule-a", 2, prefix("/a"), fwd(("tg-a", 1)), tags=freeze({MANAGED_BY: OURS})),
                                Rule("rule-b", 1, prefix("/b"), fwd(("tg-b", 1)), tags=freeze({MANAGED_BY: OURS}))))),
        ["BatchUpdateRule"]),
    "match change in place": (
        dict(svc=service(rules=(Rule("rule-a", 1, prefix("/x"), fwd(("tg-a", 1)), tags=freeze({MANAGED_BY: OURS})),
                                Rule("rule-b", 2, prefix("/b"), fwd(("tg-b", 1)), tags=freeze({MANAGED_BY: OURS}))))),
        ["BatchUpdateRule"]),
    "targets diff": (
        dict(tgs=(tg("tg-a", ("10.0.0.1", 8080), ("10.0.0.9", 8080)), TGS[1])),
        ["DeregisterTargets", "RegisterTargets"]),
    "health check": (
        dict(tgs=(tg("tg-a", ("10.0.0.1", 8080), ("10.0.0.2", 8080), hc=freeze({"enabled": True, "path": "/hz"})),
                  TGS[1])),
        ["UpdateTargetGroup"]),
    "user tag added": (
        dict(svc=replace(service(), tags=freeze({**SVC_TAGS, "team": "a"}))), ["TagResource"]),
    "certificate": (
        dict(svc=replace(service(), certificate_arn="arn:aws:acm:us-west-2:1:certificate/abc")), ["UpdateService"]),
    "listener default action": (
        dict(svc=replace(service(), listeners=(replace(service().listeners[0],
                                                       default_action=fwd(("tg-b", 1))),))),
        ["UpdateListener"]),
    "second service network": (dict(svc=service(sns=("sn1", "sn2"))), ["CreateServiceNetworkServiceAssociation"]),
    "service network removed": (dict(svc=service(sns=())), ["DeleteServiceNetworkServiceAssociation"]),
    "auth policy added": (
        dict(svc=replace(service(), auth_type="AWS_IAM", auth_policy=AuthPolicy(Source("IAMAuthPolicy", "ns", "p"), "{}"))),
        ["PutAuthPolicy", "UpdateService"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_minimal_updates(case):
    changes, expected = CASES[case]
    desired, observed = _mutated(**dict(changes))
    p = plan(desired, observed)
    assert apis(p) == expected, [op.describe() for op in p.operations]
    assert not p.conflicts and not p.errors


def test_targets_draining_counts_as_gone_and_chunks_of_100():
    many = tg("tg-a", *[(f"10.1.{i // 250}.{i % 250}", 80) for i in range(250)])
    obs = observed_from((service(),), TGS)
    obs.target_groups["tg-a"].targets = {("10.1.0.0", 80): "DRAINING", ("10.0.0.1", 8080): "HEALTHY"}
    p = plan(Desired(SRC, (service(),), (many, TGS[1])), obs)
    regs = [op for op in p.operations if op.api == "RegisterTargets"]
    assert [len(op.params["targets"]) for op in regs] == [100, 100, 50]
    (dereg,) = [op for op in p.operations if op.api == "DeregisterTargets"]
    assert dereg.params["targets"] == ({"id": "10.0.0.1", "port": 8080},)


def test_stale_rule_is_deleted_before_a_new_rule_takes_its_priority():
    svc = service(rules=(Rule("rule-c", 1, prefix("/c"), fwd(("tg-a", 1))),
                         Rule("rule-b", 2, prefix("/b"), fwd(("tg-b", 1)), tags=freeze({MANAGED_BY: OURS}))))
    p = plan(Desired(SRC, (svc,), TGS), observed_from((service(),), TGS))
    a = apis(p)
    assert a == ["DeleteRule", "CreateRule"]
    assert p.operations[0].phase < p.operations[1].phase


def test_backend_change_creates_new_tg_and_deletes_orphan_last():
    new_tg = tg("tg-c", ("10.0.0.7", 80))
    svc = service(rules=(Rule("rule-a", 1, prefix("/a"), fwd(("tg-a", 1)), tags=freeze({MANAGED_BY: OURS})),
                         Rule("rule-b", 2, prefix("/b"), fwd(("tg-c", 1)), tags=freeze({MANAGED_BY: OURS}))))
    p = plan(Desired(SRC, (svc,), (TGS[0], new_tg)), observed_from((service(),), TGS))
    assert apis(p) == ["CreateTargetGroup", "RegisterTargets", "BatchUpdateRule", "DeleteTargetGroup"]
    delete = p.operations[-1]
    assert delete.params["targetGroupIdentifier"] == "tg-00000000000000001" and delete.after_all
    batch = p.operations[2]
    assert ("tg", "tg-c") in batch.needs


def test_delete_everything_children_before_parents():
    p = plan(Desired(SRC, (), ()), observed_from((service(),), TGS))
    a = apis(p)
    assert a == ["DeleteServiceNetworkServiceAssociation", "DeleteService", "DeleteTargetGroup", "DeleteTargetGroup"]
    assert p.operations[0].phase < p.operations[1].phase < p.operations[2].phase and p.operations[2].after_all


def test_not_ours_is_a_conflict_and_never_touched():
    obs = observed_from((service(),), TGS, owner=OTHER)
    p = plan(Desired(SRC, (service(),), TGS), obs)
    assert p.operations == ()
    kinds = sorted(c.kind for c in p.conflicts)
    assert kinds == ["service"] and OTHER in p.conflicts[0].message
    # and deleting the source leaves them alone too
    assert plan(Desired(SRC, (), ()), obs).operations == ()


def test_not_ours_without_takeover_does_not_create_target_groups_either():
    obs = observed_from((service(),), (), owner=OTHER)
    p = plan(Desired(SRC, (service(),), TGS), obs)
    assert p.operations == () and [c.name for c in p.conflicts] == ["r-ns"]


def test_takeover_retags_service_and_children():
    svc = replace(service(), allow_takeover_from=OTHER)
    obs = observed_from((service(),), TGS, owner=OTHER)
    for rec in obs.services.values():
        for a in rec.associations.values():
            a.tags = {MANAGED_BY: OTHER}
    p = plan(Desired(SRC, (svc,), TGS), obs)
    assert not p.conflicts
    tagged = {op.key for op in p.operations if op.api == "TagResource"}
    assert ("svc", "r-ns") in tagged and ("tg", "tg-a") in tagged and ("snsa", "r-ns/sn1") in tagged
    svc_tag = next(op for op in p.operations if op.key == ("svc", "r-ns"))
    assert svc_tag.params["tags"][MANAGED_BY] == OURS and svc_tag.phase == 1


def test_association_made_by_someone_else_is_kept():
    obs = observed_from((service(),), TGS)
    obs.services["r-ns"].associations["sn-00000000000000001"].tags = {MANAGED_BY: OTHER}
    p = plan(Desired(SRC, (service(sns=()),), TGS), obs)
    assert p.operations == ()


def test_custom_domain_change_without_a_free_name_replaces_the_service_in_place():
    """No replacement_name (or both names held): the old behaviour, delete first, recreate when gone."""
    obs = observed_from((service(),), TGS)
    p = plan(Desired(SRC, (replace(service(), custom_domain_name="a.example.com"),), TGS), obs)
    assert apis(p) == ["DeleteServiceNetworkServiceAssociation", "DeleteService"]
    assert p.pending and "customDomainName" in p.pending[0]


def test_listener_protocol_change_deletes_then_creates():
    lst = replace(service().listeners[0], protocol="HTTPS", port=80)
    p = plan(Desired(SRC, (replace(service(), listeners=(lst,)),), TGS), observed_from((service(),), TGS))
    a = apis(p)
    assert a[0] == "DeleteListener" and a[1] == "CreateListener" and a.count("CreateRule") == 2
    assert p.operations[0].phase < p.operations[1].phase


def test_unknown_service_network_is_waited_for_not_an_error():
    p = plan(Desired(SRC, (service(sns=("nope",)),), TGS), observed_from((service(),), TGS))
    assert not p.errors and p.waiting == ("service network nope not found",)
    # everything else is still planned: here the association with sn1 goes, nothing else changes
    assert apis(p) == ["DeleteServiceNetworkServiceAssociation"]


def test_missing_service_network_does_not_hold_back_the_rest_of_a_new_route():
    p = plan(Desired(SRC, (service(sns=("sn1", "nope")),), TGS), Observed(OURS, {}, {}, dict(SNS)))
    assert not p.errors and [w for w in p.waiting if "nope" in w]
    a = apis(p)
    assert a.count("CreateTargetGroup") == 2 and "CreateService" in a and a.count("CreateRule") == 2
    assert [op.key for op in p.operations if op.api == "CreateServiceNetworkServiceAssociation"] == [
        ("snsa", "r-ns/sn1")]


def test_orphan_service_of_the_same_source_is_deleted():
    old = service(name="old-name")
    obs = observed_from((old,), TGS)
    p = plan(Desired(SRC, (service(),), TGS), obs)
    a = apis(p)
    # the old service goes before the new one's listeners/rules need its target groups
    assert a.index("DeleteServiceNetworkServiceAssociation") < a.index("DeleteService") < a.index("CreateListener")
    assert "CreateService" in a
    assert next(op for op in p.operations if op.api == "DeleteService").params["serviceIdentifier"] == \
        obs.services["old-name"].id


def test_association_still_being_created_is_settling_not_pending():
    """Lattice finishes an association it accepted on its own, and nothing a route reports depends on
    it (the DNS name comes with the service): no pending, so no requeue and no Get per route (issue 11).
    Replacing an old service still waits for it (test_plan_replace: not ready yet)."""
    obs = observed_from((service(),), TGS)
    (assoc,) = obs.services["r-ns"].associations.values()
    assoc.status = "CREATE_IN_PROGRESS"
    p = plan(Desired(SRC, (service(),), TGS), obs)
    assert p.operations == () and p.pending == ()
    assoc.status = "DELETE_IN_PROGRESS"  # this one is waited for: it must be recreated once gone
    assert plan(Desired(SRC, (service(),), TGS), obs).pending


def test_in_progress_delete_waits():
    obs = observed_from((service(),), TGS)
    obs.services["r-ns"].status = "DELETE_IN_PROGRESS"
    p = plan(Desired(SRC, (service(),), TGS), obs)
    assert not any(op.key[0] in ("svc", "listener", "rule") for op in p.operations)
    assert p.pending
