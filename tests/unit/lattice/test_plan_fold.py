"""plan(): a listener's trailing match-all rule folded into its default action (one CreateRule less
per new route), both forms taken as equal to what exists, and a folded listener unfolded safely."""

from __future__ import annotations

from dataclasses import replace

from lattice.plan import Desired, folded, listener_form, match_all, plan
from tests.unit.lattice.test_plan import OURS, SRC, TGS, apis, fwd, observed_from, prefix, service
from translate.frozen import freeze
from translate.model import Rule
from translate.tags import MANAGED_BY

FIXED_404 = freeze({"fixedResponse": {"statusCode": 404}})
TAGS = freeze({MANAGED_BY: OURS})
EVERYTHING = Rule("k8s-all", 2, prefix("/"), fwd(("tg-a", 80), ("tg-b", 20)), tags=TAGS)
PATH_A = Rule("k8s-a", 1, prefix("/a"), fwd(("tg-a", 1)), tags=TAGS)


def svc(*rules: Rule):
    return service(rules=rules)


def listener_of(s):
    (lst,) = s.listeners
    return lst


def test_match_all_is_a_path_prefix_slash_and_nothing_else():
    assert match_all(prefix("/"))
    assert not match_all(prefix("/a"))
    assert not match_all(freeze({"httpMatch": {"method": "POST", "pathMatch": {"match": {"prefix": "/"}}}}))  # gRPC
    assert not match_all(freeze({"httpMatch": {"pathMatch": {"match": {"prefix": "/"}}, "headerMatches": [
        {"name": "x", "match": {"exact": "1"}}]}}))
    assert not match_all(freeze({"httpMatch": {"pathMatch": {"match": {"exact": "/"}}}}))
    assert match_all(freeze({"httpMatch": {"pathMatch": {"match": {"prefix": "/"}}, "headerMatches": []}}))


def test_only_a_last_rule_that_matches_everything_folds():
    lst = listener_of(svc(PATH_A, EVERYTHING))
    fold = folded(lst)
    assert fold is not None and fold.default_action == EVERYTHING.action and fold.rules == (PATH_A,)
    assert folded(listener_of(svc(PATH_A))) is None
    assert folded(listener_of(service())) is None  # /a and /b
    # a match-all rule that is not the last one is left alone (what follows it is never reached anyway)
    assert folded(listener_of(svc(replace(EVERYTHING, priority=1), replace(PATH_A, priority=2)))) is None


def test_a_new_listener_is_created_folded():
    p = plan(Desired(SRC, (svc(PATH_A, EVERYTHING),), TGS), observed_from((), ()))
    create = next(op for op in p.operations if op.api == "CreateListener")
    assert [t["weight"] for t in create.params["defaultAction"]["forward"]["targetGroups"]] == [80, 20]
    assert [op.params["name"] for op in p.operations if op.api == "CreateRule"] == ["k8s-a"]


def test_a_new_route_without_matches_is_six_writes_plus_targets():
    p = plan(Desired(SRC, (svc(EVERYTHING),), TGS), observed_from((), ()))
    assert sorted(apis(p)) == sorted(["CreateTargetGroup", "CreateTargetGroup", "CreateService", "RegisterTargets",
                                      "RegisterTargets", "CreateServiceNetworkServiceAssociation",
                                      "CreateListener"])


def test_both_forms_are_converged():
    """The AWS controller's form (404 + the match-all rule: issue 15, adopted as it is) and the folded one."""
    desired = svc(PATH_A, EVERYTHING)
    assert plan(Desired(SRC, (desired,), TGS), observed_from((desired,), TGS)).operations == ()
    folded_svc = replace(desired, listeners=(folded(listener_of(desired)),))
    assert plan(Desired(SRC, (desired,), TGS), observed_from((folded_svc,), TGS)).operations == ()


def test_a_folded_listener_takes_a_new_weight_in_its_default_action():
    desired = svc(EVERYTHING)
    obs = observed_from((replace(desired, listeners=(folded(listener_of(desired)),)),), TGS)
    changed = svc(replace(EVERYTHING, action=fwd(("tg-a", 10), ("tg-b", 90))))
    p = plan(Desired(SRC, (changed,), TGS), obs)
    assert apis(p) == ["UpdateListener"]
    assert [t["weight"] for t in p.operations[0].params["defaultAction"]["forward"]["targetGroups"]] == [10, 90]
    # the same change on the unfolded form stays a rule update
    p = plan(Desired(SRC, (changed,), TGS), observed_from((desired,), TGS))
    assert apis(p) == ["BatchUpdateRule"]


def test_an_existing_listener_is_never_moved_between_forms():
    """404 default without the match-all rule (someone deleted it): the rule is made again, the
    default action is left alone."""
    desired = svc(PATH_A, EVERYTHING)
    obs = observed_from((desired,), TGS)
    obs.services["r-ns"].listeners["r-ns-80-http"].rules.pop("k8s-all")
    p = plan(Desired(SRC, (desired,), TGS), obs)
    assert apis(p) == ["CreateRule"] and p.operations[0].params["name"] == "k8s-all"
    have = obs.services["r-ns"].listeners["r-ns-80-http"]
    assert listener_form(listener_of(desired), have.rules, FIXED_404) == listener_of(desired)
    assert listener_form(listener_of(desired), None) == folded(listener_of(desired))


def test_unfolding_makes_the_rules_before_the_default_stops_forwarding():
    """A folded listener whose route got matches: its new rules exist before its default action
    turns to the 404, so no request meets the 404 on the way (and if a rule fails, it stays)."""
    before = svc(EVERYTHING)
    obs = observed_from((replace(before, listeners=(folded(listener_of(before)),)),), TGS)
    after = svc(PATH_A, replace(EVERYTHING, name="k8s-b", match=prefix("/b")))
    p = plan(Desired(SRC, (after,), TGS), obs)
    assert apis(p) == ["CreateRule", "CreateRule", "UpdateListener"]
    update = p.operations[-1]
    assert update.params["defaultAction"] == FIXED_404
    assert update.phase > max(op.phase for op in p.operations if op.api == "CreateRule")
    assert set(update.needs) >= {op.key for op in p.operations if op.api == "CreateRule"}
