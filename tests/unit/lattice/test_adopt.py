"""adopt(): what was made for this very source under other names (the AWS controller's truncated
service names, random target-group names, timestamped rule names) is kept, never recreated."""

from __future__ import annotations

from dataclasses import replace

from lattice.adopt import adopt
from lattice.plan import Desired, plan
from tests.unit.lattice.test_plan import OTHER, SRC, TGS, fwd, observed_from, service
from translate.frozen import freeze
from translate.tags import ROUTE_NAME

WRITES = ("Create", "Delete")


def anchor_shaped(svc, tgs, *, svc_name="r-ns-anchor", tg_names=None, rule_prefix="k8s-1764547200-rule-",
                  listener_name=None):
    """The same model under the AWS controller's names (what it leaves in Lattice)."""
    tg_names = tg_names or {t.name: f"k8s-ns-{t.name}-abcdefghij" for t in tgs}

    def action(a):
        f = a.get("forward")
        if not f:
            return a
        return freeze({"forward": {"targetGroups": [{**t, "targetGroupIdentifier": tg_names[t["targetGroupIdentifier"]]}
                                                    for t in f["targetGroups"]]}})

    listeners = tuple(replace(lst, name=listener_name or lst.name, default_action=action(lst.default_action),
                              rules=tuple(replace(r, name=f"{rule_prefix}{r.priority}", action=action(r.action))
                                          for r in lst.rules)) for lst in svc.listeners)
    return (replace(svc, name=svc_name, listeners=listeners),
            tuple(replace(t, name=tg_names[t.name]) for t in tgs))


def creates_and_deletes(p) -> list[str]:
    return [op.describe() for op in p.operations if op.api.startswith(WRITES)]


def test_everything_made_for_the_source_is_adopted_in_place():
    svc = service()
    theirs_svc, theirs_tgs = anchor_shaped(svc, TGS, listener_name="r-ns-anchor-80-http")
    observed = observed_from([theirs_svc], theirs_tgs)
    desired, renames = adopt(Desired(SRC, (svc,), TGS), observed)
    assert renames.services == {"r-ns": "r-ns-anchor"}
    assert renames.target_groups == {t.name: f"k8s-ns-{t.name}-abcdefghij" for t in TGS}
    (d,) = desired.services
    assert d.listeners[0].name == "r-ns-anchor-80-http"
    assert [r.name for r in d.listeners[0].rules] == ["k8s-1764547200-rule-1", "k8s-1764547200-rule-2"]
    p = plan(desired, observed)
    assert p.operations == () and not p.conflicts, [op.describe() for op in p.operations]
    # without adoption: everything deleted and made again under our names
    assert creates_and_deletes(plan(Desired(SRC, (svc,), TGS), observed))


def test_rules_are_matched_by_their_match_and_only_reprioritised():
    svc = service()
    theirs, tgs = anchor_shaped(svc, TGS, svc_name="r-ns", tg_names={t.name: t.name for t in TGS})
    # the AWS controller gave them other priorities (and its own names)
    lst = theirs.listeners[0]
    theirs = replace(theirs, listeners=(replace(lst, rules=tuple(replace(r, priority=r.priority + 10)
                                                                 for r in lst.rules)),))
    observed = observed_from([theirs], tgs)
    desired, renames = adopt(Desired(SRC, (svc,), TGS), observed)
    assert not renames  # same service and TG names: only rules are renamed
    p = plan(desired, observed)
    assert [op.api for op in p.operations] == ["BatchUpdateRule"], [op.describe() for op in p.operations]


def test_a_listener_is_matched_by_port_and_protocol():
    svc = service()
    theirs, tgs = anchor_shaped(svc, TGS, svc_name="r-ns", tg_names={t.name: t.name for t in TGS},
                                listener_name="some-other-name")
    desired, _ = adopt(Desired(SRC, (svc,), TGS), observed_from([theirs], tgs))
    assert desired.services[0].listeners[0].name == "some-other-name"
    https = replace(theirs, listeners=(replace(theirs.listeners[0], protocol="HTTPS"),))
    desired, _ = adopt(Desired(SRC, (svc,), TGS), observed_from([https], tgs))
    assert desired.services[0].listeners[0].name == svc.listeners[0].name  # another protocol: not the same


def test_nothing_of_another_owner_or_source_is_adopted():
    svc = service()
    theirs, tgs = anchor_shaped(svc, TGS)
    desired, renames = adopt(Desired(SRC, (svc,), TGS), observed_from([theirs], tgs, owner=OTHER))
    assert not renames and desired.services[0].name == "r-ns"
    other_route = observed_from([replace(theirs, tags=freeze({**theirs.tags, ROUTE_NAME: "other"}))], ())
    assert not adopt(Desired(SRC, (svc,), ()), other_route)[1]


def test_a_target_group_is_adopted_only_with_the_same_identity_and_config():
    svc = service()
    _, tgs = anchor_shaped(svc, TGS)
    https = tuple(replace(t, config=freeze({**t.config, "protocol": "HTTPS"})) for t in tgs)
    assert not adopt(Desired(SRC, (), TGS), observed_from([], https))[1].target_groups
    other_backend = tuple(replace(t, tags=freeze({**t.tags, "application-networking.k8s.aws/ServiceName": "x"}))
                          for t in tgs)
    assert not adopt(Desired(SRC, (), TGS), observed_from([], other_backend))[1].target_groups
    # each observed target group is adopted once: two desired TGs with one identity get one each
    twin = replace(TGS[0], name="tg-a2")
    got = adopt(Desired(SRC, (), (TGS[0], twin)), observed_from([], (tgs[0],)))[1].target_groups
    assert list(got.values()) == [tgs[0].name]


def test_a_name_the_user_chose_is_kept():
    theirs, tgs = anchor_shaped(service(), TGS)
    chosen = service(name="my-own-name")  # service-name-override: a new service, as with the AWS controller
    desired, renames = adopt(Desired(SRC, (chosen,), ()), observed_from([theirs], ()))
    assert not renames.services and desired.services[0].name == "my-own-name"


def test_a_service_with_another_custom_domain_is_replaced_not_adopted_and_keeps_its_target_groups():
    old = service(custom_domain_name="old.example.com")
    theirs, tgs = anchor_shaped(old, TGS, svc_name="r-ns")
    new = service(custom_domain_name="new.example.com", replacement_name="r-ns-new")
    new_tgs = tuple(replace(t, name=t.name + "-new") for t in TGS)
    new = replace(new, listeners=tuple(replace(lst, rules=tuple(
        replace(r, action=fwd(*((x["targetGroupIdentifier"] + "-new", x["weight"])
                                for x in r.action["forward"]["targetGroups"]))) for r in lst.rules))
        for lst in new.listeners))
    desired, renames = adopt(Desired(SRC, (new,), new_tgs), observed_from([theirs], tgs))
    assert not renames  # the old service's TGs stay with it until it is gone (make-before-break)


def test_unchanged_desired_model_when_there_is_nothing_to_adopt():
    svc = service()
    d = Desired(SRC, (svc,), TGS)
    assert adopt(d, observed_from([svc], TGS)) == (d, adopt(d, observed_from([svc], TGS))[1])
    assert adopt(d, observed_from([], ()))[0] is d
