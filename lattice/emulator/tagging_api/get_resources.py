"""GetResources over this partition's Lattice records.

What it returns, following the API reference:
- resources that have, or ever had, tags (`_hadTags` remembers an untagged-to-empty
  resource, which then shows `"Tags": []` unless a TagFilter excludes it);
- ResourceTypeFilters `service[:type]`, the type being the ARN's type segments:
  `vpc-lattice:service`, `vpc-lattice:servicenetwork`, `vpc-lattice:targetgroup`, ...
  and for nested ARNs the joined path, `vpc-lattice:service/listener` and
  `vpc-lattice:service/listener/rule`, so `vpc-lattice:service` means services only;
  another service's types match nothing here;
- TagFilters: every Key present, and if Values is given one of them (AND across filters);
- ResourceARNList (no pagination parameters with it, as documented), further narrowed
  by the other filters if given; unknown ARNs are simply absent;
- pages in creation order; the token is opaque, valid 15 minutes of emulator time.
"""

from __future__ import annotations

import base64
import heapq
from collections.abc import Iterator
from typing import Any

from ..ops import Ctx, visible
from ..resources.tagging import PATHS
from ..store import Record
from .errors import InvalidParameter, TokenExpired

SERVICE = "vpc-lattice"
TYPE_OF = {kind.name: "/".join(types) for types, kind in PATHS.items()}
DEFAULT_PAGE = 50
TOKEN_TTL = 15 * 60  # "A PaginationToken is valid for a maximum of 15 minutes."
MAX_TYPE_FILTERS = 100


def get_resources(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    arns = p.get("ResourceARNList")
    paging = [k for k in ("ResourcesPerPage", "TagsPerPage", "PaginationToken") if p.get(k) is not None]
    if arns is not None and paging:
        raise InvalidParameter(f"ResourceARNList cannot be combined with {', '.join(paging)}")
    include_compliance = bool(p.get("IncludeComplianceDetails"))
    if p.get("ExcludeCompliantResources") and not include_compliance:
        raise InvalidParameter("ExcludeCompliantResources requires IncludeComplianceDetails")
    types = _types(p.get("ResourceTypeFilters"))
    tag_filters = _tag_filters(p.get("TagFilters"))
    after = _decode(ctx, p.get("PaginationToken"))
    # No tag policies exist here, so every resource is compliant and excluding compliant ones
    # leaves nothing.
    if p.get("ExcludeCompliantResources"):
        return {"PaginationToken": "", "ResourceTagMappingList": []}

    candidates = _matching(ctx, types, tag_filters, after, set(arns) if arns is not None else None)
    limit = len(arns) if arns is not None else p.get("ResourcesPerPage") or DEFAULT_PAGE
    page = heapq.nsmallest(limit + 1, candidates, key=lambda rec: rec["_seq"])
    token = ""
    if len(page) > limit:
        page = page[:limit]
        token = _encode(page[-1]["_seq"], ctx.now)
    return {"PaginationToken": token, "ResourceTagMappingList": [_mapping(rec, include_compliance) for rec in page]}


def _matching(ctx: Ctx, types: set[str] | None, tag_filters: list[tuple[str, set[str] | None]], after: int,
              arns: set[str] | None) -> Iterator[Record]:
    for kind, table in ctx.part.tables.items():
        if types is not None and TYPE_OF[kind] not in types:
            continue
        for rec in table.values():
            tags = rec.get("_tags") or {}
            if rec["_seq"] <= after or not (tags or rec.get("_hadTags")) or not visible(ctx, rec):
                continue
            if arns is not None and rec["arn"] not in arns:
                continue
            if all(key in tags and (values is None or tags[key] in values) for key, values in tag_filters):
                yield rec


def _mapping(rec: Record, include_compliance: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"ResourceARN": rec["arn"],
                           "Tags": [{"Key": k, "Value": v} for k, v in (rec.get("_tags") or {}).items()]}
    if include_compliance:
        out["ComplianceDetails"] = {"NoncompliantKeys": [], "KeysWithNoncompliantValues": [],
                                    "ComplianceStatus": True}
    return out


def _types(filters: list[str] | None) -> set[str] | None:
    """Resource types of this service the filters select; None = all of them."""
    if not filters:
        return None
    if len(filters) > MAX_TYPE_FILTERS:
        raise InvalidParameter(f"ResourceTypeFilters can hold at most {MAX_TYPE_FILTERS} items")
    out: set[str] = set()
    everything = False
    for f in filters:
        service, sep, rtype = f.partition(":")
        if not service or (sep and not rtype):
            raise InvalidParameter(f"Invalid resource type filter {f[:64]!r}: expected service[:resourceType]")
        if service == SERVICE:
            everything = everything or not sep
            out.add(rtype)
    return None if everything else out


def _tag_filters(filters: list[dict[str, Any]] | None) -> list[tuple[str, set[str] | None]]:
    out = []
    for f in filters or ():
        if f.get("Key") is None:
            raise InvalidParameter("Each TagFilter must contain a Key")
        values = f.get("Values")
        out.append((f["Key"], set(values) if values else None))
    return out


def _encode(seq: int, now: float) -> str:
    return base64.urlsafe_b64encode(f"rgt1:{seq}:{int(now)}".encode()).decode().rstrip("=")


def _decode(ctx: Ctx, token: str | None) -> int:
    """The creation sequence number to resume after (0 = from the start)."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, seq, issued = raw.split(":")
        if tag != "rgt1" or not seq.isdigit() or not issued.isdigit():
            raise ValueError
    except ValueError:  # includes binascii.Error and UnicodeDecodeError
        raise InvalidParameter("PaginationToken is not valid") from None
    if ctx.now - int(issued) > TOKEN_TTL:
        raise TokenExpired("The PaginationToken has expired (tokens are valid for 15 minutes)")
    return int(seq)
