"""Lattice's adjustable quotas (rules per listener, target groups per service) are checked in
translation: what does not fit is rejected with a reason naming the quota, never sent to fail."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.translate.builders import CONFIG, backend, base, parent_conditions, prefix, route, rule, run, service


def _matches(r: int, n: int) -> list[dict]:
    return [prefix(f"/r{r}/m{m}") for m in range(n)]


def test_two_rules_of_fifty_matches_do_not_fit_ten_rules_per_listener():
    """The issue's route: accepted by the API server, 100 Lattice rules; it used to be Accepted and
    then fail ~90 CreateRule calls on every retry."""
    big = route(rules=[rule(backend("svc"), matches=_matches(r, 50)) for r in range(2)])
    t = run(base(big))
    accepted = parent_conditions(t)["Accepted"]
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert "Lattice allows 10 rules per listener, this route needs 100" in accepted.message
    assert "LATTICEGW_QUOTA_RULES_PER_LISTENER" in accepted.message
    assert t.services == () or t.services == []  # nothing to send to Lattice
    # an account with the quota raised to 100 (and the controller told so) gets all of them
    raised = run(base(big), replace(CONFIG, rules_per_listener=100))
    assert parent_conditions(raised)["Accepted"].status == "True"
    assert sum(len(lst.rules) for s in raised.services for lst in s.listeners) == 100


def test_rules_are_taken_whole_in_precedence_order():
    r = route(rules=[rule(backend("svc"), matches=_matches(0, 4)), rule(backend("svc"), matches=_matches(1, 7)),
                     rule(backend("svc"), matches=_matches(2, 6))])
    t = run(base(r))
    conds = parent_conditions(t)
    assert conds["Accepted"].status == "True"
    partial = conds["PartiallyInvalid"]
    assert partial.status == "True" and partial.reason == "UnsupportedValue"
    assert "rule 1: it needs 7 Lattice rules (one per match) and the listener has room for 6" in partial.message
    assert "rule 0" not in partial.message and "rule 2" not in partial.message
    rules = [x for s in t.services for lst in s.listeners for x in lst.rules]
    assert sorted({x.route_rule for x in rules}) == [0, 2] and len(rules) == 10  # rule 2 still fits after 0


def test_target_groups_per_service():
    svcs = [service(f"s{i}") for i in range(12)]
    r = route(rules=[rule(*(backend(f"s{i}", weight=1) for i in range(6)), matches=[prefix("/a")]),
                     rule(*(backend(f"s{i}", weight=1) for i in range(6, 12)), matches=[prefix("/b")])])
    t = run(base(r, *svcs))
    partial = parent_conditions(t)["PartiallyInvalid"]
    assert "rule 1: it would bring the service to 12 target groups: Lattice allows 10 per service" in partial.message
    assert len(t.target_groups) == 6
    t = run(base(r, *svcs), replace(CONFIG, target_groups_per_service=12))
    assert "PartiallyInvalid" not in parent_conditions(t) and len(t.target_groups) == 12
