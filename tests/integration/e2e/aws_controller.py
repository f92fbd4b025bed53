"""The Lattice state the AWS Gateway API Controller (v2.1.x) leaves behind, for switch tests.

Names and identities are the AWS controller's, written down here from its documented behaviour
(docs/migrating.md lists them): a service is `trunc(route,20)-trunc(ns,18)` (plain truncation,
however long the names), a listener `<service>-<port>-<http|https|tls>`, a rule
`k8s-<unix seconds when its model was built>-rule-<priority>`, a target group
`k8s-trunc(ns,55)-trunc(name,55)-<10 random letters>`; every resource carries its tags
(ManagedBy; RouteName/RouteNamespace/RouteType on services; ClusterName, ServiceName,
ServiceNamespace, SourceTypeKey, ProtocolVersion and, for a route's, RouteName/RouteNamespace on
target groups; ManagedBy on listeners, rules and associations; ManagedBy and AccessLogPolicy=<ns>/<name>
on access log subscriptions). Route TGs have port 80.

What the two controllers build for a route is the same Lattice shape (listener protocols and
defaults, rule matches and priorities, TG config and targets; tests/unit/translate/test_reference_rows.py
holds the rows), so the shapes are taken from the translation of the same objects, and only the
names above are the AWS controller's. Nothing here reads ../shared.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.cli.manifests import load
from controller.config import translate_config
from tests.harness.controller import retarget
from translate import Snapshot, translate
from translate.frozen import thaw
from translate.model import Translation

SWITCH = Path(__file__).parent / "fixtures" / "switch"

RULE_BUILD_TIME = 1764547200  # the AWS controller stamps rule names with the model's build time
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
_PROTO = {"HTTP": "http", "HTTPS": "https", "TLS_PASSTHROUGH": "tls"}


def _trunc(s: str, n: int) -> str:
    return s[:n].strip("-")


def service_name(route: str, namespace: str) -> str:
    return f"{_trunc(route, 20)}-{_trunc(namespace, 18)}"


def listener_name(route: str, namespace: str, port: int, protocol: str) -> str:
    return f"{service_name(route, namespace)}-{port}-{_PROTO[protocol]}"


def rule_name(priority: int) -> str:
    return f"k8s-{RULE_BUILD_TIME}-rule-{priority}"


def target_group_name(namespace: str, name: str, rng: random.Random) -> str:
    letters = "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    return f"k8s-{_trunc(namespace, 55)}-{_trunc(name, 55)}-{letters}"


@dataclass
class Seeded:
    """What was made: ids by the AWS controller's names."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {id, arn, dns, domain}
    target_groups: dict[str, str] = field(default_factory=dict)  # name -> id
    listeners: dict[str, str] = field(default_factory=dict)  # name -> id
    rules: dict[str, str] = field(default_factory=dict)  # "<listener>/<rule>" -> id
    route_service: dict[tuple[str, str, str], str] = field(default_factory=dict)  # route source -> service


async def seed(aws: Any, translation: Translation, *, seed: int = 2) -> Seeded:
    """Create in Lattice what the AWS controller would hold for `translation`'s sources.
    The service networks must exist already (the walkthroughs' AWS CLI step)."""
    rng = random.Random(seed)
    out = Seeded()
    networks = {sn["name"]: sn["id"] for sn in (await aws.list_service_networks())["items"]}
    for sn in translation.service_networks:  # policies on Gateways: the network's auth policy and access logs
        if sn.name not in networks:
            continue
        if sn.auth_policy is not None:
            await aws.put_auth_policy(resourceIdentifier=networks[sn.name], policy=sn.auth_policy.policy)
            await aws.update_service_network(serviceNetworkIdentifier=networks[sn.name], authType=sn.auth_type)
        for als in sn.access_log_subscriptions:
            await aws.create_access_log_subscription(resourceIdentifier=networks[sn.name],
                                                     destinationArn=als.destination_arn, tags=dict(als.tags))
    ids: dict[str, str] = {}  # our TG name -> id of the AWS controller's TG
    for tg in translation.target_groups:
        svc = tg.backend
        name = target_group_name(tg.source.namespace if tg.source.kind == "ServiceExport" else svc.namespace,
                                 tg.source.name if tg.source.kind == "ServiceExport" else svc.name, rng)
        got = await aws.create_target_group(name=name, type=tg.type, config=thaw(tg.config), tags=dict(tg.tags))
        ids[tg.name] = out.target_groups[name] = got["id"]
        if tg.targets:
            await aws.register_targets(targetGroupIdentifier=got["id"],
                                       targets=[{"id": t.id, "port": t.port} for t in tg.targets])
    for lk in translation.target_group_lookups:  # a ServiceImport: the exported TG, found by its tags
        for tg in translation.target_groups:
            if all(tg.tags.get(k) == v for k, v in lk.tags.items()):
                ids[lk.name] = ids[tg.name]

    def action(a: Any) -> dict[str, Any]:
        a = thaw(a)
        for t in (a.get("forward") or {}).get("targetGroups", ()):
            t["targetGroupIdentifier"] = ids[t["targetGroupIdentifier"]]
        return a

    for svc in translation.services:
        src = svc.source
        name = service_name(src.name, src.namespace)
        params: dict[str, Any] = {"name": name, "tags": dict(svc.tags), "authType": svc.auth_type}
        if svc.custom_domain_name:
            params["customDomainName"] = svc.custom_domain_name
        if svc.certificate_arn:
            params["certificateArn"] = svc.certificate_arn
        got = await aws.create_service(**params)
        out.services[name] = {"id": got["id"], "arn": got["arn"], "dns": got["dnsEntry"]["domainName"],
                              "domain": got.get("customDomainName")}
        out.route_service[(src.kind, src.namespace, src.name)] = name
        for a in svc.associations:
            await aws.create_service_network_service_association(
                serviceIdentifier=got["id"], serviceNetworkIdentifier=networks[a.service_network], tags=dict(a.tags))
        for lst in svc.listeners:
            lname = listener_name(src.name, src.namespace, lst.port, lst.protocol)
            made = await aws.create_listener(serviceIdentifier=got["id"], name=lname, port=lst.port,
                                             protocol=lst.protocol, defaultAction=action(lst.default_action),
                                             tags=dict(lst.tags))
            out.listeners[lname] = made["id"]
            for rule in lst.rules:
                r = await aws.create_rule(serviceIdentifier=got["id"], listenerIdentifier=made["id"],
                                          name=rule_name(rule.priority), priority=rule.priority,
                                          match=thaw(rule.match), action=action(rule.action), tags=dict(rule.tags))
                out.rules[f"{lname}/{rule_name(rule.priority)}"] = r["id"]
    return out


def annotate(objs: list[dict[str, Any]], seeded: Seeded) -> None:
    """The route annotations the AWS controller writes after a deploy (DNS name and service ARN)."""
    for o in objs:
        if o["kind"] not in ROUTE_KINDS:
            continue
        md = o["metadata"]
        name = seeded.route_service.get((o["kind"], md["namespace"], md["name"]))
        if name is None:
            continue
        svc = seeded.services[name]
        md.setdefault("annotations", {}).update({
            "application-networking.k8s.aws/lattice-assigned-domain-name": svc["dns"],
            "application-networking.k8s.aws/lattice-service-arn": svc["arn"]})


async def converged_switch_state(env: Any) -> tuple[list[dict[str, Any]], Seeded]:
    """The AWS controller's converged state for fixtures/switch (my-hotel's rates, inventory
    blue/green with a ServiceExport/ServiceImport, a truncated long name, a GRPCRoute, a
    TLS-passthrough route, an IAMAuthPolicy and an AccessLogPolicy), in Lattice and in Kubernetes,
    with latticegw stopped (the AWS controller ran until now). Returns the objects as applied
    (re-homed into the test's namespaces, with the AWS controller's route annotations) and what
    was seeded."""
    await env.stop()
    objs = load([str(SWITCH)])
    namespaces = {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
    objs = retarget(objs, {n: env.ns(n) for n in namespaces})
    await env.create_service_networks(objs)
    translation = translate(Snapshot.of(objs), translate_config(env.config))
    async with env.aws() as aws:
        seeded = await seed(aws, translation)
    annotate(objs, seeded)
    await env.apply(objs)
    return objs, seeded
