"""Run the official Gateway API conformance suite against `latticegw run`.

What runs, all on loopback:

* a real kube-apiserver + etcd (controller.localkube) with the Gateway API CRDs of
  GATEWAY_API_VERSION (experimental channel) and our policy CRDs;
* the Lattice emulator;
* `latticegw run`, the controller process exactly as deployed, pointed at both, with
  DEFAULT_SERVICE_NETWORK + ENABLE_SERVICE_NETWORK_OVERRIDE so that every Gateway the
  suite creates maps to one service network (as a cluster admin would configure it;
  latticegw never creates a service network per Gateway);
* the node side of a cluster (tests.conformance.kubelet): Pods for the suite's
  Deployments, Ready, with loopback IPs in EndpointSlices;
* the suite binary (tests/conformance/build.sh), with its own flags.

The suite takes its supported features from the GatewayClass status that latticegw
writes (it infers them when no feature flag is given), so the report claims exactly
what the running controller publishes. Tests that send traffic cannot pass without a
data plane (tests.conformance.catalog): they are skipped and listed as not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from controller.localkube import LocalKube
from lattice.emulator import run_emulator
from tests.conformance.catalog import NO_DATA_PLANE, SuiteTest, read_catalog, traffic_tests
from tests.conformance.kubelet import Kubelet
from tests.conformance.reasons import explain

REPO = Path(__file__).resolve().parents[2]
POLICY_CRDS = sorted((REPO / "deploy" / "crds").glob("*.yaml"))
GATEWAY_CLASS = "latticegw"
CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
SERVICE_NETWORK = "conformance"
IDENTITY = {
    "CLUSTER_NAME": "conformance",
    "CLUSTER_VPC_ID": "vpc-0c0f0c0f0c0f0c0f0",
    "AWS_ACCOUNT_ID": "123456789012",
    "REGION": "us-west-2",
}
# The suite deletes a test's objects without waiting for them to go, and the next test may apply
# objects of the same names (GatewayModifyListeners and GatewayWithAttachedRoutes both use
# http-route-1 and http-route-2). latticegw holds a route's deletion with its finalizer (the AWS
# controller's) until the route's Lattice service is deleted, so an immediate re-apply updates the
# terminating route, which then disappears. The suite's own TestIsolation pause between tests
# (seconds) lets the deletion finish first.
TEST_ISOLATION_SECONDS = 3
# Profiles by the feature that makes them apply: a profile brings its Core features into the
# run, so one is only asked for when the GatewayClass claims its route kind.
PROFILES = (("HTTPRoute", "GATEWAY-HTTP"), ("GRPCRoute", "GATEWAY-GRPC"), ("TLSRoute", "GATEWAY-TLS"))
_RESULT = re.compile(r"^\s*--- (PASS|FAIL|SKIP): TestConformance/(\w+) \(([\d.]+)s\)")
_SKIP_REASON = re.compile(r"Skipping (\w+): (.*)$")


def build_suite() -> tuple[Path, Path]:
    """(binary, module sources), building the suite once per pinned version."""
    out = subprocess.run(["bash", str(REPO / "tests" / "conformance" / "build.sh")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return Path(values["SUITE"]), Path(values["SUITE_SRC"])


@dataclass
class TestResult:
    name: str
    result: str  # PASS, FAIL, SKIP or NOT RUN
    seconds: float = 0.0
    reason: str = ""


@dataclass
class SuiteRun:
    results: dict[str, TestResult]
    supported_features: list[str]
    profiles: list[str]
    report: dict | None
    seconds: float
    exit_code: int
    log: Path
    kubelet_errors: list[str] = field(default_factory=list)

    def named(self, result: str) -> list[str]:
        return sorted(n for n, r in self.results.items() if r.result == result)

    def counts(self) -> dict[str, int]:
        out = {"PASS": 0, "FAIL": 0, "SKIP": 0, "NOT RUN": 0}
        for r in self.results.values():
            out[r.result] += 1
        return out


def parse_output(text: str, catalog: dict[str, SuiteTest], not_run: Sequence[str]) -> dict[str, TestResult]:
    """Per-test results from the suite's `-test.v` output."""
    reasons: dict[str, str] = {}
    for line in text.splitlines():
        m = _SKIP_REASON.search(line)
        if m:
            reasons[m.group(1)] = m.group(2).strip()
    results: dict[str, TestResult] = {}
    for line in text.splitlines():
        m = _RESULT.match(line)
        if not m:
            continue
        result, name, seconds = m.group(1), m.group(2), float(m.group(3))
        reason = reasons.get(name, "")
        if result == "SKIP" and name in not_run and reason.endswith("explicitly skipped"):
            result, reason = "NOT RUN", NO_DATA_PLANE  # skipped by us, not for a feature
        reason = explain(reason)
        results[name] = TestResult(name, result, seconds, reason)
    for name in catalog:
        if name not in results and name in not_run:
            results[name] = TestResult(name, "NOT RUN", 0.0, NO_DATA_PLANE)
    return results


@contextlib.asynccontextmanager
async def environment(workdir: Path) -> AsyncIterator[tuple[LocalKube, Kubelet]]:
    """The control plane, the emulator, `latticegw run` and the stand-in node, all started."""
    async with LocalKube.started(workdir / "kube", keep_workdir=True, extra_crds=POLICY_CRDS) as kube, \
            run_emulator(host="127.0.0.1", port=0, region=IDENTITY["REGION"]) as emu:
        env = dict(os.environ, **IDENTITY,
                   LATTICE_ENDPOINT=emu.url, LATTICEGW_TAGGING_ENDPOINT=emu.url, LATTICEGW_ACM_ENDPOINT=emu.url,
                   DEFAULT_SERVICE_NETWORK=SERVICE_NETWORK, ENABLE_SERVICE_NETWORK_OVERRIDE="true",
                   AWS_ACCESS_KEY_ID="conformance", AWS_SECRET_ACCESS_KEY="conformance",
                   AWS_EC2_METADATA_DISABLED="true", NO_PROXY="127.0.0.1,localhost,::1",
                   no_proxy="127.0.0.1,localhost,::1")
        latticegw = shutil.which("latticegw", path=str(Path(sys.executable).parent)) or "latticegw"
        log = open(workdir / "latticegw.log", "ab")
        controller = await asyncio.create_subprocess_exec(
            latticegw, "run", "--kubeconfig", str(kube.kubeconfig_path), "--leader-elect", "false",
            "--queue-store", "memory", "--sidecar-address", "127.0.0.1:0", "--log-level", "info",
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        kubelet = Kubelet(kube)
        node = asyncio.create_task(kubelet.run(), name="kubelet")
        try:
            await kube.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                              "metadata": {"name": GATEWAY_CLASS},
                              "spec": {"controllerName": CONTROLLER_NAME}})
            yield kube, kubelet
        finally:
            node.cancel()
            await asyncio.gather(node, return_exceptions=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(controller.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(controller.wait(), 20)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(controller.pid, signal.SIGKILL)
                await controller.wait()
            log.close()


async def published_features(kube: LocalKube, timeout: float = 120.0) -> list[str]:
    """The GatewayClass's status.supportedFeatures, once latticegw has Accepted it."""
    deadline = time.monotonic() + timeout
    body: object = None
    while time.monotonic() < deadline:
        status, body = await kube.request("GET", f"/apis/gateway.networking.k8s.io/v1/gatewayclasses/{GATEWAY_CLASS}")
        st = (body or {}).get("status") or {} if status == 200 else {}
        accepted = any(c.get("type") == "Accepted" and c.get("status") == "True" for c in st.get("conditions") or ())
        if accepted and st.get("supportedFeatures"):
            return sorted(f["name"] for f in st["supportedFeatures"])
        await asyncio.sleep(0.5)
    raise RuntimeError(f"GatewayClass {GATEWAY_CLASS} not Accepted with supportedFeatures after {timeout:.0f}s: {body}")


async def run(workdir: Path, *, report: Path | None = None, skip: Sequence[str] = (),
              extra_flags: Sequence[str] = (), echo=print) -> SuiteRun:
    binary, src = build_suite()
    catalog = read_catalog(src)
    not_run = traffic_tests(catalog)
    workdir.mkdir(parents=True, exist_ok=True)
    report_path = workdir / "report.yaml"
    started = time.monotonic()
    async with environment(workdir) as (kube, kubelet):
        features = await published_features(kube)
        profiles = [p for feature, p in PROFILES if feature in features]
        from controller.version import __version__

        chart = yaml.safe_load((REPO / "deploy" / "chart" / "latticegw" / "Chart.yaml").read_text())
        argv = [
            str(binary), "-test.run", "^TestConformance$", "-test.v", "-test.timeout", "3h",
            "-gateway-class", GATEWAY_CLASS,
            "-conformance-profiles", ",".join(profiles),
            "-skip-tests", ",".join(sorted(set(not_run) | set(skip))),
            "-report-output", str(report_path),
            "-organization", "latticegw", "-project", "latticegw", "-url", chart["home"],
            "-version", f"v{__version__}", "-contact", chart["home"] + "/issues",
            "-mode", "default", "-timeout-config-overrides", f"TestIsolation:{TEST_ISOLATION_SECONDS}",
            *extra_flags,
        ]
        echo(f"conformance: {binary.name} against latticegw; features {', '.join(features)}; "
             f"profiles {', '.join(profiles)}; {len(not_run)} traffic tests not run")
        log_path = workdir / "suite.log"
        env = dict(os.environ, KUBECONFIG=str(kube.kubeconfig_path), NO_PROXY="127.0.0.1,localhost,::1")
        with open(log_path, "wb") as log:
            proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                        stdin=subprocess.DEVNULL, cwd=str(workdir))
            code = await proc.wait()
        text = log_path.read_text(errors="replace")
        errors = list(kubelet.errors)
    results = parse_output(text, catalog, not_run)
    report_doc = yaml.safe_load(report_path.read_text()) if report_path.exists() else None
    if report is not None and report_path.exists():
        report.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report_path, report)
    return SuiteRun(results, features, profiles, report_doc, time.monotonic() - started, code, log_path, errors)


def render(run_: SuiteRun) -> str:
    lines = [f"{'TEST':58} {'RESULT':8} SECONDS  REASON"]
    for name in sorted(run_.results):
        r = run_.results[name]
        lines.append(f"{name:58} {r.result:8} {r.seconds:7.1f}  {r.reason}")
    c = run_.counts()
    lines.append("")
    lines.append(f"passed {c['PASS']}, failed {c['FAIL']}, skipped {c['SKIP']}, not run (traffic) {c['NOT RUN']}"
                 f" in {run_.seconds:.0f}s; suite exit code {run_.exit_code}; log {run_.log}")
    return "\n".join(lines)
