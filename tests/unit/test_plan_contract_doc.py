"""docs/reference/plan-output.md against the code: every object's table lists exactly the keys
its `to_dict()` writes, so the `latticegw plan -o json` contract cannot drift from the output."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from controller.cli.plan import render
from translate.frozen import freeze
from translate.model import (
    AccessLogSubscription,
    AuthPolicy,
    Certificate,
    Condition,
    Event,
    Listener,
    ListenerStatus,
    Outcome,
    RouteParentStatus,
    Rule,
    Service,
    ServiceNetwork,
    ServiceNetworkAssociation,
    Source,
    Target,
    TargetGroup,
    TargetGroupLookup,
    Translation,
    VpcAssociation,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "plan-output.md"
SRC = Source("HTTPRoute", "ns", "r")
COND = Condition("Accepted", "True", "Accepted", "", 1)
AUTH = AuthPolicy(Source("IAMAuthPolicy", "ns", "p"), "{}")
ALS = AccessLogSubscription(Source("AccessLogPolicy", "ns", "p"), "arn:aws:s3:::b", "s3")
VPCA = VpcAssociation(Source("VpcAssociationPolicy", "ns", "p"), "vpc-1", ("sg-1",))
RULE = Rule("rule", 1, freeze({}), freeze({}))
LISTENER = Listener("l", 80, "HTTP", freeze({}), (RULE,))
ASSOC = ServiceNetworkAssociation("sn")
CERT = Certificate(Source("Secret", "ns", "tls"), "fp", ("a.example.com",))
SERVICE = Service("s", SRC, "a.example.com", None, "NONE", AUTH, (ASSOC,), (LISTENER,), (ALS,), certificate=CERT)
SN = ServiceNetwork("sn", (SRC,), True, "AWS_IAM", AUTH, VPCA, (ALS,))
TARGET = Target("10.0.0.1", 80)
TG = TargetGroup("tg", SRC, Source("Service", "ns", "svc"), "IP", freeze({}), (TARGET,))
LOOKUP = TargetGroupLookup("lk", Source("ServiceImport", "ns", "i"))
PARENT = RouteParentStatus(freeze({"name": "gw"}), "ctl", (COND,))
LSTATUS = ListenerStatus("http", (freeze({"group": "g", "kind": "HTTPRoute"}),), 1, (COND,))
EVENT = Event("Warning", "Conflicted", "m")
# every optional key present: a route (parents), a Gateway (listeners), a GatewayClass (features)
ROUTE_STATUS = Outcome(SRC, 1, (COND,), (PARENT,), (), (EVENT,))
GW_STATUS = Outcome(Source("Gateway", "ns", "gw"), 1, (COND,), (), (LSTATUS,))
CLASS_STATUS = Outcome(Source("GatewayClass", "", "c"), 1, (COND,), supported_features=("HTTPRoute",))
TRANSLATION = Translation((SN,), (SERVICE,), (TG,), (LOOKUP,), (ROUTE_STATUS,))

SECTIONS = {
    "The document": [TRANSLATION.to_dict()],
    "source": [SRC.to_dict()],
    "service network": [SN.to_dict()],
    "service": [SERVICE.to_dict()],
    "certificate": [CERT.to_dict()],
    "association": [ASSOC.to_dict()],
    "listener": [LISTENER.to_dict()],
    "rule": [RULE.to_dict()],
    "target group": [TG.to_dict()],
    "target": [TARGET.to_dict()],
    "target group lookup": [LOOKUP.to_dict()],
    "auth policy": [AUTH.to_dict()],
    "VPC association": [VPCA.to_dict()],
    "access log subscription": [ALS.to_dict()],
    "status entry": [ROUTE_STATUS.to_dict(), GW_STATUS.to_dict(), CLASS_STATUS.to_dict()],
    "route parent": [PARENT.to_dict()],
    "listener status": [LSTATUS.to_dict()],
    "condition": [COND.to_dict()],
    "event": [EVENT.to_dict()],
}


def documented() -> dict[str, list[str]]:
    """{section title: keys in its table's first column, in order}."""
    out: dict[str, list[str]] = {}
    title = None
    for line in DOC.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
        elif title and (m := re.match(r"^\| `([^`]+)` \|", line)):
            out.setdefault(title, []).append(m.group(1))
    return out


def test_every_object_is_documented_with_exactly_its_keys():
    doc = documented()
    assert set(doc) == set(SECTIONS), "sections of plan-output.md and this test differ"
    for title, dicts in SECTIONS.items():
        keys: list[str] = []
        for d in dicts:
            keys += [k for k in d if k not in keys]
        assert sorted(doc[title]) == sorted(keys), f"plan-output.md section {title!r}"


def test_the_json_output_is_the_documented_document():
    out = orjson.loads(render(TRANSLATION, "json"))
    assert list(out) == documented()["The document"]
    assert out["status"][0]["events"] == [{"type": "Warning", "reason": "Conflicted", "message": "m"}]


def test_code_points_at_the_contract_page():
    root = DOC.parents[2]
    for path in ("translate/model.py", "controller/cli/plan.py"):
        text = (root / path).read_text()
        assert "docs/reference/plan-output.md" in text and "ARCHITECTURE.md" not in text, path
