"""The official conformance suite's status tests, inside `make test`.

The same run as `make conformance` (tests.conformance.runner): the suite binary against
`latticegw run`, the emulator and the stand-in node, with the features the GatewayClass
publishes. What can run here is every test that checks status only (traffic tests need
a data plane and are not run), for the claimed features: the Core features of the
GATEWAY-HTTP and GATEWAY-TLS profiles plus the claimed extended ones. The report goes to the test's tmp dir;
`make conformance` is what writes docs/conformance/.
"""

from __future__ import annotations

import pytest
import yaml

from tests.conformance.catalog import NO_DATA_PLANE
from tests.conformance.runner import render, run

pytestmark = pytest.mark.integration


@pytest.mark.timeout(2400)
async def test_status_conformance(tmp_path):
    result = await run(tmp_path / "run")
    table = render(result)
    print(table)
    assert not result.kubelet_errors, result.kubelet_errors
    assert result.report is not None, f"the suite wrote no report; see {result.log}"

    # The suite ran with the features the running controller publishes, and reports them.
    assert "Gateway" in result.supported_features and "HTTPRoute" in result.supported_features
    assert result.profiles and result.report["profiles"]
    reported = {f for p in result.report["profiles"] for f in (p.get("extended") or {}).get("supportedFeatures") or ()}
    assert reported <= set(result.supported_features), (reported, result.supported_features)

    # Every test of a claimed feature that can run here passes (strict: a new failure fails this test).
    assert result.named("FAIL") == [], table
    passed = set(result.named("PASS"))
    for core in ("GatewayClassObservedGenerationBump", "GatewayObservedGenerationBump", "GatewayInvalidRouteKind",
                 "GatewayModifyListeners", "GatewayWithAttachedRoutes", "HTTPRouteObservedGenerationBump",
                 "HTTPRouteInvalidCrossNamespaceParentRef"):
        assert core in passed, table
    # Nothing is skipped without a reason; traffic tests say why they did not run.
    for r in result.results.values():
        if r.result in ("SKIP", "NOT RUN"):
            assert r.reason, r
        if r.result == "NOT RUN":
            assert r.reason == NO_DATA_PLANE
    assert result.named("NOT RUN"), "the catalog found no traffic test"
    # The report is the suite's own ConformanceReport, as written for docs/conformance/.
    doc = yaml.safe_load((tmp_path / "run" / "report.yaml").read_text())
    assert doc["kind"] == "ConformanceReport" and doc["implementation"]["project"] == "latticegw"
