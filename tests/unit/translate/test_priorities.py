from hypothesis import given, settings
from hypothesis import strategies as st

from translate.priorities import Candidate, annotated_priorities, assign

A = "application-networking.k8s.aws/"


def c(rule, match=0, prec=(1, 0, 1, 0)):
    return Candidate(rule, match, prec)


def test_precedence_then_order():
    placed, rejected = assign([c(0, prec=(1, -1, 1, 0)), c(1, prec=(0, -2, 1, 0)), c(2, prec=(1, -5, 1, 0))], {}, 100)
    assert placed == {(1, 0): 1, (2, 0): 2, (0, 0): 3}
    assert not rejected


def test_annotations_win_and_others_fill_gaps():
    placed, rejected = assign([c(0), c(1), c(2)], {0: "1", 1: "100", 2: "50"}, 100)
    assert placed == {(0, 0): 1, (1, 0): 100, (2, 0): 50}
    placed, _ = assign([c(0), c(1), c(2)], {1: "1"}, 100)
    assert placed == {(1, 0): 1, (0, 0): 2, (2, 0): 3}


def test_annotated_rule_with_several_matches():
    placed, _ = assign([c(0, 0), c(0, 1), c(1)], {0: "5"}, 100)
    assert placed[(0, 0)] == 5 and placed[(0, 1)] == 6 and placed[(1, 0)] == 1


def test_duplicate_and_invalid_annotations_reject_only_that_rule():
    placed, rejected = assign([c(0), c(1), c(2), c(3)], {0: "3", 1: "3", 2: "abc", 3: "101"}, 100)
    assert set(rejected) == {1, 2, 3}
    assert "already used by rule 0" in rejected[1]
    assert placed == {(0, 0): 3}


def test_overflow_rejects_lowest_precedence_rules():
    cands = [c(i, prec=(1, -i, 1, 0)) for i in range(5)]
    placed, rejected = assign(cands, {}, 3)
    assert set(rejected) == {0, 1}  # shortest prefixes lose
    assert sorted(placed.values()) == [1, 2, 3]


def test_annotation_parsing():
    assert annotated_priorities({A + "rule-0-priority": "7", A + "rule-x-priority": "1", "other": "2"}) == {0: "7"}


@settings(max_examples=200, deadline=None)
@given(
    n=st.lists(st.integers(1, 4), min_size=0, max_size=40),
    ann=st.dictionaries(st.integers(0, 40), st.integers(-5, 110).map(str), max_size=10),
    cap=st.integers(1, 100),
)
def test_priorities_unique_and_in_range(n, ann, cap):
    cands = [Candidate(i, j, (j % 2, -i, 1, 0)) for i, k in enumerate(n) for j in range(k)]
    placed, rejected = assign(cands, ann, cap)
    values = list(placed.values())
    assert len(values) == len(set(values))
    assert all(1 <= v <= cap for v in values)
    assert not {i for i, _ in placed} & set(rejected)
    # every rule is either fully placed or rejected
    for i, k in enumerate(n):
        got = [j for (r, j) in placed if r == i]
        assert i in rejected or len(got) == k


@settings(max_examples=100, deadline=None)
@given(n=st.lists(st.integers(1, 4), max_size=30), cap=st.integers(1, 100))
def test_fast_path_matches_general_path(n, cap):
    from translate.priorities import _assign

    cands = [Candidate(i, j, (j % 2, -((i * 7) % 5), 1, 0)) for i, k in enumerate(n) for j in range(k)]
    assert assign(cands, {}, cap) == _assign(cands, {}, cap)
