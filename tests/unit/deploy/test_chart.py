"""The Helm chart, rendered and linted by the real (pinned) helm: HA Deployment, least-privilege
RBAC derived from what the code does, the CRDs the code expects, and the documented knobs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controller import config
from controller.annotations import ANNOTATED_KINDS
from controller.kube.discovery import AWS_GROUP, WANTED
from controller.queue.store_kube import KubeQueueStore
from controller.reconcilers.dns_endpoints import GROUP_VERSION as DNS_GROUP_VERSION
from controller.reconcilers.finalizers import AWS_FINALIZERS, FINALIZERS
from translate.snapshot import KNOWN_KINDS

from .helm import CHART, CI_VALUES, ROOT, by_kind, helm, one, render

GATEWAY_GROUP = "gateway.networking.k8s.io"
PLURALS = {"Service": "services", "Namespace": "namespaces", "Secret": "secrets", "EndpointSlice": "endpointslices",
           "GatewayClass": "gatewayclasses", "Gateway": "gateways", "HTTPRoute": "httproutes",
           "GRPCRoute": "grpcroutes", "TLSRoute": "tlsroutes", "ReferenceGrant": "referencegrants"}

# The first helm use builds it when ~/.cache/latticegw has none (minutes; `make test` builds it first).
pytestmark = pytest.mark.timeout(1500)


DNS_GROUP = DNS_GROUP_VERSION.split("/")[0]


def aws_plurals() -> dict[str, str]:
    out = {}
    for path in (ROOT / "deploy" / "crds").glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        out[crd["spec"]["names"]["kind"]] = crd["spec"]["names"]["plural"]
    return out


def allows(rules: list[dict], group: str, resource: str, verb: str, name: str | None = None) -> bool:
    for r in rules:
        if group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"]:
            if not r.get("resourceNames") or (name is not None and name in r["resourceNames"]):
                return True
    return False


def test_lint_strict():
    for extra in ([], ["--set", "metrics.serviceMonitor.enabled=true", "--set", "replicaCount=1",
                       "--set", "podDisruptionBudget.enabled=false"]):
        res = helm("lint", "--strict", str(CHART), "-f", str(CI_VALUES), *extra)
        assert res.returncode == 0, res.stdout + res.stderr


def test_renders_the_ha_pod_set():
    docs = render()
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == sorted(["CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                            "Role", "RoleBinding", "Deployment", "PodDisruptionBudget", "Service", "GatewayClass",
                            "MutatingWebhookConfiguration", "Secret"])
    dep = one(docs, "Deployment")
    spec = dep["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    assert pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["runAsNonRoot"] is True
    assert sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert c["args"] == ["run"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
    assert [m["mountPath"] for m in c["volumeMounts"]] == ["/tmp"]
    assert pod["volumes"][0]["emptyDir"] is not None
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["LATTICEGW_LEADER_ELECT"] == "true" and env["LATTICEGW_QUEUE_STORE"] == "kube"
    assert "POD_NAME" in env and "POD_NAMESPACE" in env
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    port = c["ports"][0]
    # controller-runtime's layout: metrics :8080 and probes :8081 on the pod IP; the status page
    # and debug endpoints (unauthenticated) on loopback only, with no container port.
    assert ports == {"http-metrics": 8080, "health": 8081, "webhook": 9443}
    assert env["LATTICEGW_METRICS_BIND_ADDRESS"] == "0.0.0.0:8080"
    assert env["LATTICEGW_HEALTH_PROBE_BIND_ADDRESS"] == "0.0.0.0:8081"
    assert env["LATTICEGW_STATUS_BIND_ADDRESS"] == "127.0.0.1:8082"
    assert "LATTICEGW_SIDECAR_ADDRESS" not in env
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-metrics"))
    assert svc["spec"]["ports"][0]["targetPort"] == "http-metrics" == port["name"]


def test_every_env_var_the_chart_sets_is_one_the_controller_reads():
    docs = render({"aws.latticeEndpoint": "https://lattice.example", "tracing.otlpEndpoint": "http://otel:4318",
                   "aws.disableTaggingServiceApi": True})
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    known = {e for _, names, _ in config.ENV for e in names} | {
        "OTEL_EXPORTER_OTLP_ENDPOINT", "DISABLE_TAGGING_SERVICE_API"}
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert set(env) <= known, sorted(set(env) - known)
    # The values parse: the rendered environment is a valid configuration.
    plain = {k: v for k, v in env.items() if v is not None}
    cfg = config.load({}, plain)
    assert config.lattice_config(cfg).tagging_api is False  # aws.disableTaggingServiceApi
    assert cfg.leader_elect and cfg.queue_store == "kube" and cfg.workers == 16
    assert cfg.lease_name == config.Config().lease_name
    assert cfg.controller_name == config.DEFAULT_CONTROLLER_NAME
    assert cfg.endpoints() == {"metrics": ("0.0.0.0", 8080), "health": ("0.0.0.0", 8081),
                               "status": ("127.0.0.1", 8082)}


def test_cluster_role_is_least_privilege_and_covers_what_the_code_does():
    docs = render()
    rules = one(docs, "ClusterRole")["rules"]
    for r in rules:
        assert "*" not in r["verbs"] and "*" not in r["resources"] and "*" not in r["apiGroups"]
        assert not {"delete", "deletecollection", "escalate", "bind", "impersonate"} & set(r["verbs"])
    resources = {res for r in rules for res in r["resources"]}
    assert not {"configmaps", "leases"} & resources
    # Pods: only get (a gated pod) and the patch of its status (the readiness gate's condition)
    assert [r["verbs"] for r in rules if "pods" in r["resources"]] == [["get"]]
    assert [r["verbs"] for r in rules if "pods/status" in r["resources"]] == [["patch"]]
    # Secrets: read only (listener certificates), never written
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in rules if "secrets" in r["resources"])
    # informers: list + watch on every kind discovery asks for
    plurals = {**PLURALS, **aws_plurals()}
    for group, kinds in WANTED.items():
        for kind in (kinds or [k for k in aws_plurals() if group == AWS_GROUP]):
            for verb in ("get", "list", "watch"):
                assert allows(rules, group, plurals[kind], verb), (group, kind, verb)
    # status: merge patches on /status of every kind translate reports on
    for kind in ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute"):
        assert allows(rules, GATEWAY_GROUP, plurals[kind] + "/status", "patch")
    for kind, plural in aws_plurals().items():
        assert kind in KNOWN_KINDS
        assert allows(rules, AWS_GROUP, plural + "/status", "patch")
    # metadata patches (finalizers, annotations): exactly the kinds that carry our finalizers or our
    # output annotations. A new finalizer or annotated kind in the code fails here until the chart allows it.
    patchable = {(r_group, res) for r in rules for r_group in r["apiGroups"] for res in r["resources"]
                 if "patch" in r["verbs"] and "/" not in res and r_group not in ("events.k8s.io", DNS_GROUP)}
    wanted = {("" if kind == "Service" else AWS_GROUP if kind in aws_plurals() else GATEWAY_GROUP, plurals[kind])
              for kind in set(FINALIZERS) | set(AWS_FINALIZERS) | ANNOTATED_KINDS}
    assert patchable == wanted
    assert allows(rules, "events.k8s.io", "events", "create") and allows(rules, "events.k8s.io", "events", "patch")
    # ExternalDNS: the route reconciler reads, creates and merge-patches DNSEndpoints, never deletes them
    for verb in ("get", "create", "patch"):
        assert allows(rules, DNS_GROUP, "dnsendpoints", verb)
    # read-only on what users own and we only read (Services: patch only, to drop a legacy finalizer)
    for group, res in (("", "services"), ("discovery.k8s.io", "endpointslices"), ("", "namespaces"),
                       (GATEWAY_GROUP, "referencegrants")):
        for verb in ("create", "update") + (() if res == "services" else ("patch",)):
            assert not allows(rules, group, res, verb), (res, verb)


def test_role_grants_the_lease_and_queue_configmaps_by_name():
    res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), "--set", "queue.shards=65")
    assert res.returncode != 0 and "maxShards" in res.stderr
    for shards in (16, 4):
        docs = render({"queue.shards": shards})
        role = one(docs, "Role")
        assert role["metadata"]["namespace"] == "latticegw-system"
        rules = role["rules"]
        lease = config.Config().lease_name
        for verb in ("get", "update"):
            assert allows(rules, "coordination.k8s.io", "leases", verb, lease)
            assert not allows(rules, "coordination.k8s.io", "leases", verb, "someone-elses-lease")
        assert allows(rules, "coordination.k8s.io", "leases", "create")
        # every shard name, and the ones beyond a lowered shard count the store empties (up to maxShards)
        store = KubeQueueStore(None, "latticegw-system", shards=64)
        for i in range(64):
            for verb in ("get", "update"):
                assert allows(rules, "", "configmaps", verb, store.name(i))
        assert not allows(rules, "", "configmaps", "update", "latticegw-queue-64")
        assert not allows(rules, "", "configmaps", "get", "aws-auth")
        assert allows(rules, "", "configmaps", "list") and allows(rules, "", "configmaps", "create")
        for r in rules:
            assert "*" not in r["verbs"] and "delete" not in r["verbs"]
        binding = one(docs, "RoleBinding")
        sa = one(docs, "ServiceAccount")["metadata"]["name"]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": "latticegw-system"}]
        assert one(docs, "ClusterRoleBinding")["subjects"] == binding["subjects"]


def test_service_account_annotation_for_irsa():
    arn = "arn:aws:iam::123456789012:role/latticegw"
    docs = render({"serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn": arn})
    assert one(docs, "ServiceAccount")["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": arn}
    docs = render({"serviceAccount.create": False, "serviceAccount.name": "existing"})
    assert not by_kind(docs, "ServiceAccount")
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "existing"


def test_chart_crds_are_the_ones_the_code_expects():
    docs = render()
    rendered = {d["metadata"]["name"]: d for d in by_kind(docs, "CustomResourceDefinition")}
    shipped = {}
    for path in (ROOT / "deploy" / "crds").glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        shipped[crd["metadata"]["name"]] = crd
    assert rendered == shipped
    kinds = {c["spec"]["names"]["kind"] for c in rendered.values()}
    assert kinds == {k for k in KNOWN_KINDS if k in {
        "TargetGroupPolicy", "VpcAssociationPolicy", "AccessLogPolicy", "IAMAuthPolicy", "ServiceNetwork",
        "ServiceExport", "ServiceImport"}}


def test_gateway_class_service_monitor_and_toggles():
    docs = render()
    gc = one(docs, "GatewayClass")
    assert gc["metadata"]["name"] == "amazon-vpc-lattice"
    assert gc["spec"]["controllerName"] == config.DEFAULT_CONTROLLER_NAME
    docs = render({"metrics.serviceMonitor.enabled": True, "gatewayClass.create": False,
                   "podDisruptionBudget.enabled": False, "rbac.create": False})
    sm = one(docs, "ServiceMonitor")
    assert sm["spec"]["endpoints"][0]["port"] == "http-metrics"
    # aws_api_* keep their own `service` label (AWS SDK service id) over the operator's target label
    assert sm["spec"]["endpoints"][0]["honorLabels"] is True
    for kind in ("GatewayClass", "PodDisruptionBudget", "ClusterRole", "Role"):
        assert not by_kind(docs, kind)
    docs = render({"image.digest": "sha256:" + "a" * 64})
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert c["image"].endswith("@sha256:" + "a" * 64)


def test_image_tag_defaults_to_the_app_version():
    from controller.version import __version__

    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__
    (c,) = one(render(), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert c["image"].endswith(":" + __version__)
    assert Path(CHART / "crds").is_dir()


def test_values_schema_rejects_typos_and_bad_values():
    for args, needle in (
        (["--set", "replicaCont=2"], "replicaCont"),
        (["--set", "replicaCount=0"], "replicaCount"),
        (["--set", "resyncSeconds=30"], "resyncSeconds"),
        (["--set-string", "aws.accountId=12345"], "accountId"),
        (["--set", "logLevel=verbose"], "logLevel"),
    ):
        res = helm("template", "x", str(CHART), "-f", str(CI_VALUES), *args)
        assert res.returncode != 0 and needle in res.stderr, (args, res.stderr)
    # the ownership identity left empty: rendered empty, so the controller discovers it at start
    docs = render({"aws.region": "", "aws.accountId": "", "aws.clusterVpcId": "", "aws.clusterName": ""})
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert [env[k] for k in ("REGION", "AWS_ACCOUNT_ID", "CLUSTER_VPC_ID", "CLUSTER_NAME")] == ["", "", "", ""]
    cfg = config.load({}, {k: v for k, v in env.items() if v is not None})
    assert not (cfg.region or cfg.aws_account_id or cfg.cluster_vpc_id or cfg.cluster_name)
    assert render({"resyncSeconds": 0, "logLevel": "debug"})


def test_chart_packages_for_an_oci_registry(tmp_path):
    import tarfile

    res = helm("package", str(CHART), "--destination", str(tmp_path))
    assert res.returncode == 0, res.stderr
    (tgz,) = tmp_path.glob("latticegw-*.tgz")
    with tarfile.open(tgz) as tar:
        names = tar.getnames()
    assert sum(n.startswith("latticegw/crds/") for n in names) == 7
    assert "latticegw/values.schema.json" in names and "latticegw/templates/deployment.yaml" in names
    assert not any(n.startswith("latticegw/ci/") for n in names)


def test_rbac_reference_page_matches_the_rendered_roles():
    text = (ROOT / "docs" / "reference" / "rbac.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 3:
            for res in cells[1].replace("`", "").split(", "):
                rows.setdefault(res.strip(), set()).update(v.strip() for v in cells[2].split(","))
    docs = render()
    for role in ("ClusterRole", "Role"):
        for rule in one(docs, role)["rules"]:
            for res in rule["resources"]:
                if res.endswith("/status") and res not in rows:
                    res = ".../status of all seven" if res.split("/")[0] in aws_plurals().values() else res
                assert res in rows, f"{role} resource {res} is not in docs/reference/rbac.md"
                assert set(rule["verbs"]) <= rows[res], (role, res, rule["verbs"], rows[res])


def test_webhook_is_served_by_every_replica_with_a_certificate_latticegw_keeps():
    from controller.reconcilers.readiness_gates import GATE
    from controller.webhook.inject import NAMESPACE_LABEL

    docs = render()
    hook = one(docs, "MutatingWebhookConfiguration")
    (w,) = hook["webhooks"]
    svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-webhook"))
    dep = one(docs, "Deployment")
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    # every replica: the Service selects the Deployment's pods, no leader-only label
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert w["clientConfig"]["service"] == {"name": svc["metadata"]["name"], "namespace": svc["metadata"]["namespace"],
                                            "path": "/mutate-pod", "port": 443}
    assert {p["name"]: p["containerPort"] for p in c["ports"]}["webhook"] == 9443
    assert env["LATTICEGW_WEBHOOK_ADDRESS"] == "0.0.0.0:9443"
    assert env["LATTICEGW_WEBHOOK_CONFIGURATION"] == hook["metadata"]["name"]
    # the AWS controller's opt-in label, pod CREATE only, Fail, never our own pods
    assert w["namespaceSelector"]["matchExpressions"] == [{"key": NAMESPACE_LABEL, "operator": "In",
                                                           "values": ["enabled"]}]
    assert w["rules"][0]["operations"] == ["CREATE"] and w["rules"][0]["resources"] == ["pods"]
    assert (w["failurePolicy"], w["timeoutSeconds"], w["sideEffects"]) == ("Fail", 10, "None")
    assert dep["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] in \
        w["objectSelector"]["matchExpressions"][0]["values"]
    assert GATE.startswith("application-networking.k8s.aws/")
    # self-managed certificate: a Secret latticegw fills; RBAC for exactly it and the configuration
    secret = one(docs, "Secret")
    assert env["LATTICEGW_WEBHOOK_SECRET"] == secret["metadata"]["name"] and secret["type"] == "kubernetes.io/tls"
    role = one(docs, "Role")["rules"]
    assert {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [secret["metadata"]["name"]],
            "verbs": ["get", "update"]} in role
    cluster = one(docs, "ClusterRole")["rules"]
    assert {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"],
            "resourceNames": [hook["metadata"]["name"]], "verbs": ["get", "update"]} in cluster


def test_webhook_with_cert_manager_and_without_the_webhook():
    docs = render({"webhook.certManager.enabled": True})
    kinds = {d["kind"] for d in docs}
    assert {"Issuer", "Certificate"} <= kinds and "Secret" not in kinds
    hook = one(docs, "MutatingWebhookConfiguration")
    cert = one(docs, "Certificate")
    assert hook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].endswith("/" + cert["metadata"]["name"])
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "LATTICEGW_WEBHOOK_CERT_DIR", "value": "/etc/webhook-cert"} in c["env"]
    assert not [r for r in one(docs, "Role")["rules"] if "secrets" in r["resources"]]
    off = render({"webhook.enabled": False})
    assert not {"MutatingWebhookConfiguration", "Secret"} & {d["kind"] for d in off}
    (c,) = one(off, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert not [e for e in c["env"] if e["name"].startswith("LATTICEGW_WEBHOOK")]


def test_the_lease_can_be_the_aws_controllers():
    """During a migration latticegw and the AWS controller share one Lease (its name and namespace),
    so the two can never both lead; the Role for it is created in that namespace."""
    ns, name = "aws-application-networking-system", "amazon-vpc-lattice.io"
    docs = render({"leaderElection.leaseNamespace": ns, "leaderElection.leaseName": name})
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    cfg = config.load({}, {k: v for k, v in env.items() if v is not None})
    assert (cfg.lease_namespace, cfg.lease_name) == (ns, name)
    roles = {r["metadata"]["namespace"]: r for r in by_kind(docs, "Role")}
    assert allows(roles[ns]["rules"], "coordination.k8s.io", "leases", "update", name)
    assert allows(roles[ns]["rules"], "coordination.k8s.io", "leases", "create")
    assert not allows(roles["latticegw-system"]["rules"], "coordination.k8s.io", "leases", "update", name)
    (binding,) = [b for b in by_kind(docs, "RoleBinding") if b["metadata"]["namespace"] == ns]
    assert binding["roleRef"]["name"] == roles[ns]["metadata"]["name"]
    assert binding["subjects"][0]["namespace"] == "latticegw-system"
    # the default: the release namespace, one Role
    (c,) = one(render(), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e.get("value") for e in c["env"]}["LATTICEGW_LEASE_NAMESPACE"] == "latticegw-system"
