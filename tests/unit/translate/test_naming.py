import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translate import naming

K8S_NAME = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,60}[a-z0-9])?", fullmatch=True)
K8S_NS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?", fullmatch=True)


@pytest.mark.parametrize(
    "route,ns,expected",
    [
        ("rates", "default", "rates-default"),  # the AWS controller's form, kept for adoption
        ("inventory", "default", "inventory-default"),
        ("a" * 20, "b" * 18, "a" * 20 + "-" + "b" * 18),  # exactly at the limits: still lossless
    ],
)
def test_service_name_reference_form(route, ns, expected):
    assert naming.service_name(route, ns) == expected


@pytest.mark.parametrize(
    "route,ns",
    [
        ("a" * 21, "default"),  # truncated
        ("my.route", "default"),  # dot rewritten
        ("route", "n" * 19),
        ("svc-payments", "default"),  # forbidden prefix
    ],
)
def test_service_name_hashed_when_lossy(route, ns):
    name = naming.service_name(route, ns)
    assert naming.is_valid("service", name), name
    assert name[-8:] == naming.short_hash(ns, route)


def test_truncation_collisions_are_separated():
    a = naming.service_name("x" * 20 + "-one", "default")
    b = naming.service_name("x" * 20 + "-two", "default")
    assert a != b
    assert naming.service_name("my.route", "ns") != naming.service_name("my-route", "ns")


def test_names_are_stable_across_releases():
    # Pinned values: changing them renames live Lattice resources.
    assert naming.service_name("svc-payments", "default") == "k8s-svc-payments-default-906ab00b"
    assert naming.rule_name('{"httpMatch":{}}') == "k8s-" + naming.short_hash('{"httpMatch":{}}', n=12)
    assert naming.listener_name("rates", "default", 80, "HTTP") == "rates-default-80-http"
    from translate import matches

    m, _ = matches.http_match({"path": {"type": "PathPrefix", "value": "/parking"}})
    assert naming.rule_name(matches.match_key(m)) == "k8s-9724eaf2c642"
    assert naming.target_group_name(
        cluster="c", vpc="vpc-1", source_kind="HTTPRoute", source_namespace="default", source_name="rates",
        service_namespace="default", service_name="parking", port=80, protocol="HTTP", protocol_version="HTTP1",
        ip_address_type="IPV4") == "k8s-default-parking-rates-b6cf1e17d6"
    assert naming.replacement_service_name("rates-default", "a.example.com") == "rates-default-56cdb515"


def test_listener_prefix():
    n = naming.listener_name("listener-a", "default", 443, "HTTPS")
    assert naming.is_valid("listener", n) and n.startswith("k8s-")


@settings(max_examples=150, deadline=None)
@given(route=K8S_NAME, ns=K8S_NS, port=st.integers(1, 65535), proto=st.sampled_from(["HTTP", "HTTPS", "TLS_PASSTHROUGH"]))
def test_generated_names_always_valid(route, ns, port, proto):
    assert naming.is_valid("service", naming.service_name(route, ns))
    assert naming.is_valid("listener", naming.listener_name(route, ns, port, proto))
    tg = naming.target_group_name(cluster="c", vpc="vpc-1", source_kind="HTTPRoute", source_namespace=ns,
                                  source_name=route, service_namespace=ns, service_name=route, port=port,
                                  protocol="HTTP", protocol_version="HTTP1", ip_address_type="IPV4")
    assert naming.is_valid("targetgroup", tg), tg
    assert naming.is_valid("rule", naming.rule_name(route))


@settings(max_examples=100, deadline=None)
@given(a=st.tuples(K8S_NAME, K8S_NS), b=st.tuples(K8S_NAME, K8S_NS))
def test_lossy_names_do_not_collide(a, b):
    # Distinct sources only share a name if both are in the reference form (which the AWS
    # controller shares, and which translate reports as Conflicted).
    if a != b:
        na, nb = naming.service_name(*a), naming.service_name(*b)
        lossless_a = naming.service_base(*a)[1] and not na.startswith("k8s-")
        lossless_b = naming.service_base(*b)[1] and not nb.startswith("k8s-")
        if not (lossless_a and lossless_b):
            assert na != nb


def test_target_group_name_changes_with_immutable_config():
    kw = dict(cluster="c", vpc="vpc-1", source_kind="HTTPRoute", source_namespace="ns", source_name="r",
              service_namespace="ns", service_name="s", port=80, protocol_version="HTTP1", ip_address_type="IPV4")
    assert naming.target_group_name(protocol="HTTP", **kw) != naming.target_group_name(protocol="HTTPS", **kw)
    assert naming.target_group_name(protocol="HTTP", **kw) == naming.target_group_name(protocol="HTTP", **kw)
