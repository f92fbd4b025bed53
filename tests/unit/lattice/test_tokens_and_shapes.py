"""clientTokens, normalized shapes and the tag → Kubernetes source mapping."""

from __future__ import annotations

import re

from lattice import normalize
from lattice.apply import client_token
from lattice.inventory import service_source, target_group_source
from translate.model import Source
from translate.tags import ROUTE_NAME, ROUTE_NAMESPACE, ROUTE_TYPE, SERVICE_NAME, SERVICE_NAMESPACE, SOURCE_TYPE


def test_client_token_is_deterministic_bounded_and_sensitive():
    a = client_token("CreateService", ("svc", "x"), "fp1", {"name": "x"})
    assert a == client_token("CreateService", ("svc", "x"), "fp1", {"name": "x"})
    assert len(a) <= 64 and re.fullmatch(r"[!-~]+", a)
    others = {
        client_token("CreateService", ("svc", "y"), "fp1", {"name": "x"}),
        client_token("CreateService", ("svc", "x"), "fp2", {"name": "x"}),
        client_token("CreateService", ("svc", "x"), "fp1", {"name": "x", "authType": "AWS_IAM"}),
        client_token("CreateService", ("svc", "x"), "fp1", {"name": "x"}, salt="svc-0123"),
        client_token("CreateTargetGroup", ("svc", "x"), "fp1", {"name": "x"}),
    }
    assert a not in others and len(others) == 5


def test_normalize_match_fills_lattice_defaults():
    bare = {"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}},
                          "headerMatches": [{"name": "x", "match": {"exact": "1"}}]}}
    echoed = {"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}, "caseSensitive": True},
                            "headerMatches": [{"name": "x", "match": {"exact": "1"}, "caseSensitive": False}]}}
    assert normalize.match(bare) == normalize.match(echoed)
    assert normalize.match(bare) != normalize.match({"httpMatch": {"pathMatch": {"match": {"prefix": "/b"}}}})


def test_normalize_action_maps_ids_to_names_and_orders_targets():
    names = {"tg-1": "a", "tg-2": "b"}
    observed = {"forward": {"targetGroups": [{"targetGroupIdentifier": "tg-2", "weight": 75},
                                             {"targetGroupIdentifier": "tg-1", "weight": 25}]}}
    desired = {"forward": {"targetGroups": [{"targetGroupIdentifier": "a", "weight": 25},
                                            {"targetGroupIdentifier": "b", "weight": 75}]}}
    assert normalize.action(observed, names.get) == normalize.action(desired)
    single = {"forward": {"targetGroups": [{"targetGroupIdentifier": "tg-1"}]}}
    assert normalize.action(single, names.get) == normalize.action(
        {"forward": {"targetGroups": [{"targetGroupIdentifier": "a", "weight": 100}]}})
    assert normalize.action({"fixedResponse": {"statusCode": 404}}) == {"fixedResponse": {"statusCode": 404}}


def test_health_check_compares_only_what_we_set():
    observed = dict(normalize.HEALTH_DEFAULTS, port=8080)
    assert not normalize.health_check_differs({"path": "/", "enabled": True}, observed)
    assert normalize.health_check_differs({"path": "/hz"}, observed)
    assert normalize.health_check_differs({"healthCheckIntervalSeconds": 10}, {})


def test_sources_from_tags():
    assert service_source({ROUTE_TYPE: "grpc", ROUTE_NAME: "r", ROUTE_NAMESPACE: "ns"}) == Source("GRPCRoute", "ns", "r")
    assert service_source({ROUTE_NAME: "r"}) is None
    assert target_group_source({SOURCE_TYPE: "HTTPRoute", ROUTE_NAME: "r", ROUTE_NAMESPACE: "ns"}) == \
        Source("HTTPRoute", "ns", "r")
    assert target_group_source({SOURCE_TYPE: "ServiceExport", SERVICE_NAME: "s", SERVICE_NAMESPACE: "ns"}) == \
        Source("ServiceExport", "ns", "s")
    assert target_group_source({}) is None
