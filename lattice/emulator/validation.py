"""Input validation generated from botocore's service model.

botocore checks only required members, types and minimums on the client side
(see the spec, section 6), so the server must enforce maximums, patterns and
enums. Rather than hand-writing per-field rules, we walk the operation's input
shape: every constraint the model states is checked here, and a model update
brings its new constraints along.

The one hand-kept table, DOCUMENTED_RANGES, holds limits the docs state but the
model leaves out (the Lattice model allows 0 for health-check numbers; the Tagging
API model gives GetResources' page sizes no range at all).

`input_problems`/`output_problems` work on any botocore shape, so the Resource
Groups Tagging API served on the same port (tagging_api/) reuses them.

`check_output` walks an output shape the same way; the server uses it in
strict mode (tests) to prove every response carries only modelled members.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.model import Shape

from .errors import ValidationError
from .model import operation

# (structure shape name, member) -> (min, max) where the docs are stricter than the model.
DOCUMENTED_RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("HealthCheckConfig", "healthCheckIntervalSeconds"): (5, 300),
    ("HealthCheckConfig", "healthCheckTimeoutSeconds"): (1, 120),
    ("HealthCheckConfig", "healthyThresholdCount"): (2, 10),
    ("HealthCheckConfig", "unhealthyThresholdCount"): (2, 10),
    ("GetResourcesInput", "ResourcesPerPage"): (1, 100),
    ("GetResourcesInput", "TagsPerPage"): (100, 500),
}

# Keep error messages bounded: a fuzzer sending a 1 MB string must not get it echoed back.
_MAX_ECHO = 64


# Java's Unicode classes in model patterns (ACM tag keys use `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`) have
# no `re` spelling; these Unicode-aware equivalents work inside and outside character classes.
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\w", r"\p{Z}": r"\s"}


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern, re.DOTALL)


def validate_input(op_name: str, params: dict[str, Any]) -> None:
    """Raise ValidationException listing every bad field of `params`."""
    shape = operation(op_name).input_shape
    if shape is None:
        return
    problems = input_problems(shape, params)
    if problems:
        first = problems[0]
        raise ValidationError(
            f"Invalid request: {first['name']}: {first['message']}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            field_list=problems[:20],
        )


def input_problems(shape: Shape, params: dict[str, Any]) -> list[dict[str, str]]:
    """Every constraint of `shape` that `params` breaks, as [{"name", "message"}]."""
    problems: list[dict[str, str]] = []
    _check(shape, params, "", problems)
    return problems


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _check(shape: Shape, value: Any, path: str, out: list[dict[str, str]], parent: str | None = None,
           member: str | None = None) -> None:
    kind = shape.type_name
    meta = shape.metadata
    name = path or shape.name

    def bad(message: str) -> None:
        out.append({"name": name, "message": message})

    if kind == "structure":
        if not isinstance(value, dict):
            return bad("must be an object")
        members = shape.members
        if meta.get("union"):
            present = [k for k in members if value.get(k) is not None]
            if len(present) != 1:
                return bad(f"exactly one of {sorted(members)} must be set")
        for req in meta.get("required", ()):
            if value.get(req) is None:
                out.append({"name": _join(path, req), "message": "is required"})
        for key, sub in value.items():
            # Unknown members are ignored, as AWS's front end does, so older and
            # newer clients interoperate.
            if sub is None or key not in members:
                continue
            _check(members[key], sub, _join(path, key), out, shape.name, key)
        return
    if kind == "string":
        if not isinstance(value, str):
            return bad("must be a string")
        n = len(value)
        if "min" in meta and n < meta["min"]:
            return bad(f"length must be at least {meta['min']}")
        if "max" in meta and n > meta["max"]:
            return bad(f"length must be at most {meta['max']}")
        if "enum" in meta and value not in meta["enum"]:
            return bad(f"must be one of {meta['enum']}")
        if "pattern" in meta and not _regex(meta["pattern"]).fullmatch(value):
            return bad(f"value {value[:_MAX_ECHO]!r} does not match pattern {meta['pattern']}")
        return
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return bad("must be an integer")
        lo, hi = DOCUMENTED_RANGES.get((parent or "", member or ""), (meta.get("min"), meta.get("max")))
        if lo is not None and value < lo:
            return bad(f"must be at least {lo}")
        if hi is not None and value > hi:
            return bad(f"must be at most {hi}")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            bad("must be a boolean")
        return
    if kind == "list":
        if not isinstance(value, list):
            return bad("must be a list")
        if "min" in meta and len(value) < meta["min"]:
            return bad(f"must have at least {meta['min']} items")
        if "max" in meta and len(value) > meta["max"]:
            return bad(f"must have at most {meta['max']} items")
        for i, item in enumerate(value):
            if item is None:
                out.append({"name": f"{name}[{i}]", "message": "must not be null"})
                continue
            _check(shape.member, item, f"{name}[{i}]", out)
        return
    if kind == "map":
        if not isinstance(value, dict):
            return bad("must be a map")
        if "min" in meta and len(value) < meta["min"]:
            return bad(f"must have at least {meta['min']} entries")
        if "max" in meta and len(value) > meta["max"]:
            return bad(f"must have at most {meta['max']} entries")
        for k, v in value.items():
            sub = f"{name}[{k[:_MAX_ECHO]}]"
            _check(shape.key, k, sub, out)
            if v is None:
                out.append({"name": sub, "message": "must not be null"})
            else:
                _check(shape.value, v, sub, out)
        return
    if kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            bad("must be a number")
        return
    # timestamps and blobs do not occur in Lattice inputs; accept them as sent.


def check_output(op_name: str, body: Any) -> list[str]:
    """Members of a response body the model does not declare (empty when faithful)."""
    shape = operation(op_name).output_shape
    return output_problems(shape, body) if shape is not None else []


def output_problems(shape: Shape, body: Any) -> list[str]:
    problems: list[str] = []
    _check_out(shape, body, "", problems)
    return problems


def _check_out(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: not an object")
            return
        members = {k: s for k, s in shape.members.items() if "location" not in s.serialization}
        if shape.metadata.get("union") and sum(v is not None for v in value.values()) != 1:
            out.append(f"{path}: union must have exactly one member")
        for k, v in value.items():
            if k not in members:
                out.append(_join(path, k) + ": not in the model")
            elif v is not None:
                _check_out(members[k], v, _join(path, k), out)
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{path}: not a list")
            return
        for i, item in enumerate(value):
            _check_out(shape.member, item, f"{path}[{i}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: not a map")
            return
        for v in value.values():
            _check_out(shape.value, v, f"{path}[]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: not a string")
        elif "enum" in shape.metadata and value not in shape.metadata["enum"]:
            out.append(f"{path}: {value!r} not in enum")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path}: not an integer")
    elif kind == "boolean" and not isinstance(value, bool):
        out.append(f"{path}: not a boolean")
    elif kind == "timestamp" and not isinstance(value, str):
        out.append(f"{path}: timestamp not an ISO string")
