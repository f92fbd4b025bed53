"""What goes away with a service network or service: access logs and policies."""

from __future__ import annotations

from ..ids import ALS
from ..ops import Ctx
from ..paging import records
from ..store import Record


def drop_attachments(ctx: Ctx, rec: Record) -> None:
    part = ctx.part
    for als in records(ctx, ALS, "als@res:" + rec["id"]):
        part.remove(ALS, als["id"])
    part.auth_policies.pop(rec["id"], None)
    part.resource_policies.pop(rec["arn"], None)
