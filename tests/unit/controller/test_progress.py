from controller import progress
from controller.discovery import Resource
from controller.fence import AlwaysLeader
from controller.handlers import relevant
from controller.status import StatusWriter

from .fakekube import FakeKube

ROUTES = Resource("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", True)
PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/app/httproutes/r"


def route(gen=3, ann=None):
    meta = {"name": "r", "namespace": "app", "generation": gen}
    if ann is not None:
        meta["annotations"] = ann
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta, "spec": {"x": 1}}


def test_is_current_needs_same_generation_and_fingerprint():
    assert not progress.is_current(route(), "fp")
    r = route(ann={progress.ANNOTATION: "3:fp"})
    assert progress.applied(r) == (3, "fp")
    assert progress.is_current(r, "fp")
    assert not progress.is_current(r, "other")
    assert not progress.is_current(route(gen=4, ann={progress.ANNOTATION: "3:fp"}), "fp")


def test_progress_annotation_is_not_a_relevant_change():
    assert progress.ANNOTATION == "latticegw.io/applied"
    assert not relevant(route(), route(ann={progress.ANNOTATION: "3:fp"}))
    assert relevant(route(), route(ann={progress.ANNOTATION: "3:fp", "user": "x"}))


async def test_record_writes_a_fenced_merge_patch():
    kube = FakeKube()
    stored = kube._store(PATH, route())  # noqa: SLF001
    written = await progress.record(StatusWriter(kube, {"HTTPRoute": ROUTES}), stored, "fp", fence=AlwaysLeader())
    assert progress.is_current(written, "fp")
