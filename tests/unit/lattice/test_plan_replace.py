"""plan(): custom-domain change make-before-break, ownership between two of our sources, and
service networks that do not exist yet."""

from __future__ import annotations

from dataclasses import replace

from lattice.plan import Desired, Observed, plan
from tests.unit.lattice.test_plan import (
    OURS,
    SNS,
    SRC,
    SVC_TAGS,
    TG_TAGS,
    apis,
    fwd,
    observed_from,
    prefix,
    service,
    tg,
)
from translate.frozen import freeze
from translate.model import Rule, Source
from translate.tags import MANAGED_BY, ROUTE_NAME, ROUTE_NAMESPACE, ROUTE_TYPE, SOURCE_TYPE

OLD_DOMAIN, NEW_DOMAIN = "old.example.com", "new.example.com"
R_NEW = "r-ns-0a1b2c3d"  # replacement_name for NEW_DOMAIN (any free name: plan takes it from the model)


def rules_to(suffix: str):
    return (Rule("rule-a", 1, prefix("/a"), fwd((f"tg-a-{suffix}", 1)), tags=freeze({MANAGED_BY: OURS})),
            Rule("rule-b", 2, prefix("/b"), fwd((f"tg-b-{suffix}", 1)), tags=freeze({MANAGED_BY: OURS})))


def tgs_for(suffix: str):
    return (tg(f"tg-a-{suffix}", ("10.0.0.1", 8080)), tg(f"tg-b-{suffix}", ("10.0.0.3", 8080)))


OLD = service(rules=rules_to("old"), custom_domain_name=OLD_DOMAIN, replacement_name="r-ns-99999999")
NEW = service(rules=rules_to("new"), custom_domain_name=NEW_DOMAIN, replacement_name=R_NEW)
OLD_TGS, NEW_TGS = tgs_for("old"), tgs_for("new")


def both_converged() -> Observed:
    """The old service and the new one (under the replacement name) both fully there."""
    return observed_from((OLD, replace(NEW, name=R_NEW)), OLD_TGS + NEW_TGS)


def test_domain_change_creates_the_new_service_next_to_the_old_one():
    p = plan(Desired(SRC, (NEW,), NEW_TGS), observed_from((OLD,), OLD_TGS))
    a = apis(p)
    assert "DeleteService" not in a and "DeleteTargetGroup" not in a and "DeleteServiceNetworkServiceAssociation" not in a
    create = next(op for op in p.operations if op.api == "CreateService")
    assert create.key == ("svc", R_NEW) and create.params["name"] == R_NEW
    assert create.params["customDomainName"] == NEW_DOMAIN
    assert a.count("CreateTargetGroup") == 2 and a.count("CreateListener") == 1 and a.count("CreateRule") == 2
    assert [op.key for op in p.operations if op.api == "CreateServiceNetworkServiceAssociation"] == [
        ("snsa", f"{R_NEW}/sn1")]
    rule = next(op for op in p.operations if op.api == "CreateRule")
    assert rule.key[1].startswith(R_NEW + "/") and rule.params["serviceIdentifier"].name == R_NEW
    assert p.serving == {"r-ns": "r-ns"}  # the old one serves until the new one is ready
    assert any("r-ns keeps serving" in x for x in p.pending) and not p.errors and not p.conflicts


def test_a_crash_after_create_service_resumes_under_the_same_name():
    obs = observed_from((OLD,), OLD_TGS)
    half = observed_from((replace(NEW, name=R_NEW),), NEW_TGS)
    new_rec = half.services[R_NEW]
    new_rec.id, new_rec.listeners, new_rec.associations = "svc-00000000000000077", {}, {}
    obs.services[R_NEW] = new_rec
    obs.target_groups.update(half.target_groups)  # TGs made too (ids differ from the old ones)
    for i, rec in enumerate(half.target_groups.values()):
        rec.id, rec.arn = f"tg-0000000000000007{i}", f"arn:tg/7{i}"
    p = plan(Desired(SRC, (NEW,), NEW_TGS), obs)
    a = apis(p)
    assert "CreateService" not in a and "CreateTargetGroup" not in a and "DeleteService" not in a
    assert sorted(a) == ["CreateListener", "CreateRule", "CreateRule", "CreateServiceNetworkServiceAssociation"]
    assert all(op.key[1].startswith(R_NEW) for op in p.operations)
    assert p.serving == {"r-ns": "r-ns"}


def test_once_the_new_service_is_ready_the_old_one_and_its_target_groups_go():
    obs = both_converged()
    p = plan(Desired(SRC, (NEW,), NEW_TGS), obs)
    assert apis(p) == ["DeleteServiceNetworkServiceAssociation", "DeleteService",
                       "DeleteTargetGroup", "DeleteTargetGroup"]
    assert p.operations[1].params["serviceIdentifier"] == obs.services["r-ns"].id
    assert {op.params["targetGroupIdentifier"] for op in p.operations[2:]} == {
        obs.target_groups[t.name].id for t in OLD_TGS}
    assert all(op.after_all for op in p.operations[2:])
    assert p.serving == {"r-ns": R_NEW} and not p.pending


def test_not_ready_yet_keeps_the_old_service():
    def variants():
        obs = both_converged()
        obs.services[R_NEW].status = "CREATE_IN_PROGRESS"
        yield "service in progress", obs
        obs = both_converged()
        next(iter(obs.services[R_NEW].associations.values())).status = "CREATE_IN_PROGRESS"
        yield "association in progress", obs
        obs = both_converged()
        obs.target_groups["tg-a-new"].status = "CREATE_IN_PROGRESS"
        yield "target group in progress", obs
        obs = both_converged()
        obs.services[R_NEW].listeners["r-ns-80-http"].rules.pop("rule-b")
        yield "rule missing", obs
        obs = both_converged()
        obs.target_groups["tg-b-new"].targets = {}
        yield "targets not registered", obs
    for what, obs in variants():
        p = plan(Desired(SRC, (NEW,), NEW_TGS), obs)
        assert not any(op.api.startswith("Delete") for op in p.operations), what
        assert p.serving == {"r-ns": "r-ns"}, what
        assert p.pending, what


def test_after_the_change_old_target_groups_go_then_nothing_to_do():
    obs = observed_from((replace(NEW, name=R_NEW),), NEW_TGS + OLD_TGS)
    p = plan(Desired(SRC, (NEW,), NEW_TGS), obs)
    assert apis(p) == ["DeleteTargetGroup", "DeleteTargetGroup"] and p.serving == {"r-ns": R_NEW}
    obs = observed_from((replace(NEW, name=R_NEW),), NEW_TGS)
    p = plan(Desired(SRC, (NEW,), NEW_TGS), obs)
    assert p.operations == () and p.serving == {"r-ns": R_NEW} and not p.pending


def test_next_change_goes_back_to_the_primary_name_once_it_is_free():
    third = service(rules=rules_to("third"), custom_domain_name="third.example.com", replacement_name="r-ns-77777777")
    obs = observed_from((replace(NEW, name=R_NEW),), NEW_TGS)
    p = plan(Desired(SRC, (third,), tgs_for("third")), obs)
    create = next(op for op in p.operations if op.api == "CreateService")
    assert create.key == ("svc", "r-ns") and not any(op.api == "DeleteService" for op in p.operations)
    assert p.serving == {"r-ns": R_NEW}


def test_old_service_sharing_a_target_group_is_deleted_first():
    """A TG serves one service only: when the new service needs one the old one uses (e.g. a looked-up
    ServiceImport TG), make-before-break is impossible; delete the old one first, as before."""
    shared = service(rules=rules_to("old"), custom_domain_name=NEW_DOMAIN, replacement_name=R_NEW)
    p = plan(Desired(SRC, (shared,), OLD_TGS), observed_from((OLD,), OLD_TGS))
    a = apis(p)
    assert a.index("DeleteServiceNetworkServiceAssociation") < a.index("DeleteService") < a.index("CreateListener")
    assert next(op for op in p.operations if op.api == "CreateService").key == ("svc", R_NEW)


def test_waiting_for_a_service_network_keeps_the_old_service_without_a_busy_requeue():
    new = replace(NEW, associations=(replace(NEW.associations[0], service_network="nope"),))
    p = plan(Desired(SRC, (new,), NEW_TGS), observed_from((OLD,), OLD_TGS))
    assert p.waiting and not p.pending and not p.errors
    assert not any(op.api == "DeleteService" for op in p.operations) and p.serving == {"r-ns": "r-ns"}


# -- ownership between two of our sources -----------------------------------------------------------------

OTHER_ROUTE = {ROUTE_NAME: "a", ROUTE_NAMESPACE: "b-c", ROUTE_TYPE: "http"}


def _sibling_service():
    obs = observed_from((service(),), ())
    obs.services["r-ns"].tags = {**SVC_TAGS, **OTHER_ROUTE}
    return obs


def test_service_of_another_route_of_ours_is_a_conflict_and_untouched():
    obs = _sibling_service()
    p = plan(Desired(SRC, (replace(service(), listeners=()),), TG_TGS()), obs)
    assert p.operations == ()
    (c,) = p.conflicts
    assert c.kind == "service" and c.name == "r-ns" and "already used by HTTPRoute b-c/a" in c.message


def TG_TGS():  # noqa: N802
    return (tg("tg-a"), tg("tg-b"))


def test_service_of_another_route_is_never_garbage_collected():
    obs = _sibling_service()
    assert plan(Desired(SRC, (), ()), obs).operations == ()
    # and a renamed route's orphan GC skips it as well
    assert not [op for op in plan(Desired(SRC, (service(name="r-ns-2"),), ()), obs).operations
                if op.key == ("svc", "r-ns")]


def test_target_group_of_another_source_is_a_conflict_and_untouched():
    svc = service()
    obs = observed_from((svc,), (tg("tg-a"), tg("tg-b", ("10.9.9.9", 80))))
    obs.target_groups["tg-b"].tags = {**TG_TAGS, SOURCE_TYPE: "HTTPRoute", **OTHER_ROUTE}
    p = plan(Desired(SRC, (svc,), (tg("tg-a"), tg("tg-b", ("10.0.0.3", 8080)))), obs)
    assert [(c.kind, c.name) for c in p.conflicts] == [("target_group", "tg-b")]
    assert "already used by HTTPRoute b-c/a" in p.conflicts[0].message
    assert not [op for op in p.operations if op.key[1] == "tg-b"]  # no register/deregister/tag on it
    # never garbage-collected either
    assert not [op for op in plan(Desired(SRC, (), ()), obs).operations if op.key == ("tg", "tg-b")]


def test_export_target_group_is_not_taken_by_a_route():
    obs = observed_from((service(),), TG_TGS())
    obs.target_groups["tg-a"].tags = {MANAGED_BY: OURS, SOURCE_TYPE: "ServiceExport",
                                      "application-networking.k8s.aws/ServiceName": "tg-a",
                                      "application-networking.k8s.aws/ServiceNamespace": "ns"}
    p = plan(Desired(SRC, (service(),), TG_TGS()), obs)
    assert [c.message for c in p.conflicts] == ["target group tg-a is already used by ServiceExport ns/tg-a"]


def test_records_without_source_tags_stay_ours():
    """Ours by ManagedBy but naming no source (e.g. tags trimmed by hand): adopted, source tags restored."""
    obs = observed_from((service(),), TG_TGS())
    obs.services["r-ns"].tags = {MANAGED_BY: OURS}
    p = plan(Desired(SRC, (service(),), TG_TGS()), obs)
    assert not p.conflicts and apis(p) == ["TagResource"]


def test_missing_network_on_a_converged_route_costs_nothing_else():
    svc = service(sns=("sn1", "sn2"))
    obs = observed_from((svc,), TG_TGS())
    sns = dict(SNS)
    del sns["sn2"]
    obs.service_networks = sns
    obs.services["r-ns"].associations.pop("sn-00000000000000002")
    p = plan(Desired(SRC, (svc,), TG_TGS()), obs)
    assert p.operations == () and p.waiting == ("service network sn2 not found",) and not p.errors


def test_new_route_with_unknown_source_kind_in_tags_is_lenient():
    obs = observed_from((service(),), TG_TGS())
    obs.services["r-ns"].tags = {**SVC_TAGS, ROUTE_TYPE: "weird"}
    assert not plan(Desired(SRC, (service(),), TG_TGS()), obs).conflicts


def test_same_route_other_kind_is_another_source():
    obs = observed_from((service(),), TG_TGS())
    p = plan(Desired(Source("GRPCRoute", "ns", "r"), (replace(service(), source=Source("GRPCRoute", "ns", "r")),),
                     ()), obs)
    assert [c.kind for c in p.conflicts] == ["service"] and "HTTPRoute ns/r" in p.conflicts[0].message
