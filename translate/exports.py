"""ServiceExport → standalone target groups other clusters' routes can import (multi-cluster).

Only exports annotated `application-networking.k8s.aws/federation: amazon-vpc-lattice` are ours.
With `spec.exportedPorts[]`: one TG per entry, on that entry's port (routeType HTTP → HTTP/HTTP1,
GRPC → HTTP/GRPC, TLS → TCP), targets from that Service port. Without: the legacy single HTTP TG, targets limited to
the Service ports listed in the `application-networking.k8s.aws/port` annotation when present.
The exported Service is the one named by `application-networking.k8s.aws/service-name`, else the
export's namesake.
A TargetGroupPolicy on the ServiceExport (or else on the Service) applies, so every cluster's TG for
the same export is configured identically. The AWS controller writes no ServiceExport status; we
write none either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translate import naming, tags, targetgroups, targets
from translate.backends import make_target_group
from translate.context import Context
from translate.model import ANNOTATION_PREFIX, Source, TargetGroup
from translate.snapshot import annotations_of, name_of, namespace_of, spec_of

FEDERATION = ANNOTATION_PREFIX + "federation"
PORT_ANNOTATION = ANNOTATION_PREFIX + "port"
SERVICE_NAME_ANNOTATION = ANNOTATION_PREFIX + "service-name"


def exported_service(export: Mapping[str, Any]) -> str:
    """The Service an export exports: `application-networking.k8s.aws/service-name`, else the
    export's own name. The target groups' names and tags keep the export's name (as the AWS
    controller's do), since importers look them up by it."""
    return str(annotations_of(export).get(SERVICE_NAME_ANNOTATION) or "").strip() or name_of(export)


def translate_exports(ctx: Context) -> list[TargetGroup]:
    cfg = ctx.config
    out: list[TargetGroup] = []
    for exp in ctx.snapshot.list("ServiceExport"):
        ann = annotations_of(exp)
        if ann.get(FEDERATION) != "amazon-vpc-lattice":
            continue
        ns, name = namespace_of(exp), name_of(exp)
        svc_name = exported_service(exp)
        svc = ctx.snapshot.get("Service", ns, svc_name)
        if svc is None:
            continue
        ip_type = targets.address_type(ctx.snapshot, svc, ns, svc_name)
        if ip_type is None:
            continue  # dual stack: Lattice target groups have one address type
        policy = ctx.policies.target_group.get(("ServiceExport", ns, name)) or ctx.policies.target_group.get(
            ("Service", ns, svc_name)
        )
        pspec = spec_of(policy) if policy is not None else None
        user, _ = tags.parse_user_tags(ann)
        src = Source("ServiceExport", ns, name)
        backend = Source("Service", ns, svc_name)
        entries: list[tuple[int | None, str]] = []
        for ep in spec_of(exp).get("exportedPorts") or ():
            if isinstance(ep.get("port"), int):
                entries.append((ep["port"], str(ep.get("routeType") or "HTTP")))
        if not entries:
            entries.append((None, "HTTP"))
        for port, route_type in entries:
            proto = targetgroups.export_protocol(route_type, pspec)
            if port is not None:
                pname = targets.service_port_name(svc, port)
                if pname is None:
                    continue
                tgts = targets.targets_for(ctx.snapshot, ns, svc_name, port_name=pname, ip_address_type=ip_type)
            else:
                allowed = None
                if ann.get(PORT_ANNOTATION):
                    wanted = {p.strip() for p in ann[PORT_ANNOTATION].split(",") if p.strip()}
                    allowed = frozenset(
                        str(p.get("name") or "")
                        for p in spec_of(svc).get("ports") or ()
                        if str(p.get("port")) in wanted
                    )
                tgts = targets.targets_for(ctx.snapshot, ns, svc_name, port_name=None, ip_address_type=ip_type,
                                           port_names=allowed)
            tg_name = naming.target_group_name(
                cluster=cfg.cluster_name,
                vpc=cfg.vpc_id,
                source_kind="ServiceExport",
                source_namespace=ns,
                source_name=name,
                service_namespace=ns,
                service_name=name,
                port=port,
                protocol=proto.protocol,
                protocol_version=proto.version,
                ip_address_type=ip_type,
            )
            managed = tags.target_group_tags(
                managed=cfg.managed_by,
                cluster=cfg.cluster_name,
                service_namespace=ns,
                service_name=name,
                source_kind="ServiceExport",
                protocol_version=proto.version or "",
            )
            config = targetgroups.config(proto, vpc_id=cfg.vpc_id, ip_address_type=ip_type, policy_spec=pspec,
                                         port=targetgroups.TG_PORT if port is None else port)
            out.append(make_target_group(tg_name, src, backend, config, tgts, tags.merge(user, managed)))
    return out
