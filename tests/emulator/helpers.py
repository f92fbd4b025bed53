"""Small builders shared by the emulator tests."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from botocore.exceptions import ClientError

VPC = "vpc-0123456789abcdef0"


@asynccontextmanager
async def raises(code: str, status: int | None = None):
    """Assert the block raises a botocore ClientError with this code; yields the response holder."""
    holder: dict[str, Any] = {}
    try:
        yield holder
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == code, exc.response
        if status is not None:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == status, exc.response
        holder.update(exc.response)
    else:
        raise AssertionError(f"expected {code}")


async def tg(lattice, name: str = "first-tg", **config: Any) -> dict[str, Any]:
    cfg = {"port": 8080, "protocol": "HTTP", "vpcIdentifier": VPC, **config}
    out = await lattice.create_target_group(name=name, type="IP", config=cfg)
    await lattice.get_target_group(targetGroupIdentifier=out["id"])  # settles to ACTIVE (delay 0)
    return out


def forward(*tgs: str, weights: list[int] | None = None) -> dict[str, Any]:
    groups = [{"targetGroupIdentifier": t} for t in tgs]
    for group, weight in zip(groups, weights or []):
        group["weight"] = weight
    return {"forward": {"targetGroups": groups}}


def path_match(prefix: str) -> dict[str, Any]:
    return {"httpMatch": {"pathMatch": {"match": {"prefix": prefix}}}}


async def service_with_listener(lattice, name: str = "first-svc", tg_name: str = "first-tg") -> tuple[dict, dict, dict]:
    svc = await lattice.create_service(name=name)
    group = await tg(lattice, tg_name)
    listener = await lattice.create_listener(
        serviceIdentifier=svc["id"], name="http", protocol="HTTP", defaultAction=forward(group["id"])
    )
    return svc, group, listener
