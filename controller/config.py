"""Configuration: the one place settings are read. Flags, then environment, then defaults.

The reference controller's variable names are accepted as they are (REGION,
CLUSTER_VPC_ID, CLUSTER_NAME, AWS_ACCOUNT_ID, DEFAULT_SERVICE_NETWORK,
ENABLE_SERVICE_NETWORK_OVERRIDE, LOG_LEVEL, ROUTE_MAX_CONCURRENT_RECONCILES,
RECONCILE_DEFAULT_RESYNC_SECONDS, LATTICE_ENDPOINT, DISABLE_TAGGING_SERVICE_API)
so a user can swap controllers without touching the Deployment; our own knobs
are LATTICEGW_*.

`load(flags, environ)` is a pure function that builds the `Config` once, at
start-up; `translate_config(cfg)` and `lattice_config(cfg)` derive the settings
of the translation and of the AWS client from it (pure too), and the runtime
passes those down. Nothing reads the environment after start. A bad value raises
`ConfigError` naming the variable or flag, which `latticegw run` prints and
turns into exit code 2 before anything starts. docs/reference/configuration.md
lists every variable of `ENV` (tests/unit/test_docs_reference.py keeps it so).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from controller.version import __version__
from lattice.config import DEFAULT_BUCKETS, BucketSpec, LatticeConfig
from translate import TranslateConfig
from translate.config import owners
from translate.model import DEFAULT_CONTROLLER_NAME

_LATTICE = LatticeConfig()
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the variable."""


@dataclass(frozen=True)
class Config:
    # --- the reference controller's settings (names kept for drop-in use)
    region: str = ""
    cluster_vpc_id: str = ""
    cluster_name: str = ""
    aws_account_id: str = ""
    default_service_network: str = ""
    enable_service_network_override: bool = False
    log_level: str = "info"
    workers: int = 16  # ROUTE_MAX_CONCURRENT_RECONCILES; the reference defaults to 1
    resync_seconds: float = 600.0  # RECONCILE_DEFAULT_RESYNC_SECONDS; 0 = no drift resync
    lattice_endpoint: str = ""
    # Where REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID and CLUSTER_NAME come from when unset (the SDKs'
    # variable names): the instance metadata service, and EC2 for the cluster-name tag.
    imds_endpoint: str = ""  # AWS_EC2_METADATA_SERVICE_ENDPOINT; "" = http://169.254.169.254
    imds_disabled: bool = False  # AWS_EC2_METADATA_DISABLED
    ec2_endpoint: str = ""  # AWS_ENDPOINT_URL_EC2; "" = the regional endpoint
    controller_name: str = DEFAULT_CONTROLLER_NAME
    # Previous owners (ManagedBy values, comma-separated, or "*") whose services routes may take over
    # on every Gateway (the route's allow-takeover-from annotation alone is not enough).
    allowed_takeover_from: str = ""

    # --- process and runtime
    kubeconfig: str | None = None
    kube_context: str | None = None
    namespace: str = "latticegw-system"  # where the Lease and the HA queue objects live
    identity: str = field(default_factory=lambda: socket.gethostname())
    # controller-runtime's layout: metrics :8080, health probes :8081; the status page and debug
    # endpoints on loopback (unauthenticated; reach them with kubectl port-forward). "0" = off.
    metrics_address: str = ":8080"
    health_address: str = ":8081"
    status_address: str = "127.0.0.1:8082"
    leader_elect: bool = True
    lease_name: str = "latticegw-leader"
    # Namespace of the Lease; "" = `namespace`. Set name and namespace to the AWS controller's
    # (amazon-vpc-lattice.io in aws-application-networking-system) so the two never lead at once.
    lease_namespace: str = ""
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    queue_store: str = "sqlite:latticegw-queue.sqlite3"  # sqlite:PATH | kube | memory
    queue_shards: int = 16
    queue_flush_interval: float | None = None  # default: 0.05 s for sqlite, 1 s for kube
    reconcile_timeout: float = 120.0
    shutdown_grace: float = 25.0  # below Kubernetes' default 30 s termination grace
    cache_sync_timeout: float = 120.0
    discovery_interval: float = 60.0
    queue_qps: float = 10.0
    queue_burst: int = 100
    watch_sock_read: float = 90.0
    # --- the pod readiness gate webhook (every replica serves it; "" = not served)
    webhook_address: str = ""  # HOST:PORT, e.g. 0.0.0.0:9443 (the chart's default)
    webhook_cert_dir: str = ""  # tls.crt/tls.key kept by cert-manager; empty: latticegw keeps them itself
    webhook_secret: str = "latticegw-webhook-cert"  # ... in this Secret of `namespace`
    webhook_configuration: str = "latticegw-pod-readiness-gate"  # whose caBundle latticegw then sets
    # Lattice quotas translate checks (the account's values when raised in Service Quotas)
    quota_rules_per_listener: int = 10
    quota_target_groups_per_service: int = 10
    reconcilers: str = ""  # module with register(registry, runtime); "" = controller.reconcilers

    # --- the AWS client (lattice_config): ceilings of the adaptive send rates per operation class,
    # retries, connections, and which of the Tagging API and ACM to use
    aws_read_qps: float = DEFAULT_BUCKETS["read"].rate
    aws_read_burst: float = DEFAULT_BUCKETS["read"].burst
    aws_write_qps: float = DEFAULT_BUCKETS["write"].rate
    aws_write_burst: float = DEFAULT_BUCKETS["write"].burst
    aws_tag_qps: float = DEFAULT_BUCKETS["tag"].rate
    aws_tag_burst: float = DEFAULT_BUCKETS["tag"].burst
    aws_max_attempts: int = _LATTICE.max_attempts
    aws_max_retry_wait: float = _LATTICE.max_retry_wait
    aws_pool: int | None = None  # None: max(32, 2 x workers)
    disable_tagging_service_api: bool = False  # the reference's name (private clusters)
    tagging_endpoint: str = ""
    acm_endpoint: str = ""

    @property
    def queue_store_kind(self) -> str:
        return self.queue_store.split(":", 1)[0]

    def endpoints(self) -> dict[str, tuple[str, int] | None]:
        """The sidecar's roles (metrics, health, status) -> (host, port), None when off."""
        return {role: None if raw == "0" else parse_address(role, raw) for role, raw in
                (("metrics", self.metrics_address), ("health", self.health_address), ("status", self.status_address))}


# (Config field, environment variable(s) in order of preference, parser name)
ENV: list[tuple[str, tuple[str, ...], str]] = [
    ("region", ("REGION", "AWS_REGION"), "str"),
    ("cluster_vpc_id", ("CLUSTER_VPC_ID",), "str"),
    ("cluster_name", ("CLUSTER_NAME",), "str"),
    ("aws_account_id", ("AWS_ACCOUNT_ID",), "account"),
    ("default_service_network", ("DEFAULT_SERVICE_NETWORK",), "str"),
    ("enable_service_network_override", ("ENABLE_SERVICE_NETWORK_OVERRIDE",), "bool"),
    ("log_level", ("LOG_LEVEL",), "log_level"),
    ("workers", ("ROUTE_MAX_CONCURRENT_RECONCILES", "LATTICEGW_WORKERS"), "pos_int"),
    ("resync_seconds", ("RECONCILE_DEFAULT_RESYNC_SECONDS",), "resync"),
    ("lattice_endpoint", ("LATTICE_ENDPOINT",), "url"),
    ("imds_endpoint", ("AWS_EC2_METADATA_SERVICE_ENDPOINT",), "url"),
    ("imds_disabled", ("AWS_EC2_METADATA_DISABLED",), "bool"),
    ("ec2_endpoint", ("AWS_ENDPOINT_URL_EC2",), "url"),
    ("controller_name", ("LATTICEGW_CONTROLLER_NAME",), "str"),
    ("allowed_takeover_from", ("LATTICEGW_ALLOWED_TAKEOVER_FROM",), "str"),
    ("kubeconfig", ("KUBECONFIG",), "str"),
    ("namespace", ("LATTICEGW_NAMESPACE", "POD_NAMESPACE"), "str"),
    ("identity", ("LATTICEGW_IDENTITY", "POD_NAME"), "str"),
    ("metrics_address", ("LATTICEGW_METRICS_BIND_ADDRESS",), "address"),
    ("health_address", ("LATTICEGW_HEALTH_PROBE_BIND_ADDRESS",), "address"),
    ("status_address", ("LATTICEGW_STATUS_BIND_ADDRESS",), "address"),
    ("leader_elect", ("LATTICEGW_LEADER_ELECT",), "bool"),
    ("lease_name", ("LATTICEGW_LEASE_NAME",), "str"),
    ("lease_namespace", ("LATTICEGW_LEASE_NAMESPACE",), "str"),
    ("lease_duration", ("LATTICEGW_LEASE_DURATION",), "pos_float"),
    ("renew_deadline", ("LATTICEGW_RENEW_DEADLINE",), "pos_float"),
    ("retry_period", ("LATTICEGW_RETRY_PERIOD",), "pos_float"),
    ("queue_store", ("LATTICEGW_QUEUE_STORE",), "queue_store"),
    ("queue_shards", ("LATTICEGW_QUEUE_SHARDS",), "pos_int"),
    ("queue_flush_interval", ("LATTICEGW_QUEUE_FLUSH_INTERVAL",), "pos_float"),
    ("reconcile_timeout", ("LATTICEGW_RECONCILE_TIMEOUT",), "pos_float"),
    ("shutdown_grace", ("LATTICEGW_SHUTDOWN_GRACE",), "nonneg_float"),
    ("cache_sync_timeout", ("LATTICEGW_CACHE_SYNC_TIMEOUT",), "pos_float"),
    ("discovery_interval", ("LATTICEGW_DISCOVERY_INTERVAL",), "pos_float"),
    ("queue_qps", ("LATTICEGW_QUEUE_QPS",), "nonneg_float"),
    ("queue_burst", ("LATTICEGW_QUEUE_BURST",), "pos_int"),
    ("watch_sock_read", ("LATTICEGW_WATCH_SOCK_READ",), "pos_float"),
    ("webhook_address", ("LATTICEGW_WEBHOOK_ADDRESS",), "address"),
    ("webhook_cert_dir", ("LATTICEGW_WEBHOOK_CERT_DIR",), "str"),
    ("webhook_secret", ("LATTICEGW_WEBHOOK_SECRET",), "str"),
    ("webhook_configuration", ("LATTICEGW_WEBHOOK_CONFIGURATION",), "str"),
    ("quota_rules_per_listener", ("LATTICEGW_QUOTA_RULES_PER_LISTENER",), "pos_int"),
    ("quota_target_groups_per_service", ("LATTICEGW_QUOTA_TARGET_GROUPS_PER_SERVICE",), "pos_int"),
    ("reconcilers", ("LATTICEGW_RECONCILERS",), "str"),
    ("aws_read_qps", ("LATTICEGW_AWS_READ_QPS",), "pos_float"),
    ("aws_read_burst", ("LATTICEGW_AWS_READ_BURST",), "pos_float"),
    ("aws_write_qps", ("LATTICEGW_AWS_WRITE_QPS",), "pos_float"),
    ("aws_write_burst", ("LATTICEGW_AWS_WRITE_BURST",), "pos_float"),
    ("aws_tag_qps", ("LATTICEGW_AWS_TAG_QPS",), "pos_float"),
    ("aws_tag_burst", ("LATTICEGW_AWS_TAG_BURST",), "pos_float"),
    ("aws_max_attempts", ("LATTICEGW_AWS_MAX_ATTEMPTS",), "pos_int"),
    ("aws_max_retry_wait", ("LATTICEGW_AWS_MAX_RETRY_WAIT",), "pos_float"),
    ("aws_pool", ("LATTICEGW_AWS_POOL",), "pos_int"),
    ("disable_tagging_service_api", ("DISABLE_TAGGING_SERVICE_API",), "bool"),
    ("tagging_endpoint", ("LATTICEGW_TAGGING_ENDPOINT",), "url"),
    ("acm_endpoint", ("LATTICEGW_ACM_ENDPOINT",), "url"),
]


def _parse(kind: str, name: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw  # already typed (from argparse)
    s = raw.strip()
    if kind == "str":
        return s
    if kind == "bool":
        low = s.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off", ""):
            return False
        raise ConfigError(f"{name}: want true or false, got {raw!r}")
    if kind in ("pos_int",):
        try:
            v = int(s)
        except ValueError:
            raise ConfigError(f"{name}: want a positive integer, got {raw!r}") from None
        if v < 1:
            raise ConfigError(f"{name}: want a positive integer, got {raw!r}")
        return v
    if kind in ("pos_float", "nonneg_float"):
        try:
            f = float(s)
        except ValueError:
            raise ConfigError(f"{name}: want a number, got {raw!r}") from None
        if f < 0 or (kind == "pos_float" and f == 0) or f != f:
            raise ConfigError(f"{name}: want a {'positive' if kind == 'pos_float' else 'non-negative'} number, got {raw!r}")
        return f
    if kind == "resync":
        try:
            seconds = float(s) if s else 0.0
        except ValueError:
            raise ConfigError(f"{name}: want a number of seconds (0 = off, else >= 60), got {raw!r}") from None
        if seconds != 0 and seconds < 60:
            raise ConfigError(f"{name}: want 0 (off) or at least 60 seconds, got {raw!r}")
        return seconds
    if kind == "log_level":
        low = s.lower()
        if low == "warn":
            low = "warning"
        if low not in LOG_LEVELS:
            raise ConfigError(f"{name}: want one of {', '.join(LOG_LEVELS)}, got {raw!r}")
        return low
    if kind == "account":
        if s and not (len(s) == 12 and s.isdigit()):
            raise ConfigError(f"{name}: want a 12-digit AWS account id, got {raw!r}")
        return s
    if kind == "url":
        if s and not (s.startswith("http://") or s.startswith("https://")):
            raise ConfigError(f"{name}: want an http(s) URL, got {raw!r}")
        return s
    if kind == "address":
        if s and s != "0":  # "" or "0": not served
            parse_address(name, s)
        return s
    if kind == "queue_store":
        if s in ("kube", "memory") or (s.startswith("sqlite:") and len(s) > len("sqlite:")):
            return s
        raise ConfigError(f"{name}: want sqlite:PATH, kube or memory, got {raw!r}")
    raise AssertionError(kind)


def parse_address(name: str, raw: str) -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: want HOST:PORT, got {raw!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def load(flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config. `flags` holds only flags the user gave (None values are ignored); `environ`
    is the process environment as it was at start (`latticegw run` passes `os.environ`)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = {} if environ is None else environ
    values: dict[str, Any] = {}
    for fname, env_names, kind in ENV:
        if fname in flags:
            values[fname] = _parse(kind, "--" + fname.replace("_", "-"), flags[fname])
            continue
        for env in env_names:
            if env in environ:
                values[fname] = _parse(kind, env, environ[env])
                break
    # One address for all three roles (one listener): handy for tests and a single port-forward.
    addr = flags.get("sidecar_address") or environ.get("LATTICEGW_SIDECAR_ADDRESS")
    if addr:
        src = "--sidecar-address" if flags.get("sidecar_address") else "LATTICEGW_SIDECAR_ADDRESS"
        addr = _parse("address", src, addr)
        for fname in ("metrics_address", "health_address", "status_address"):
            values.setdefault(fname, addr)
    if values.get("enable_service_network_override") and not values.get("default_service_network"):
        raise ConfigError("ENABLE_SERVICE_NETWORK_OVERRIDE: needs DEFAULT_SERVICE_NETWORK to be set")
    cfg = Config(**values)
    if cfg.lease_duration <= cfg.renew_deadline:
        raise ConfigError("LATTICEGW_LEASE_DURATION: must be greater than LATTICEGW_RENEW_DEADLINE")
    if cfg.renew_deadline <= 1.2 * cfg.retry_period:
        raise ConfigError("LATTICEGW_RENEW_DEADLINE: must be greater than 1.2 x LATTICEGW_RETRY_PERIOD")
    if cfg.queue_store_kind == "kube" and not cfg.leader_elect:
        # The HA store is fenced by the Lease; without election nothing fences it.
        raise ConfigError("LATTICEGW_QUEUE_STORE: kube needs leader election (LATTICEGW_LEADER_ELECT=true)")
    return cfg


# --- the AWS identity: discovered when unset, refused when it is a placeholder --------------------
# (Config field, variable, what the instance metadata discovery calls it)
IDENTITY = (("region", "REGION", "region"), ("aws_account_id", "AWS_ACCOUNT_ID", "account_id"),
            ("cluster_vpc_id", "CLUSTER_VPC_ID", "vpc_id"), ("cluster_name", "CLUSTER_NAME", "cluster_name"))
# Values that only ever stand for "fill me in": the rendered manifest's SET-ME, and the documentation
# examples and local-emulator defaults that would tag real resources with an owner that is not us.
PLACEHOLDERS = frozenset({"set-me", "set_me", "setme", "changeme", "change-me", "todo", "xxx", "<set-me>",
                          "123456789012", "vpc-00000000000000000", "vpc-0123456789abcdef0"})
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")
VPC_RE = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")


async def complete_identity(cfg: Config) -> Config:
    """`cfg` with the unset parts of its AWS identity discovered from EC2 instance metadata (as the
    AWS controller does), then checked: against real AWS (no LATTICE_ENDPOINT) a placeholder or
    malformed value is refused. Raises ConfigError naming the variable."""
    missing = {disc: env for field_name, env, disc in IDENTITY if not getattr(cfg, field_name)}
    if missing:
        if cfg.imds_disabled:
            raise ConfigError(f"{', '.join(missing.values())}: unset, and AWS_EC2_METADATA_DISABLED forbids "
                              "discovering them from instance metadata")
        from lattice.instance_identity import DiscoveryError, discover

        try:
            found = await discover(set(missing), imds_endpoint=cfg.imds_endpoint or None,
                                   ec2_endpoint=cfg.ec2_endpoint or None)
        except DiscoveryError as exc:
            raise ConfigError(f"{', '.join(missing.values())} unset and not discoverable: {exc}") from None
        cfg = replace(cfg, **{field_name: getattr(found, disc) for field_name, _, disc in IDENTITY if disc in missing})
    check_identity(cfg)
    return cfg


def check_identity(cfg: Config) -> None:
    """Against real AWS, refuse an identity that is a placeholder: resources would be tagged (and
    looked up) with an owner that is not this cluster. An emulator (LATTICE_ENDPOINT) takes anything."""
    if cfg.lattice_endpoint:
        return
    for field_name, env, _ in IDENTITY:
        value = getattr(cfg, field_name)
        if value.strip().lower() in PLACEHOLDERS:
            raise ConfigError(f"{env}: {value!r} is a placeholder; set the real value (or unset it to discover it "
                              "from instance metadata)")
    if not REGION_RE.match(cfg.region):
        raise ConfigError(f"REGION: {cfg.region!r} is not an AWS region")
    if not VPC_RE.match(cfg.cluster_vpc_id):
        raise ConfigError(f"CLUSTER_VPC_ID: {cfg.cluster_vpc_id!r} is not a VPC id (vpc-<8 or 17 hex digits>)")


# The AWS identity the ownership tag is made of (ManagedBy = account/cluster/vpc), and the region.
# A placeholder in any of them would tag resources with an owner that is not us.
REQUIRED_IDENTITY = (
    ("REGION", "region"), ("AWS_ACCOUNT_ID", "aws_account_id"),
    ("CLUSTER_NAME", "cluster_name"), ("CLUSTER_VPC_ID", "cluster_vpc_id"),
)


def translate_config(cfg: Config) -> TranslateConfig:
    """What the translation needs. Refuses (ConfigError) without the AWS identity."""
    missing = [env for env, name in REQUIRED_IDENTITY if not getattr(cfg, name)]
    if missing:
        raise ConfigError(
            f"{', '.join(missing)}: must be set; they make the ownership tag "
            "(application-networking.k8s.aws/ManagedBy = account/cluster/vpc) that decides which "
            "Lattice resources are ours"
        )
    return TranslateConfig(
        cluster_name=cfg.cluster_name,
        vpc_id=cfg.cluster_vpc_id,
        account_id=cfg.aws_account_id,
        region=cfg.region,
        default_service_network=cfg.default_service_network,
        service_network_override=cfg.enable_service_network_override,
        controller_name=cfg.controller_name or DEFAULT_CONTROLLER_NAME,
        allowed_takeover_from=owners(cfg.allowed_takeover_from),
        rules_per_listener=cfg.quota_rules_per_listener,
        target_groups_per_service=cfg.quota_target_groups_per_service,
    )


def lattice_config(cfg: Config) -> LatticeConfig:
    """What the AWS client needs: region and endpoints, rates, retries and connections."""
    buckets = {
        "read": BucketSpec(rate=cfg.aws_read_qps, burst=cfg.aws_read_burst),
        "write": BucketSpec(rate=cfg.aws_write_qps, burst=cfg.aws_write_burst),
        "tag": BucketSpec(rate=cfg.aws_tag_qps, burst=cfg.aws_tag_burst),
    }
    # The Tagging API: on for real AWS, off against another endpoint unless its own endpoint is
    # given (the emulator serves it); DISABLE_TAGGING_SERVICE_API wins (private clusters).
    tagging_api = None
    if cfg.tagging_endpoint:
        tagging_api = True
    if cfg.disable_tagging_service_api:
        tagging_api = False
    return LatticeConfig(
        region=cfg.region or _LATTICE.region,
        endpoint_url=cfg.lattice_endpoint or None,
        acm_endpoint_url=cfg.acm_endpoint or None,
        # Connections: one per concurrently running reconcile, plus room for its parallel ops.
        max_pool_connections=cfg.aws_pool or max(32, cfg.workers * 2),
        max_attempts=cfg.aws_max_attempts,
        max_retry_wait=cfg.aws_max_retry_wait,
        buckets=buckets,
        tagging_api=tagging_api,
        tagging_endpoint_url=cfg.tagging_endpoint or None,
        user_agent=f"latticegw/{__version__}",
    )
