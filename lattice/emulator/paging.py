"""List pagination: opaque page tokens over the insertion-ordered indexes (index.py)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from .errors import ValidationError
from .ids import Kind
from .ops import Ctx, summary_renderer
from .store import Record


def encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")


def decode_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, _, seq = raw.partition(":")
        if tag != "v1" or not seq.isdigit():
            raise ValueError
        return int(seq)
    except ValueError:  # includes binascii.Error and UnicodeDecodeError
        raise ValidationError(
            "Invalid nextToken", field_list=[{"name": "nextToken", "message": "is not a valid token"}]
        ) from None


def paginate(
    ctx: Ctx,
    kind: Kind,
    index_key: str,
    params: dict[str, Any],
    render: Callable[[Record], dict[str, Any]] | None = None,
    keep: Callable[[Record], bool] | None = None,
) -> dict[str, Any]:
    """One page of the records in an index. `render` defaults to the op's cached item view."""
    after = decode_token(params.get("nextToken"))
    limit = params.get("maxResults") or 100
    table = ctx.part.tables[kind.name]
    index = ctx.part.indexes.get(index_key)
    if index is None:
        return {"items": []}
    now = ctx.now

    def ok(rid: str) -> bool:
        rec = table[rid]
        at = rec.get("_visible")
        if at is not None and at > now:
            return False
        return keep is None or keep(rec)

    if render is None:
        render = summary_renderer(ctx)
    ids, resume = index.page(after, limit, ok)
    out: dict[str, Any] = {"items": [render(table[rid]) for rid in ids]}
    if resume is not None:
        out["nextToken"] = encode_token(resume)
    return out


def records(ctx: Ctx, kind: Kind, index_key: str) -> Iterable[Record]:
    index = ctx.part.indexes.get(index_key)
    if index is None:
        return []
    table = ctx.part.tables[kind.name]
    return [table[rid] for rid in index.ids()]
