"""deploy/crds: generated, in sync with the chart, and matching what translate/ reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from translate import policies, snapshot, targetgroups

ROOT = Path(__file__).resolve().parents[3]
CRD_DIR = ROOT / "deploy" / "crds"
CHART_CRD_DIR = ROOT / "deploy" / "chart" / "latticegw" / "crds"


def _gen():
    spec = importlib.util.spec_from_file_location("gen_crds", ROOT / "deploy" / "tools" / "gen_crds.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def crds() -> dict[str, dict]:
    out = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        out[doc["spec"]["names"]["kind"]] = doc
    return out


def spec_schema(kind: str) -> dict:
    return crds()[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def test_committed_files_match_the_generator():
    gen = _gen()
    wanted = gen.files()
    for d in (CRD_DIR, CHART_CRD_DIR):
        assert {p.name: p.read_text() for p in d.glob("*.yaml")} == wanted, f"run python deploy/tools/gen_crds.py ({d})"


def test_every_aws_kind_translate_knows_has_a_crd():
    aws_kinds = {"TargetGroupPolicy", "VpcAssociationPolicy", "AccessLogPolicy", "IAMAuthPolicy",
                 "ServiceNetwork", "ServiceExport", "ServiceImport"}
    assert aws_kinds <= snapshot.KNOWN_KINDS
    assert set(crds()) == aws_kinds
    assert set(policies.VALID_TARGETS) <= set(crds())
    for kind, doc in crds().items():
        assert doc["spec"]["group"] == policies.AWS_GROUP
        assert (doc["spec"]["scope"] == "Cluster") == (kind in snapshot.CLUSTER_SCOPED), kind
        version = doc["spec"]["versions"][0]
        assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
        assert version["subresources"] == {"status": {}}
        assert version["additionalPrinterColumns"][-1]["name"] == "Age"


def test_policy_fields_match_translate():
    for kind in policies.VALID_TARGETS:
        assert "targetRef" in spec_schema(kind)["properties"]
        assert "targetRef" in spec_schema(kind)["required"]
    hc = spec_schema("TargetGroupPolicy")["properties"]["healthCheck"]["properties"]
    assert set(targetgroups.HC_FIELDS) | {"statusMatch"} <= set(hc)
    for key, (lo, hi) in targetgroups.HC_RANGES.items():
        assert (hc[key]["minimum"], hc[key]["maximum"]) == (lo, hi), key
    tgp = spec_schema("TargetGroupPolicy")["properties"]
    assert {"protocol", "protocolVersion", "healthCheck"} <= set(tgp)
    vap = spec_schema("VpcAssociationPolicy")["properties"]
    assert vap["securityGroupIds"]["items"]["pattern"] == policies.SG_RE.pattern
    assert "associateWithVpc" in vap
    assert "destinationArn" in spec_schema("AccessLogPolicy")["properties"]
    assert "policy" in spec_schema("IAMAuthPolicy")["properties"]
    ports = spec_schema("ServiceExport")["properties"]["exportedPorts"]["items"]["properties"]
    assert set(ports) == {"port", "routeType"}
    assert set(ports["routeType"]["enum"]) == {"HTTP", "GRPC", "TLS"}


def test_access_log_destinations_translate_accepts_pass_the_crd_pattern():
    import re

    pattern = re.compile(spec_schema("AccessLogPolicy")["properties"]["destinationArn"]["pattern"])
    for arn in ("arn:aws:s3:::my-logs", "arn:aws:s3:::my-logs/prefix",
                "arn:aws:logs:us-west-2:123456789012:log-group:/lattice/access:*",
                "arn:aws:firehose:us-west-2:123456789012:deliverystream/lattice"):
        assert policies.valid_destination(arn)
        assert pattern.match(arn), arn
