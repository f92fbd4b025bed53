"""Fingerprints change when anything plan would write changes, and only then."""

from dataclasses import fields, replace

import pytest

from tests.unit.translate.builders import backend, base, exact, prefix, route, rule, run
from translate.fingerprint import service_fingerprint, target_group_fingerprint
from translate.frozen import freeze


def svc_fields(svc):
    return {f.name: getattr(svc, f.name) for f in fields(svc) if f.name != "fingerprint"}


@pytest.fixture(scope="module")
def svc():
    res = run(base(route(hostnames=["a.example.com"], rules=[rule(backend("svc"), matches=[prefix("/a"), exact("/b")])])))
    return res.services[0]


def variants(svc):
    lst = svc.listeners[0]
    r0 = lst.rules[0]
    yield "name", {"name": "other-name"}
    yield "domain", {"custom_domain_name": "b.example.com"}
    yield "cert", {"certificate_arn": "arn:aws:acm:us-west-2:1:certificate/x"}
    yield "auth", {"auth_type": "AWS_IAM"}
    yield "tags", {"tags": freeze({**svc.tags, "x": "1"})}
    yield "assoc", {"associations": ()}
    yield "priority", {"listeners": (replace(lst, rules=(replace(r0, priority=99),) + lst.rules[1:]),)}
    yield "weight", {"listeners": (replace(lst, rules=(replace(r0, action=freeze({"forward": {"targetGroups": [{"targetGroupIdentifier": "t", "weight": 5}]}})),) + lst.rules[1:]),)}
    yield "fixed", {"listeners": (replace(lst, default_action=freeze({"fixedResponse": {"statusCode": 500}})),)}
    yield "rule tags", {"listeners": (replace(lst, rules=(replace(r0, tags=freeze({"a": "b"})),) + lst.rules[1:]),)}
    yield "match (rule name)", {"listeners": (replace(lst, rules=(replace(r0, name="k8s-000000000000"),) + lst.rules[1:]),)}
    yield "port", {"listeners": (replace(lst, port=8080),)}


def test_service_fingerprint_sensitive_to_every_written_field(svc):
    base_fp = service_fingerprint(svc_fields(svc))
    assert base_fp == svc.fingerprint
    seen = {base_fp}
    for label, change in variants(svc):
        fp = service_fingerprint({**svc_fields(svc), **change})
        assert fp not in seen, label
        seen.add(fp)


def test_target_group_fingerprint():
    a = target_group_fingerprint("tg", "IP", "cfg1", freeze({"k": "v"}))
    assert a == target_group_fingerprint("tg", "IP", "cfg1", freeze({"k": "v"}))
    assert len({a, target_group_fingerprint("tg2", "IP", "cfg1", freeze({"k": "v"})),
                target_group_fingerprint("tg", "IP", "cfg2", freeze({"k": "v"})),
                target_group_fingerprint("tg", "IP", "cfg1", freeze({"k": "w"}))}) == 4
