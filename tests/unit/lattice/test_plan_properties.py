"""Properties of plan() over generated models: converged ⇒ nothing to do; any change ⇒ ordered ops."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lattice.plan import Desired, Ref, plan
from tests.unit.lattice.test_plan import OURS, SRC, fwd, observed_from, prefix, service, tg
from translate.frozen import freeze
from translate.model import Rule
from translate.tags import MANAGED_BY

TG_NAMES = ("tg-a", "tg-b", "tg-c")


@st.composite
def models(draw):
    n = draw(st.integers(0, 6))
    paths = draw(st.lists(st.sampled_from(["/a", "/b", "/c", "/d", "/e", "/f", "/g"]), min_size=n, max_size=n,
                          unique=True))
    prios = draw(st.permutations(range(1, 11)))[:n]
    rules = []
    used = set()
    for path, prio in zip(paths, prios):
        k = draw(st.integers(1, 2))
        names = draw(st.lists(st.sampled_from(TG_NAMES), min_size=k, max_size=k, unique=True))
        used.update(names)
        weights = [draw(st.integers(0, 999)) for _ in names]
        rules.append(Rule(f"rule{path[1:]}", prio, prefix(path), fwd(*zip(names, weights)),
                          tags=freeze({MANAGED_BY: OURS})))
    sns = tuple(draw(st.lists(st.sampled_from(["sn1", "sn2"]), unique=True, max_size=2)))
    tgs = tuple(tg(name, *[(f"10.0.0.{j}", 80) for j in range(draw(st.integers(0, 3)))])
                for name in sorted(used))
    return service(rules=tuple(sorted(rules, key=lambda r: r.priority)), sns=sns), tgs


@settings(max_examples=100, deadline=None)
@given(models())
def test_converged_model_plans_nothing(model):
    svc, tgs = model
    assert plan(Desired(SRC, (svc,), tgs), observed_from((svc,), tgs)).operations == ()


@settings(max_examples=100, deadline=None)
@given(models(), models())
def test_any_change_is_ordered_and_references_resolve(before, after):
    svc0, tgs0 = before
    svc1, tgs1 = after
    obs = observed_from((svc0,), tgs0)
    p = plan(Desired(SRC, (svc1,), tgs1), obs)
    ops = p.operations
    assert not p.conflicts and not p.errors
    assert [op.phase for op in ops] == sorted(op.phase for op in ops)
    created_at = {op.key: op.phase for op in ops if op.api.startswith("Create")}
    for op in ops:
        for need in op.needs:
            if need in created_at:
                assert created_at[need] < op.phase or need == op.key, op.describe()
        # every Ref points at something created earlier in this plan
        for ref in _refs(op.params):
            key = ("svc" if ref.kind == "svc" else ref.kind, ref.name)
            assert key in created_at and created_at[key] < op.phase, (op.describe(), ref)
    # orphan TGs go last, and only ours that are no longer wanted
    deleted = [op for op in ops if op.api == "DeleteTargetGroup"]
    assert {op.key[1] for op in deleted} == {t.name for t in tgs0} - {t.name for t in tgs1}
    assert all(op.phase == max(o.phase for o in ops) for op in deleted)
    # no rule is created at a priority an existing rule still holds after the updates
    final = {r.name: r.priority for r in obs.services[svc0.name].listeners[svc0.listeners[0].name].rules.values()}
    for op in ops:
        if op.api == "DeleteRule":
            final = {n: pr for n, pr in final.items()
                     if obs.services[svc0.name].listeners[svc0.listeners[0].name].rules[n].id != op.params["ruleIdentifier"]}
        if op.api == "BatchUpdateRule":
            by_id = {r.id: r.name for r in obs.services[svc0.name].listeners[svc0.listeners[0].name].rules.values()}
            for u in op.params["rules"]:
                if "priority" in u:
                    final[by_id[u["ruleIdentifier"]]] = u["priority"]
        if op.api == "CreateRule":
            assert op.params["priority"] not in final.values(), op.describe()
            final[op.params["name"]] = op.params["priority"]
    assert sorted(final.values()) == sorted(r.priority for r in svc1.listeners[0].rules)


def _refs(value):
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _refs(v)
