"""The pure write decision: intent + object -> at most one metadata patch and one status patch."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.reconcilers.finalizers import FINALIZERS
from controller.reconcilers.writes import Intent, Writes, decide

OURS = FINALIZERS["HTTPRoute"]
OTHER = "example.com/keep-me"
DNS = "application-networking.k8s.aws/lattice-assigned-domain-name"
APPLIED = "latticegw.io/applied"
STATUS = {"parents": [{"controllerName": "x"}]}


def route(finalizers=(), annotations=None) -> dict:
    meta = {"name": "r", "namespace": "ns", "resourceVersion": "7", "finalizers": list(finalizers)}
    if annotations is not None:
        meta["annotations"] = dict(annotations)
    return {"kind": "HTTPRoute", "metadata": meta}


CASES = [
    # (name, object, intent, expected)
    ("nothing to do", route([OURS], {DNS: "a"}), Intent(finalizer=True, annotations={DNS: "a"}),
     Writes()),
    ("add finalizer after others'", route([OTHER]), Intent(finalizer=True),
     Writes(metadata={"finalizers": [OTHER, OURS]}, precondition=True)),
    ("remove ours, keep others'", route([OTHER, OURS]), Intent(finalizer=False),
     Writes(metadata={"finalizers": [OTHER]}, precondition=True)),
    ("removing an absent finalizer writes nothing", route([OTHER]), Intent(finalizer=False), Writes()),
    ("None leaves the finalizer alone", route([]), Intent(finalizer=None), Writes()),
    ("annotations alone: only the changed keys, no precondition",
     route([OURS], {DNS: "a", APPLIED: "1"}), Intent(annotations={DNS: "b", APPLIED: "1"}),
     Writes(metadata={"annotations": {DNS: "b"}})),
    ("None removes an annotation", route([OURS], {DNS: "a"}), Intent(annotations={DNS: None}),
     Writes(metadata={"annotations": {DNS: None}})),
    ("removing an absent annotation writes nothing", route([OURS], {}), Intent(annotations={DNS: None}),
     Writes()),
    ("finalizer, annotations and status: one patch each",
     route([OURS], {DNS: "a", APPLIED: "1"}),
     Intent(finalizer=False, annotations={DNS: None, APPLIED: None}, status=STATUS),
     Writes(metadata={"finalizers": [], "annotations": {DNS: None, APPLIED: None}}, status=STATUS,
            precondition=True)),
    ("status alone", route([OURS]), Intent(status=STATUS), Writes(status=STATUS)),
    ("release drops ours and the AWS controller's others of the kind at once, in one patch",
     {"kind": "Gateway", "metadata": {"name": "g", "resourceVersion": "1",
                                      "finalizers": [OTHER, "gateway.k8s.aws/resources"]}},
     Intent(finalizer=False), Writes(metadata={"finalizers": [OTHER]}, precondition=True)),
    ("a kind without a finalizer of ours is never given one",
     {"kind": "Gateway", "metadata": {"name": "g", "resourceVersion": "1"}}, Intent(finalizer=True),
     Writes()),
]


@pytest.mark.parametrize("obj,intent,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(obj, intent, expected):
    assert decide(obj, intent) == expected


def test_writes_is_true_only_when_something_is_sent():
    assert not Writes()
    assert Writes(status=STATUS) and Writes(metadata={"finalizers": []})


def merge(obj: dict, writes: Writes) -> dict:
    """What the API server makes of the metadata merge patch (status is not modelled here)."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    for key, value in (writes.metadata or {}).items():
        if key == "annotations":
            ann = meta.setdefault("annotations", {})
            for k, v in value.items():
                if v is None:
                    ann.pop(k, None)
                else:
                    ann[k] = v
        else:
            meta[key] = value
    return out


finalizer_lists = st.lists(st.sampled_from([OURS, OTHER, "a.io/x"]), unique=True, max_size=3)
annotation_maps = st.dictionaries(st.sampled_from([DNS, APPLIED, "user/x"]), st.sampled_from(["1", "2"]), max_size=3)
intents = st.builds(
    Intent,
    finalizer=st.sampled_from([True, False, None]),
    annotations=st.dictionaries(st.sampled_from([DNS, APPLIED]), st.sampled_from(["1", "2", None]), max_size=2),
)


@given(finalizer_lists, annotation_maps, intents)
def test_applying_the_decision_leaves_nothing_to_do(finalizers, annotations, intent):
    obj = route(finalizers, annotations)
    writes = decide(obj, intent)
    after = merge(obj, writes)
    assert decide(after, intent).metadata is None  # one patch reaches the intent
    # only our finalizer moves; everybody else's stay, in order
    theirs = [f for f in finalizers if f != OURS]
    assert [f for f in after["metadata"]["finalizers"] if f != OURS] == theirs
    # and only the annotations the intent names are touched
    untouched = {k: v for k, v in annotations.items() if k not in intent.annotations}
    assert {k: v for k, v in (after["metadata"].get("annotations") or {}).items()
            if k not in intent.annotations} == untouched
    assert writes.precondition == ("finalizers" in (writes.metadata or {}))


def test_own_writes_stand_in_for_a_cache_that_has_not_caught_up():
    from controller.reconcilers.writes import OwnWrites

    def at(rv: str) -> dict:
        return {"kind": "HTTPRoute", "metadata": {"name": "r", "resourceVersion": rv}}

    own = OwnWrites()
    assert own.current("k", at("1")) == at("1")  # nothing remembered: the cache
    own.remember("k", ["1"], at("2"))  # we read 1 and wrote 2 (the finalizer) ...
    own.remember("k", ["2"], at("3"))  # ... then 3 (status): both 1 and 2 are superseded
    assert own.current("k", at("2")) == at("3")  # the cache is behind our writes
    assert own.current("k", at("2")) == at("2")  # used once
    own.remember("k", ["1"], at("3"))
    assert own.current("k", at("1")) == at("3")
    own.remember("k", ["1"], at("3"))
    assert own.current("k", at("5")) == at("5")  # someone wrote after us: theirs is newer
    own.remember("k", ["1"], at("3"))
    assert own.current("k", None) is None  # deleted meanwhile
    assert own.current("other", at("1")) == at("1")
    own.remember("k", ["1"], at("2"))
    own.remember("k", ["7"], at("8"))  # a later pass from a newer version: 1 is no longer ours to replace
    assert own.current("k", at("1")) == at("1")
    own.remember("k", ["1", "2"], at("3"))  # one call: status (2), then metadata (3)
    assert own.current("k", at("2")) == at("3")  # the cache has the status write, not the metadata one
