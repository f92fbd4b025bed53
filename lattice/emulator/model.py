"""The VPC Lattice service model, loaded once from botocore.

Everything the emulator knows about shapes, routes and wire locations comes from
here, so a botocore upgrade that adds members or tightens limits flows through
to routing and validation without code changes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

SERVICE_NAME = "vpc-lattice"


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@dataclass(frozen=True, slots=True)
class Route:
    """One operation's HTTP binding: method, path template split into segments."""

    operation: str
    method: str
    # Literal segments are plain strings; labels are ("label", member_name).
    segments: tuple[str | tuple[str, str], ...]
    status: int
    members_by_label: dict[str, str] = field(default_factory=dict)


@functools.cache
def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.cache
def routes() -> tuple[Route, ...]:
    """Every operation in the model as a Route (in-scope or not)."""
    out = []
    for name in service_model().operation_names:
        op = operation(name)
        path = op.http["requestUri"].split("?", 1)[0]
        segments: list[str | tuple[str, str]] = []
        labels: dict[str, str] = {}
        for part in path.strip("/").split("/"):
            m = re.fullmatch(r"\{(\w+)\+?\}", part)
            if m:
                # The wire name of a label equals the member's locationName.
                segments.append(("label", m.group(1)))
                labels[m.group(1)] = _member_for_location(op, "uri", m.group(1))
            else:
                segments.append(part)
        out.append(
            Route(name, op.http["method"], tuple(segments), int(op.http.get("responseCode", 200)), labels)
        )
    return tuple(out)


def _member_for_location(op: OperationModel, location: str, wire_name: str) -> str:
    for member, shape in op.input_shape.members.items():
        ser = shape.serialization
        if ser.get("location") == location and ser.get("name", member) == wire_name:
            return member
    raise KeyError(f"{op.name}: no {location} member {wire_name}")


@functools.cache
def input_locations(name: str) -> dict[str, tuple[str, str, Shape]]:
    """member -> (location, wire name, shape) for querystring/header members of an op."""
    op = operation(name)
    out: dict[str, tuple[str, str, Any]] = {}
    if op.input_shape is None:
        return out
    for member, shape in op.input_shape.members.items():
        loc = shape.serialization.get("location")
        if loc in ("querystring", "header"):
            out[member] = (loc, shape.serialization.get("name", member), shape)
    return out


@functools.cache
def body_members(name: str) -> frozenset[str]:
    op = operation(name)
    if op.input_shape is None:
        return frozenset()
    return frozenset(m for m, s in op.input_shape.members.items() if "location" not in s.serialization)


@functools.cache
def output_members(name: str) -> tuple[str, ...]:
    """Body members of an op's output, in model order (views project onto these)."""
    shape = operation(name).output_shape
    if shape is None:
        return ()
    return tuple(m for m, s in shape.members.items() if "location" not in s.serialization)


@functools.cache
def item_members(name: str, list_member: str = "items") -> tuple[str, ...]:
    """Members of the structures inside an output list (e.g. ListServices `items`)."""
    shape = operation(name).output_shape.members[list_member].member
    return tuple(shape.members)


@functools.cache
def idempotent_member(name: str) -> str | None:
    """The op's `idempotencyToken` member (clientToken), if it has one."""
    shape = operation(name).input_shape
    if shape is None:
        return None
    for member, s in shape.members.items():
        if s.metadata.get("idempotencyToken"):
            return member
    return None


@functools.cache
def declared_errors(name: str) -> frozenset[str]:
    """Error codes the model lists for an op (e.g. ListTagsForResource has no ThrottlingException)."""
    return frozenset(shape.name for shape in operation(name).error_shapes)
