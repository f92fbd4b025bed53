"""Our own output annotations never wake the object they are written on."""

from controller.annotations import LATTICE_DOMAIN, LATTICE_SERVICE_ARN, PROGRESS
from controller.handlers import relevant


def route(annotations):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "ns", "generation": 1, "annotations": annotations},
            "spec": {"rules": []}}


def test_output_annotations_are_not_relevant():
    before = route({"user": "x"})
    after = route({"user": "x", LATTICE_DOMAIN: "r.example", LATTICE_SERVICE_ARN: "arn:aws:x", PROGRESS: "1:ab"})
    assert relevant(before, after) is False


def test_user_annotations_still_are():
    assert relevant(route({"user": "x"}), route({"user": "y"})) is True
