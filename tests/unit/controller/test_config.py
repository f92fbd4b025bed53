import pytest

from controller.config import Config, ConfigError, lattice_config, load, translate_config
from controller.version import __version__
from lattice.config import DEFAULT_BUCKETS, LatticeConfig
from translate import TranslateConfig


def test_defaults():
    cfg = load({}, {})
    assert cfg.workers == 16 and cfg.leader_elect and cfg.lease_duration == 15 and cfg.renew_deadline == 10
    assert cfg.retry_period == 2
    # controller-runtime's ports; the unauthenticated status/debug endpoints on loopback only
    assert cfg.endpoints() == {"metrics": ("0.0.0.0", 8080), "health": ("0.0.0.0", 8081),
                               "status": ("127.0.0.1", 8082)}
    assert cfg.controller_name == "application-networking.k8s.aws/gateway-api-controller"
    assert cfg.queue_store_kind == "sqlite"


def test_reference_variable_names_are_accepted():
    env = {
        "REGION": "eu-west-1", "CLUSTER_VPC_ID": "vpc-123", "CLUSTER_NAME": "c1", "AWS_ACCOUNT_ID": "123456789012",
        "DEFAULT_SERVICE_NETWORK": "sn", "ENABLE_SERVICE_NETWORK_OVERRIDE": "true", "LOG_LEVEL": "debug",
        "ROUTE_MAX_CONCURRENT_RECONCILES": "4", "RECONCILE_DEFAULT_RESYNC_SECONDS": "0",
        "LATTICE_ENDPOINT": "http://127.0.0.1:9999",
    }
    cfg = load({}, env)
    assert (cfg.region, cfg.cluster_vpc_id, cfg.cluster_name, cfg.aws_account_id) == ("eu-west-1", "vpc-123", "c1", "123456789012")
    assert cfg.default_service_network == "sn" and cfg.enable_service_network_override
    assert cfg.log_level == "debug" and cfg.workers == 4 and cfg.resync_seconds == 0
    assert cfg.lattice_endpoint == "http://127.0.0.1:9999"


def test_flags_beat_environment():
    cfg = load({"workers": "3", "sidecar_address": "127.0.0.1:9090"}, {"ROUTE_MAX_CONCURRENT_RECONCILES": "7"})
    assert cfg.workers == 3 and set(cfg.endpoints().values()) == {("127.0.0.1", 9090)}


def test_each_endpoint_has_its_own_address_and_0_turns_it_off():
    cfg = load({"status_address": "0.0.0.0:9000"}, {"LATTICEGW_METRICS_BIND_ADDRESS": "0",
                                                    "LATTICEGW_HEALTH_PROBE_BIND_ADDRESS": "[::1]:9001"})
    assert cfg.endpoints() == {"metrics": None, "health": ("::1", 9001), "status": ("0.0.0.0", 9000)}
    # the one-address shorthand fills only what was not given
    cfg = load({"sidecar_address": "127.0.0.1:0"}, {"LATTICEGW_STATUS_BIND_ADDRESS": "127.0.0.1:7"})
    assert cfg.endpoints()["status"] == ("127.0.0.1", 7) and cfg.endpoints()["metrics"] == ("127.0.0.1", 0)


@pytest.mark.parametrize(
    "env,name",
    [
        ({"ROUTE_MAX_CONCURRENT_RECONCILES": "zero"}, "ROUTE_MAX_CONCURRENT_RECONCILES"),
        ({"ROUTE_MAX_CONCURRENT_RECONCILES": "0"}, "ROUTE_MAX_CONCURRENT_RECONCILES"),
        ({"RECONCILE_DEFAULT_RESYNC_SECONDS": "30"}, "RECONCILE_DEFAULT_RESYNC_SECONDS"),
        ({"RECONCILE_DEFAULT_RESYNC_SECONDS": "soon"}, "RECONCILE_DEFAULT_RESYNC_SECONDS"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"AWS_ACCOUNT_ID": "12345"}, "AWS_ACCOUNT_ID"),
        ({"ENABLE_SERVICE_NETWORK_OVERRIDE": "maybe"}, "ENABLE_SERVICE_NETWORK_OVERRIDE"),
        ({"ENABLE_SERVICE_NETWORK_OVERRIDE": "true"}, "ENABLE_SERVICE_NETWORK_OVERRIDE"),
        ({"LATTICE_ENDPOINT": "vpc-lattice"}, "LATTICE_ENDPOINT"),
        ({"LATTICEGW_SIDECAR_ADDRESS": "nope"}, "LATTICEGW_SIDECAR_ADDRESS"),
        ({"LATTICEGW_METRICS_BIND_ADDRESS": "8080"}, "LATTICEGW_METRICS_BIND_ADDRESS"),
        ({"LATTICEGW_STATUS_BIND_ADDRESS": "host:port"}, "LATTICEGW_STATUS_BIND_ADDRESS"),
        ({"LATTICEGW_QUEUE_STORE": "redis"}, "LATTICEGW_QUEUE_STORE"),
        ({"LATTICEGW_LEASE_DURATION": "5"}, "LATTICEGW_LEASE_DURATION"),
        ({"LATTICEGW_QUEUE_STORE": "kube", "LATTICEGW_LEADER_ELECT": "false"}, "LATTICEGW_QUEUE_STORE"),
        ({"LATTICEGW_AWS_READ_QPS": "x"}, "LATTICEGW_AWS_READ_QPS"),
        ({"LATTICEGW_AWS_READ_QPS": "0"}, "LATTICEGW_AWS_READ_QPS"),
        ({"LATTICEGW_AWS_READ_QPS": "-1"}, "LATTICEGW_AWS_READ_QPS"),
        ({"LATTICEGW_AWS_POOL": "many"}, "LATTICEGW_AWS_POOL"),
        ({"LATTICEGW_TAGGING_ENDPOINT": "tagging"}, "LATTICEGW_TAGGING_ENDPOINT"),
        ({"DISABLE_TAGGING_SERVICE_API": "please"}, "DISABLE_TAGGING_SERVICE_API"),
    ],
)
def test_bad_values_name_the_variable(env, name):
    with pytest.raises(ConfigError) as info:
        load({}, env)
    assert str(info.value).startswith(name)


def test_bad_flag_names_the_flag():
    with pytest.raises(ConfigError, match="^--workers"):
        load({"workers": "-1"}, {})


# ------------------------------------------------------------------ the AWS client's settings
def test_lattice_defaults_and_environment():
    assert lattice_config(load({}, {})) == LatticeConfig(max_pool_connections=32, user_agent=f"latticegw/{__version__}")
    cfg = lattice_config(load({}, {"REGION": "eu-west-1", "LATTICE_ENDPOINT": "http://127.0.0.1:9",
                                   "LATTICEGW_AWS_WRITE_QPS": "3", "LATTICEGW_AWS_MAX_ATTEMPTS": "2",
                                   "LATTICEGW_AWS_POOL": "64"}))
    assert cfg.region == "eu-west-1" and cfg.endpoint_url == "http://127.0.0.1:9"
    assert cfg.buckets["write"].rate == 3 and cfg.buckets["write"].burst == DEFAULT_BUCKETS["write"].burst
    assert cfg.buckets["read"] == DEFAULT_BUCKETS["read"]
    assert cfg.max_attempts == 2 and cfg.max_pool_connections == 64


def test_lattice_knobs_come_from_the_environment():
    env = {"LATTICEGW_AWS_WRITE_QPS": "3", "LATTICEGW_AWS_MAX_ATTEMPTS": "2",
           "DISABLE_TAGGING_SERVICE_API": "true",  # the reference's name (private clusters)
           "REGION": "eu-west-1", "ROUTE_MAX_CONCURRENT_RECONCILES": "40"}
    cfg = lattice_config(load({}, env))
    assert cfg.buckets["write"].rate == 3
    assert cfg.max_attempts == 2
    assert cfg.use_tagging_api is False
    assert cfg.region == "eu-west-1"
    assert cfg.endpoint_url is None
    assert cfg.max_pool_connections == 80  # one per worker and room for its parallel ops


def test_lattice_defaults_and_explicit_pool():
    cfg = lattice_config(load({}, {"LATTICEGW_AWS_POOL": "7", "ROUTE_MAX_CONCURRENT_RECONCILES": "4",
                                   "LATTICE_ENDPOINT": "http://127.0.0.1:9"}))
    assert cfg.max_pool_connections == 7
    assert cfg.endpoint_url == "http://127.0.0.1:9"
    assert cfg.buckets["write"] == DEFAULT_BUCKETS["write"]


def test_tagging_api_from_the_environment():
    assert lattice_config(load({}, {"DISABLE_TAGGING_SERVICE_API": "true"})).use_tagging_api is False
    emulator = lattice_config(load({}, {"LATTICE_ENDPOINT": "http://127.0.0.1:1",
                                        "LATTICEGW_TAGGING_ENDPOINT": "http://127.0.0.1:1"}))
    assert emulator.use_tagging_api is True and emulator.tagging_endpoint_url == "http://127.0.0.1:1"
    assert lattice_config(load({}, {"LATTICEGW_TAGGING_ENDPOINT": "http://127.0.0.1:1",
                                    "DISABLE_TAGGING_SERVICE_API": "true"})).use_tagging_api is False
    assert lattice_config(load({}, {"LATTICE_ENDPOINT": "http://127.0.0.1:1"})).use_tagging_api is False
    assert lattice_config(load({}, {})).use_tagging_api is True  # real AWS


def test_acm_endpoint():
    assert lattice_config(load({}, {"LATTICE_ENDPOINT": "http://127.0.0.1:1"})).use_acm is False
    acm = lattice_config(load({}, {"LATTICE_ENDPOINT": "http://127.0.0.1:1", "LATTICEGW_ACM_ENDPOINT": "http://a:1"}))
    assert acm.use_acm and acm.acm_endpoint_url == "http://a:1"


# ------------------------------------------------------------------ one loader, read once
def test_load_reads_only_the_mapping_it_is_given(monkeypatch):
    """The environment is an argument: `load` never looks at os.environ behind its caller's back."""
    monkeypatch.setenv("ROUTE_MAX_CONCURRENT_RECONCILES", "3")
    monkeypatch.setenv("LATTICEGW_AWS_POOL", "5")
    cfg = load({}, {})
    assert cfg.workers == 16 and cfg.aws_pool is None
    assert lattice_config(cfg).max_pool_connections == 32
    assert load().workers == 16  # no environment given: none read


def test_translate_config_is_the_configs_identity():
    cfg = Config(region="eu-west-1", aws_account_id="111122223333", cluster_name="prod",
                 cluster_vpc_id="vpc-0123456789abcdef0", default_service_network="sn",
                 enable_service_network_override=True, controller_name="example.com/gw")
    tc = translate_config(cfg)
    assert (tc.region, tc.account_id, tc.cluster_name, tc.vpc_id) == (
        "eu-west-1", "111122223333", "prod", "vpc-0123456789abcdef0")
    assert tc.default_service_network == "sn" and tc.service_network_override
    assert tc.controller_name == "example.com/gw"


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"CLUSTER_NAME": "c1", "CLUSTER_VPC_ID": "vpc-1", "AWS_ACCOUNT_ID": "111122223333", "REGION": "eu-west-1",
          "DEFAULT_SERVICE_NETWORK": "sn", "ENABLE_SERVICE_NETWORK_OVERRIDE": "True"},
         TranslateConfig(cluster_name="c1", vpc_id="vpc-1", account_id="111122223333", region="eu-west-1",
                         default_service_network="sn", service_network_override=True)),
        # (no placeholder identity any more: an empty environment is refused, naming what is missing)
        ({}, "REGION, AWS_ACCOUNT_ID, CLUSTER_NAME, CLUSTER_VPC_ID"),
        ({"ENABLE_SERVICE_NETWORK_OVERRIDE": "yes"}, "ENABLE_SERVICE_NETWORK_OVERRIDE"),
    ],
)
def test_translate_config_from_the_aws_controllers_environment(env, expected):
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=expected):
            translate_config(load({}, env))
        return
    assert translate_config(load({}, env)) == expected
    assert translate_config(load({}, env)).managed_by == f"{expected.account_id}/{expected.cluster_name}/{expected.vpc_id}"
