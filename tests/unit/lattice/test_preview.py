"""preview.describe: each Lattice object of a source, with the action plan.py's operations take on it."""

from __future__ import annotations

from dataclasses import replace

from lattice.adopt import adopt
from lattice.plan import Desired, plan
from lattice.preview import describe, summary
from lattice.sync import SourcePlan
from tests.unit.lattice.test_adopt import anchor_shaped
from tests.unit.lattice.test_plan import OTHER, SRC, TGS, observed_from, service


def preview(wanted: Desired, observed, *, adopting: bool = True):
    desired, renames = adopt(wanted, observed)
    return describe(SourcePlan(SRC, wanted, desired, observed, renames, plan(desired, observed)), adopting=adopting)


def actions(rows) -> dict[tuple[str, str], str]:
    return {(r.kind, r.name): r.action for r in rows}


def test_the_aws_controllers_resources_are_adopted_under_their_names():
    svc = service()
    theirs_svc, theirs_tgs = anchor_shaped(svc, TGS, listener_name="r-ns-anchor-80-http")
    rows = preview(Desired(SRC, (svc,), TGS), observed_from([theirs_svc], theirs_tgs))
    assert {r.action for r in rows} == {"adopt"}, rows
    got = actions(rows)
    assert got[("service", "r-ns-anchor")] == "adopt"
    assert got[("rule", "r-ns-anchor/r-ns-anchor-80-http/k8s-1764547200-rule-1")] == "adopt"
    assert got[("target group", "k8s-ns-tg-a-abcdefghij")] == "adopt"
    (svc_row,) = [r for r in rows if r.kind == "service"]
    assert svc_row.id == "svc-00000000000000000" and "latticegw would name it r-ns" in svc_row.note
    (dns,) = [r for r in rows if r.kind == "DNS name"]
    assert dns.name == "r-ns-anchor.on.aws"
    assert summary(rows)["adopt"] == len(rows)


def test_a_converged_source_latticegw_applied_is_kept():
    rows = preview(Desired(SRC, (service(),), TGS), observed_from([service()], TGS), adopting=False)
    assert {r.action for r in rows} == {"keep"}


def test_a_removed_rule_is_deleted_and_the_next_one_moves_up():
    svc = service()
    lst = svc.listeners[0]
    b = replace(lst.rules[1], priority=1)
    rows = preview(Desired(SRC, (replace(svc, listeners=(replace(lst, rules=(b,)),)),), TGS[1:]),
                   observed_from([svc], TGS), adopting=False)
    by = {(r.kind, r.name): r for r in rows}
    assert by[("rule", "r-ns/r-ns-80-http/rule-b")].action == "update"
    assert by[("rule", "r-ns/r-ns-80-http/rule-b")].fields == ("priority",)
    assert by[("rule", "r-ns/r-ns-80-http/rule-a")].action == "delete"
    assert by[("target group", "tg-a")].action == "delete"
    assert by[("service", "r-ns")].action == "keep"


def test_another_owners_service_is_blocked():
    rows = preview(Desired(SRC, (service(),), TGS), observed_from((service(),), (), owner=OTHER))
    assert {r.action for r in rows} == {"blocked"}, rows
    (svc_row,) = [r for r in rows if r.kind == "service"]
    assert OTHER in svc_row.note


def test_a_custom_domain_change_recreates_the_service_and_its_dns_name():
    rows = preview(Desired(SRC, (replace(service(), custom_domain_name="a.example.com"),), TGS),
                   observed_from((service(),), TGS), adopting=False)
    by = actions(rows)
    assert by[("service", "r-ns")] == "recreate"
    assert by[("DNS name", "r-ns.on.aws")] == "recreate"
    assert summary(rows)["recreate"] == 2


def test_a_new_route_is_created():
    rows = preview(Desired(SRC, (service(),), TGS), observed_from((), ()))
    assert {r.action for r in rows} == {"create"}, rows
