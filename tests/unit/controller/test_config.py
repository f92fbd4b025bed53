import pytest

from controller.config import ConfigError, load


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
    ],
)
def test_bad_values_name_the_variable(env, name):
    with pytest.raises(ConfigError) as info:
        load({}, env)
    assert str(info.value).startswith(name)


def test_bad_flag_names_the_flag():
    with pytest.raises(ConfigError, match="^--workers"):
        load({"workers": "-1"}, {})
