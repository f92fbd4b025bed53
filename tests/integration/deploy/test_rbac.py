"""RBAC proven for real: the chart's ServiceAccount, Roles and bindings are applied to the real API
server (server-side apply), `latticegw run` runs with a TokenRequest token of that ServiceAccount and
the environment the chart's Deployment sets, against the Lattice emulator; the controller acquires
its Lease, lists and watches every kind, writes its durable queue, and the seed walkthrough
(examples/my-hotel) converges, without a single Forbidden. Accesses the role does not grant are
refused by the API server."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import yaml
from prometheus_client.parser import text_string_to_metric_families

from controller.cli.manifests import load
from controller.localkube.plane import die_with_parent
from tests.unit.deploy.helm import one, render
from translate import naming

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]  # helm may build on first use

ROOT = Path(__file__).resolve().parents[3]
AWS = {"aws.region": "us-west-2", "aws.accountId": "123456789012", "aws.clusterVpcId": "vpc-00000000000000abc",
       "aws.clusterName": "rbac"}
DOMAIN = "application-networking.k8s.aws/lattice-assigned-domain-name"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_kubeconfig(path: Path, url: str, ca_file: str, token: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "local", "cluster": {"server": url, "certificate-authority": ca_file}}],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "local", "user": "sa"}}],
    }))
    return path


def chart_env(deployment: dict, namespace: str, identity: str, sidecar: str) -> dict[str, str]:
    """The container environment exactly as the chart renders it, with the downward API filled in."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            path = e["valueFrom"]["fieldRef"]["fieldPath"]
            env[e["name"]] = {"metadata.name": identity, "metadata.namespace": namespace}[path]
    # One free loopback port for metrics, probes and status instead of the pod's 8080/8081/8082.
    for name in ("LATTICEGW_METRICS_BIND_ADDRESS", "LATTICEGW_HEALTH_PROBE_BIND_ADDRESS",
                 "LATTICEGW_STATUS_BIND_ADDRESS"):
        assert env.pop(name), name
    env["LATTICEGW_SIDECAR_ADDRESS"] = sidecar
    if "LATTICEGW_WEBHOOK_ADDRESS" in env:  # ... and for the webhook, instead of 0.0.0.0:9443
        env["LATTICEGW_WEBHOOK_ADDRESS"] = f"127.0.0.1:{free_port()}"
    return env


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def no_webhook_configuration_outlives_the_test(kube):
    """The chart's MutatingWebhookConfiguration is cluster-scoped: left behind, it would refuse pods
    in other tests' opted-in namespaces (failurePolicy Fail, a Service nobody serves)."""
    yield
    path = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
    status, body = await kube.request("GET", f"{path}?labelSelector=app.kubernetes.io%2Fpart-of%3Dlatticegw")
    assert status == 200, body
    for item in body.get("items") or ():
        await kube.request("DELETE", f"{path}/{item['metadata']['name']}")


def walkthrough(namespace: str) -> list[dict]:
    """examples/my-hotel, moved into the test's namespace."""
    out = []
    for obj in load([str(ROOT / "examples" / "my-hotel")]):
        if obj["kind"] == "Namespace":
            continue
        if obj["kind"] != "GatewayClass":
            obj["metadata"]["namespace"] = namespace
        out.append(obj)
    return out


def cond(conditions, type_: str) -> dict:
    return next((c for c in conditions or () if c.get("type") == type_), {})


def problems(obj: dict) -> list[str]:
    name = f"{obj['kind']} {obj['metadata']['name']}"
    status = obj.get("status") or {}
    if obj["kind"] == "Gateway":
        c = cond(status.get("conditions"), "Programmed")
        return [] if c.get("status") == "True" else [f"{name}: Programmed={c.get('status')} {c.get('reason')}"]
    if obj["kind"] in ROUTE_KINDS:
        parents = status.get("parents") or []
        if not parents:
            return [f"{name}: no status"]
        out = [f"{name}: {t}={cond(p.get('conditions'), t).get('status')} {cond(p.get('conditions'), t).get('message')}"
               for p in parents for t in ("Accepted", "ResolvedRefs")
               if cond(p.get("conditions"), t).get("status") != "True"]
        if not (obj["metadata"].get("annotations") or {}).get(DOMAIN):
            out.append(f"{name}: no {DOMAIN}")
        return out
    return []


async def http_get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s:
        async with s.get(url, timeout=aiohttp.ClientTimeout(total=5)) as r:
            return r.status, await r.text()


def metric(text: str, metric_name: str, **labels) -> float | None:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == metric_name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


async def eventually(probe, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = await probe()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            last = exc
        if last is True or (last and not isinstance(last, (list, Exception))):
            return last
        if isinstance(last, list) and not last:
            return True
        await asyncio.sleep(0.5)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}: {last}\n--- controller log tail ---\n{tail}")


FORBIDDEN_RE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/apis?/[^ :?\"]+)[^ ]*:? 403")
VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def resource_attributes(method: str, path: str) -> dict:
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        group, rest = "", parts[2:]
    else:
        group, rest = parts[1], parts[3:]
    attrs = {"group": group}
    if rest and rest[0] == "namespaces" and len(rest) > 2:
        attrs["namespace"], rest = rest[1], rest[2:]
    attrs["resource"] = rest[0]
    if len(rest) > 1:
        attrs["name"] = rest[1]
    if len(rest) > 2:
        attrs["subresource"] = rest[2]
    attrs["verb"] = VERBS.get(method) or ("get" if "name" in attrs else "list")
    return attrs


async def assert_no_rbac_refusal(kube, log_path: Path, namespace: str, sa: str, refused: float | None) -> None:
    """Every 403 the controller met must be one RBAC allows: the API server also answers 403 to
    writes into a namespace being deleted (objects other tests left behind), which is not RBAC.
    A SubjectAccessReview for the ServiceAccount decides."""
    lines = [line for line in log_path.read_text().splitlines() if "forbidden" in line.lower()]
    found = [m.groups() for line in lines for m in [FORBIDDEN_RE.search(line)] if m]
    assert len(found) == len(lines), f"unexplained Forbidden in the log: {lines}"
    if refused is not None:
        assert refused <= len(found), (refused, lines)
    user = f"system:serviceaccount:{namespace}:{sa}"
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]
    for method, path in found:
        attrs = resource_attributes(method, path)
        status, review = await kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "resourceAttributes": attrs}})
        assert status == 201, review
        assert review["status"].get("allowed") is True, f"RBAC refused {method} {path}: {review['status']}"
        ns = attrs.get("namespace")
        assert ns != namespace, f"{method} {path} refused in the controller's own namespace"
        st, obj = await kube.request("GET", f"/api/v1/namespaces/{ns}")
        assert st == 404 or obj.get("status", {}).get("phase") == "Terminating", (method, path, obj)


async def delete_and_wait(kube, objs: list[dict], log_path: Path, timeout: float = 90) -> None:
    """Delete what the test applied while its controller still runs, and wait until the finalizers
    are gone: that is a write the role must allow, and it keeps other tests' controllers (which
    watch the whole cluster) from ever seeing these objects."""
    for obj in objs:
        await kube.request("DELETE", await kube.object_path(obj))

    async def gone():
        left = []
        for obj in objs:
            st, _ = await kube.request("GET", await kube.object_path(obj))
            if st != 404:
                left.append(f"{obj['kind']} {obj['metadata']['name']}")
        return left
    await eventually(gone, timeout, "the walkthrough objects to be deleted (finalizers removed)", log_path)


async def test_chart_rbac_is_enough_for_the_controller_and_no_more(kube, namespace, tmp_path, monkeypatch):
    from controller.cli.demo import create_service_networks
    from lattice.emulator import EmulatorControl, run_emulator

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # restored after the test
    async with run_emulator("127.0.0.1", 0, region=AWS["aws.region"]) as emu:
        release = f"rbac-{namespace}"
        docs = render({**AWS, "aws.latticeEndpoint": emu.url, "gatewayClass.create": False, "queue.shards": 4},
                      release=release, namespace=namespace, crds=False)
        for obj in docs:  # the real thing, not a dry run
            await kube.apply(obj, field_manager="helm")
        sa = one(docs, "ServiceAccount")["metadata"]["name"]
        token = await kube.create_token(namespace, sa)
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", kube.url, kube.ca_file, token)

        # ---- what the role does not grant is refused by the API server
        await kube.request("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-ours"}})
        refused = [
            # Secrets are read-only (listener certificateRefs), except the webhook's own certificate in
            # the release namespace: nothing else is ever written or deleted
            ("POST", "/api/v1/namespaces/default/secrets",
             {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted"}, "type": "Opaque"}),
            ("PUT", f"/api/v1/namespaces/{namespace}/secrets/planted",
             {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted"}, "type": "Opaque"}),
            ("DELETE", f"/api/v1/namespaces/{namespace}/secrets/planted", None),
            ("DELETE", f"/api/v1/namespaces/{namespace}/secrets/{one(docs, 'Secret')['metadata']['name']}", None),
            ("GET", "/api/v1/pods", None),
            ("GET", f"/api/v1/namespaces/{namespace}/configmaps/not-ours", None),
            ("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/not-ours", None),
            ("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
             {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "steal"}}),
            ("POST", f"/api/v1/namespaces/{namespace}/services",
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"ports": [{"port": 80}]}}),
            ("DELETE", f"/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/rates", None),
            ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
             {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "esc"}}),
        ]
        for method, path, body in refused:
            status, resp = await kube.request(method, path, body, token=token)
            assert status == 403, (method, path, status, resp)
        # ... and what it grants works with the same token
        status, _ = await kube.request("GET", "/apis/gateway.networking.k8s.io/v1/httproutes", token=token)
        assert status == 200

        # ---- the walkthrough's AWS CLI step: a service network for the Gateway, associated with the VPC
        manifests = walkthrough(namespace)
        await create_service_networks(emu, manifests, AWS["aws.clusterVpcId"])

        # ---- latticegw run, authenticated as the ServiceAccount, configured like the Deployment
        identity, port = f"{release}-0", free_port()
        env = dict(os.environ, **chart_env(one(docs, "Deployment"), namespace, identity, f"127.0.0.1:{port}"),
                   AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_EC2_METADATA_DISABLED="true",
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1",
                   LATTICEGW_DISCOVERY_INTERVAL="5")
        env.pop("KUBECONFIG", None)
        # As in the image (Dockerfile ENV, read-only root filesystem): HOME and TMPDIR in the one
        # writable volume, no bytecode writes; an empty working directory must stay empty.
        workdir, home = tmp_path / "workdir", tmp_path / "home"
        workdir.mkdir()
        home.mkdir()
        env.update(HOME=str(home), TMPDIR=str(home), PYTHONDONTWRITEBYTECODE="1")
        log_path = tmp_path / "controller.log"
        with open(log_path, "wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "controller.cli.main", "run", "--kubeconfig", str(kubeconfig),
                cwd=str(workdir), env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
                preexec_fn=die_with_parent)
            try:
                base = f"http://127.0.0.1:{port}"

                async def ready():
                    return (await http_get(base + "/readyz"))[0] == 200
                await eventually(ready, 90, "/readyz (every informer listed and watching)", log_path)
                verbose = (await http_get(base + "/readyz?verbose"))[1]
                for kind in ("Service", "EndpointSlice", "Namespace", "GatewayClass", "Gateway", "HTTPRoute",
                             "GRPCRoute", "TLSRoute", "ReferenceGrant", "TargetGroupPolicy", "VpcAssociationPolicy",
                             "AccessLogPolicy", "IAMAuthPolicy", "ServiceNetwork", "ServiceExport", "ServiceImport"):
                    assert f"[+]informer-{kind}" in verbose, (kind, verbose)

                async def leading():
                    text = (await http_get(base + "/metrics"))[1]
                    return metric(text, "leader_election_master_status", name="latticegw-leader") == 1
                await eventually(leading, 60, "the Lease", log_path)
                status, lease = await kube.request(
                    "GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/latticegw-leader")
                assert status == 200 and lease["spec"]["holderIdentity"] == identity

                # ---- the seed walkthrough converges
                for obj in manifests:
                    await kube.apply(obj)

                async def converged():
                    out = []
                    for obj in manifests:
                        if obj["kind"] == "Gateway" or obj["kind"] in ROUTE_KINDS:
                            st, cur = await kube.request("GET", await kube.object_path(obj))
                            out += problems(cur) if st == 200 else [f"{obj['kind']} {st}"]
                    return out
                await eventually(converged, 120, "the my-hotel walkthrough to converge", log_path)
                async with EmulatorControl(emu.url) as ctl:
                    state = await ctl.partition()
                assert sorted(s["name"] for s in state["services"]) == sorted(
                    naming.service_name(r, namespace) for r in ("inventory", "rates"))
                assert len(state["targetGroups"]) == 3  # parking, review, inventory-ver1

                # ---- a policy's status is written too (policies/status patch)
                tgp = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "TargetGroupPolicy",
                       "metadata": {"name": "parking-hc", "namespace": namespace},
                       "spec": {"targetRef": {"group": "", "kind": "Service", "name": "parking"},
                                "healthCheck": {"enabled": True, "path": "/health", "intervalSeconds": 10}}}
                await kube.apply(tgp)

                async def policy_accepted():
                    st, cur = await kube.request("GET", await kube.object_path(tgp))
                    c = cond((cur.get("status") or {}).get("conditions"), "Accepted")
                    return [] if c.get("status") == "True" else [f"TargetGroupPolicy Accepted={c}"]
                await eventually(policy_accepted, 60, "the TargetGroupPolicy to be Accepted", log_path)
                manifests.append(tgp)

                # ---- the durable queue lives in the namespace, in the ConfigMaps the Role names.
                # A converged controller may have had nothing pending long enough to write, so give
                # it a key that stays pending: a Gateway whose service network does not exist looks
                # again in a minute, and that delayed re-check must reach the store.
                gateway = next(o for o in manifests if o["kind"] == "Gateway")
                waiting = {"apiVersion": gateway["apiVersion"], "kind": "Gateway",
                           "metadata": {"name": "no-network-yet", "namespace": namespace},
                           "spec": {"gatewayClassName": gateway["spec"]["gatewayClassName"],
                                    "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}
                await kube.apply(waiting)
                manifests.append(waiting)

                async def queued():
                    st, cms = await kube.request(
                        "GET", f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=latticegw.io/queue")
                    assert st == 200
                    names = {c["metadata"]["name"] for c in cms["items"]}
                    assert names <= {f"latticegw-queue-{i:02d}" for i in range(4)}, names
                    return any(f"Gateway/{namespace}/no-network-yet" in (c.get("data") or {}).get("queue.json", "")
                               for c in cms["items"])
                await eventually(queued, 60, "the Gateway's delayed re-check in a queue ConfigMap", log_path)

                await delete_and_wait(kube, [o for o in manifests if o["kind"] != "GatewayClass"], log_path)
                async with EmulatorControl(emu.url) as ctl:
                    state = await ctl.partition()
                assert state["services"] == [] and state["targetGroups"] == [], "Lattice cleaned up on delete"
                text = (await http_get(base + "/metrics"))[1]
                refused = sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples
                              if s.name == "rest_client_requests_total" and s.labels["code"] == "403")
                await assert_no_rbac_refusal(kube, log_path, namespace, sa, refused)
            finally:
                if proc.returncode is None:
                    proc.terminate()
                    try:
                        await asyncio.wait_for(proc.wait(), 40)
                    except asyncio.TimeoutError:
                        proc.kill()
                        await proc.wait()
        logtext = log_path.read_text()
        assert proc.returncode == 0, logtext[-4000:]
        await assert_no_rbac_refusal(kube, log_path, namespace, sa, None)
        assert list(workdir.iterdir()) == [], "the controller wrote into its working directory"
        st, lease = await kube.request(
            "GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/latticegw-leader")
        assert st == 200 and not lease["spec"].get("holderIdentity"), "released on SIGTERM"


class ChartReplica:
    """One `latticegw run` pod of the chart's Deployment, as a local process with its SA token."""

    def __init__(self, docs: list[dict], namespace: str, identity: str, kubeconfig: Path, workdir: Path,
                 extra_env: dict[str, str]) -> None:
        self.identity = identity
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{identity}.log"
        self.env = dict(os.environ, **chart_env(one(docs, "Deployment"), namespace, identity,
                                                f"127.0.0.1:{self.port}"), **extra_env)
        self.env.pop("KUBECONFIG", None)
        self.kubeconfig = kubeconfig
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._log = open(self.log_path, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller.cli.main", "run", "--kubeconfig", str(self.kubeconfig),
            cwd=str(ROOT), env=self.env, stdout=self._log, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent)  # no orphan if pytest is killed

    async def leader_status(self) -> float | None:
        text = (await http_get(self.base + "/metrics"))[1]
        return metric(text, "leader_election_master_status", name="latticegw-leader")

    async def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 40)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()
        return self.proc.returncode


async def test_chart_ha_failover_as_service_account(kube, namespace, tmp_path, monkeypatch):
    """Two replicas with the chart's RBAC: the standby is ready but idle; when the leader is
    stopped (a rolling update, a drain) the standby takes the Lease and carries on the work."""
    from controller.cli.demo import create_service_networks
    from lattice.emulator import run_emulator

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # restored after the test
    async with run_emulator("127.0.0.1", 0, region=AWS["aws.region"]) as emu:
        release = f"ha-{namespace}"
        docs = render({**AWS, "aws.latticeEndpoint": emu.url, "gatewayClass.create": False, "queue.shards": 4},
                      release=release, namespace=namespace, crds=False)
        for obj in docs:
            await kube.apply(obj, field_manager="helm")
        sa = one(docs, "ServiceAccount")["metadata"]["name"]
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", kube.url, kube.ca_file,
                                      await kube.create_token(namespace, sa))
        manifests = walkthrough(namespace)
        await create_service_networks(emu, manifests, AWS["aws.clusterVpcId"])
        extra = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_EC2_METADATA_DISABLED": "true",
                 "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
        a = ChartReplica(docs, namespace, f"{release}-a", kubeconfig, tmp_path, extra)
        b = ChartReplica(docs, namespace, f"{release}-b", kubeconfig, tmp_path, extra)
        lease_path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/latticegw-leader"
        try:
            await a.start()

            async def a_leads():
                return await a.leader_status() == 1
            await eventually(a_leads, 90, "replica a to lead", a.log_path)
            await b.start()

            async def b_ready():
                return (await http_get(b.base + "/readyz"))[0] == 200 and await b.leader_status() == 0
            await eventually(b_ready, 90, "replica b ready as a standby", b.log_path)

            for obj in manifests:
                await kube.apply(obj)

            async def converged():
                out = []
                for obj in manifests:
                    if obj["kind"] == "Gateway" or obj["kind"] in ROUTE_KINDS:
                        st, cur = await kube.request("GET", await kube.object_path(obj))
                        out += problems(cur) if st == 200 else [f"{obj['kind']} {st}"]
                return out
            await eventually(converged, 120, "convergence under replica a", a.log_path)

            # graceful stop of the leader: it releases the Lease, b takes over
            stopped = time.monotonic()
            assert await a.stop() == 0, a.log_path.read_text()[-3000:]

            async def b_leads():
                return await b.leader_status() == 1
            await eventually(b_leads, 30, "replica b to take the Lease", b.log_path)
            takeover = time.monotonic() - stopped
            st, lease = await kube.request("GET", lease_path)
            assert lease["spec"]["holderIdentity"] == b.identity
            assert takeover < 15, f"takeover took {takeover:.1f}s after a graceful release"

            # b carries on: a new route converges under the new leader
            extra_route = {
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "after-failover", "namespace": namespace},
                "spec": {"parentRefs": [{"name": "my-hotel", "sectionName": "http"}],
                         "rules": [{"backendRefs": [{"name": "parking", "port": 80}]}]},
            }
            await kube.apply(extra_route)

            async def new_route_converged():
                st, cur = await kube.request("GET", await kube.object_path(extra_route))
                return problems(cur) if st == 200 else [st]
            await eventually(new_route_converged, 90, "a route created after failover", b.log_path)
            await delete_and_wait(kube, [extra_route] + [o for o in manifests if o["kind"] != "GatewayClass"],
                                  b.log_path)
        finally:
            await a.stop()
            rc = await b.stop()
        assert rc == 0, b.log_path.read_text()[-3000:]
        for replica in (a, b):
            await assert_no_rbac_refusal(kube, replica.log_path, namespace, sa, None)
