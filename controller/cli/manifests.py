"""Read Kubernetes manifests from files and directories for `latticegw plan` (and the demo).

Multi-document YAML (and JSON, which is YAML), directories recursively (`*.yaml`, `*.yml`,
`*.json`, in sorted order), `kind: List` expanded; kinds translate does not read are skipped. Anything unreadable raises `ManifestError`
naming the file and the zero-based document index, so the CLI can exit 2 with a useful message:
broken YAML, a document that is not an object, `kind`/`apiVersion`/`metadata.name` that are not
strings, a List whose `items` is not a list, nesting deeper than `MAX_DEPTH` and aliases that
expand past `MAX_NODES` values (both checked on the parser's event stream, which is iterative,
before PyYAML's recursive composer could overflow the stack or an alias bomb the memory).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from translate.snapshot import KNOWN_KINDS

EXTENSIONS = (".yaml", ".yml", ".json")
# Kinds that may appear in a walkthrough directory, mean nothing to the translation and are not
# worth listing as skipped (every other unknown kind is listed: a typo in a kind shows there).
IGNORED_KINDS = frozenset({"CustomResourceDefinition"})
# Deeper than any Kubernetes object (a CRD schema nests ~30 levels); far below Python's recursion limit.
MAX_DEPTH = 100
MAX_NODES = 1_000_000


class ManifestError(Exception):
    def __init__(self, path: str, index: int | None, message: str) -> None:
        where = path if index is None else f"{path} (document {index})"
        super().__init__(f"{where}: {message}")
        self.path, self.index = path, index


def expand_paths(paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
        elif os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in files:
                    if f.endswith(EXTENSIONS):
                        found.append(os.path.join(root, f))
            out.extend(sorted(found))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise ManifestError(p, None, "no such file or directory")
    return out


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (as kubectl does): concatenated files without a
    `---` between them would otherwise silently merge two objects into one. Timestamps stay strings,
    as the API server returns them (`creationTimestamp: 2026-01-01T00:00:00Z`)."""


# Drop the implicit timestamp resolver (copy the table first: it is shared with SafeLoader).
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (missing '---' between documents?)", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_shape(path: str, text: str) -> None:
    """Refuse what would exhaust the stack or memory before composing it: nesting deeper than
    MAX_DEPTH, or aliases expanding to more than MAX_NODES nodes ("billion laughs")."""
    index = 0
    stack: list[list] = [[None, 0]]  # [anchor, expanded node count] per open collection
    sizes: dict[str, int] = {}
    try:
        for event in yaml.parse(text, Loader=_StrictLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1])
                if len(stack) - 1 > MAX_DEPTH:
                    raise ManifestError(path, index, f"nested deeper than {MAX_DEPTH} levels "
                                                     f"(line {event.start_mark.line + 1})")
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = stack.pop()
            elif isinstance(event, yaml.ScalarEvent):
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                anchor, size = None, sizes.get(event.anchor, 1)
            else:
                if isinstance(event, yaml.DocumentEndEvent):
                    index += 1
                    stack, sizes = [[None, 0]], {}
                continue
            if anchor is not None:
                sizes[anchor] = size
            stack[-1][1] += size
            if stack[0][1] + sum(n for _, n in stack[1:]) > MAX_NODES:
                raise ManifestError(path, index, f"expands to more than {MAX_NODES:,} values "
                                                 f"(YAML aliases?) (line {event.start_mark.line + 1})")
    except yaml.YAMLError:
        return  # said with its document index by _documents


def _documents(path: str, text: str) -> Iterable[tuple[int, Any]]:
    _check_shape(path, text)
    try:
        for i, doc in enumerate(yaml.load_all(text, Loader=_StrictLoader)):  # noqa: S506 (safe loader)
            yield i, doc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # Count the documents before the error so the index points at the broken one.
        index = text[: mark.index].count("\n---") if mark is not None else None
        raise ManifestError(path, index, f"invalid YAML: {exc}") from None


def load(paths: Sequence[str], stdin_text: str | None = None,
         skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """All objects translate reads from the given files/directories, in file then document order.

    Objects of other kinds (the Deployments, ConfigMaps, ... users keep next to their routes) are
    left out and, when `skipped` is given, appended to it."""
    objects: list[dict[str, Any]] = []
    for path in expand_paths(paths):
        if path == "-":
            text = stdin_text or ""
        else:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise ManifestError(path, None, f"cannot read: {exc}") from None
        label = "<stdin>" if path == "-" else path
        for index, doc in _documents(label, text):
            if doc is None:
                continue
            items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
            if items is not None and not isinstance(items, list):
                raise ManifestError(label, index, f"List items must be a list, got {_type(items)}")
            for obj in items or ():
                _check(label, index, obj)
                if obj["kind"] not in KNOWN_KINDS:
                    if skipped is not None and obj["kind"] not in IGNORED_KINDS:
                        skipped.append(obj)
                    continue
                if obj["kind"] == "Secret":
                    for field in ("data", "stringData"):
                        if obj.get(field) is not None and not isinstance(obj[field], dict):
                            raise ManifestError(label, index, f"Secret {field} must be a mapping, "
                                                              f"got {_type(obj[field])}")
                    obj = _as_stored_secret(obj)
                objects.append(obj)
    return objects


def _as_stored_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret as the API server would return it: `stringData` folded into base64 `data` (it wins
    on a clash, as on the server) and `type` defaulted to Opaque."""
    out = dict(obj)
    data = dict(out.get("data") or {})
    for k, v in (out.pop("stringData", None) or {}).items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    out["data"] = data
    out.setdefault("type", "Opaque")
    return out


def _type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _check(path: str, index: int, obj: Any) -> None:
    if not isinstance(obj, dict):
        raise ManifestError(path, index, f"a document must be a mapping (a Kubernetes object), got {_type(obj)}")
    kind = obj.get("kind")
    if not kind or not obj.get("apiVersion"):
        raise ManifestError(path, index, "missing apiVersion or kind")
    for field in ("apiVersion", "kind"):
        if not isinstance(obj[field], str):
            raise ManifestError(path, index, f"{field} must be a string, got {_type(obj[field])}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise ManifestError(path, index, f"{kind} without metadata.name")
    for field in ("name", "namespace"):
        if field in meta and not isinstance(meta[field], str):
            raise ManifestError(path, index, f"{kind} metadata.{field} must be a string, got {_type(meta[field])}")
