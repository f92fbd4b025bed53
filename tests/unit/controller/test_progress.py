from controller import progress
from controller.handlers import relevant


def route(gen=3, ann=None, uid="u-1"):
    meta = {"name": "r", "namespace": "app", "generation": gen, "uid": uid}
    if ann is not None:
        meta["annotations"] = ann
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta, "spec": {"x": 1}}


def test_is_current_needs_same_object_generation_and_fingerprints():
    assert not progress.is_current(route(), "cfg", "tgt")
    record = progress.value(route(), "cfg", "tgt")
    assert record == "3:cfg:tgt:u-1"
    r = route(ann={progress.ANNOTATION: record})
    assert progress.is_current(r, "cfg", "tgt")
    assert not progress.is_current(r, "other", "tgt")
    assert not progress.is_current(r, "cfg", "other")
    assert not progress.is_current(route(gen=4, ann={progress.ANNOTATION: record}), "cfg", "tgt")
    # Deleted and applied again from `kubectl get -o yaml`: same name, generation and
    # annotation, but a new object whose Lattice resources went with the old one.
    assert not progress.is_current(route(uid="u-2", ann={progress.ANNOTATION: record}), "cfg", "tgt")


def test_next_record_after_a_pass():
    fresh = route()
    assert progress.next_record(fresh, "cfg", "tgt", done=True, verified=False) == "3:cfg:tgt:u-1"
    assert progress.next_record(fresh, "cfg", "tgt", done=False, verified=True) is None  # removed
    held = route(ann={progress.ANNOTATION: "3:cfg:tgt:u-1"})
    # pod churn alone: no write now (the record stays as it is) ...
    assert progress.next_record(held, "cfg", "tgt2", done=True, verified=False) == "3:cfg:tgt:u-1"
    # ... but with the next drift check
    assert progress.next_record(held, "cfg", "tgt2", done=True, verified=True) == "3:cfg:tgt2:u-1"
    # anything else is recorded at once
    assert progress.next_record(held, "cfg2", "tgt2", done=True, verified=False) == "3:cfg2:tgt2:u-1"
    assert progress.next_record(route(gen=4, ann={progress.ANNOTATION: "3:cfg:tgt:u-1"}), "cfg", "tgt2",
                                done=True, verified=False) == "4:cfg:tgt2:u-1"


def test_desired_fingerprint_is_stable_and_sensitive():
    a = progress.desired_fingerprint(["svc-fp"], ["tg-fp"])
    assert a == progress.desired_fingerprint(["svc-fp"], ["tg-fp"])
    assert a != progress.desired_fingerprint(["svc-fp"], ["tg-fp2"])


def test_progress_annotation_is_not_a_relevant_change():
    assert progress.ANNOTATION == "latticegw.io/applied"
    assert not relevant(route(), route(ann={progress.ANNOTATION: "3:c:t:u-1"}))
    assert relevant(route(), route(ann={progress.ANNOTATION: "3:c:t:u-1", "user": "x"}))
