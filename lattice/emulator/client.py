"""EmulatorControl: a small aiohttp client for the `/_emulator/` control API."""

from __future__ import annotations

from typing import Any

import aiohttp


class EmulatorControlError(RuntimeError):
    pass


class EmulatorControl:
    """Drive an emulator from tests and benchmarks.

        async with EmulatorControl(emu.url) as ctl:
            await ctl.reset()
            await ctl.inject_error("CreateService", "InternalServerException", count=2)
            ...
            assert (await ctl.call_count("CreateService")) == 3
    """

    def __init__(self, url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base = url.rstrip("/") + "/_emulator/"
        self._session = session
        self._owned = session is None

    async def __aenter__(self) -> "EmulatorControl":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                       params: dict[str, str] | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(method, self.base + path, json=body, params=params) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise EmulatorControlError(f"{method} /_emulator/{path}: {resp.status} {data}")
            return data

    # state
    async def reset(self) -> None:
        await self._request("POST", "reset")

    async def state(self, account: str | None = None, region: str | None = None) -> dict[str, Any]:
        params = {k: v for k, v in (("account", account), ("region", region)) if v}
        return await self._request("GET", "state", params=params or None)

    async def partition(self, account: str | None = None, region: str | None = None) -> dict[str, Any]:
        """The single (account, region) dump, or an empty one when nothing was created there."""
        parts = (await self.state(account, region))["partitions"]
        return parts[0] if parts else {}

    async def save(self) -> bool:
        return (await self._request("POST", "save"))["saved"]

    # calls
    async def calls(self) -> dict[str, Any]:
        """{"calls": {op: n}, "total": n, "outcomes": {op: {code: n}}, "timing": {op: {p50_ms, ...}}}."""
        return await self._request("GET", "calls")

    async def call_count(self, operation: str | None = None) -> int:
        data = await self.calls()
        return data["total"] if operation is None else data["calls"].get(operation, 0)

    async def reset_calls(self) -> None:
        await self._request("DELETE", "calls")

    # faults
    async def faults(self) -> dict[str, Any]:
        return await self._request("GET", "faults")

    async def clear_faults(self) -> None:
        await self._request("DELETE", "faults")

    async def set_latency(self, operation: str = "*", *, fixed: float | None = None,
                          uniform: tuple[float, float] | None = None, normal: tuple[float, float] | None = None,
                          exponential: float | None = None) -> None:
        """Delay calls (seconds); pass nothing to remove the rule."""
        spec = {k: v for k, v in (("fixed", fixed), ("uniform", uniform), ("normal", normal),
                                  ("exponential", exponential)) if v is not None}
        await self._request("POST", "faults/latency", {"operation": operation, **spec})

    async def throttle(self, operation: str = "*", rate: float | None = None, burst: float | None = None,
                       retry_after: float | None = None) -> None:
        """Token bucket per account and `operation`: an operation, a class ("writes", "reads",
        "tagging") or "*" (account-wide); rate=None removes it; rate=0 refuses every call (a storm);
        `retry_after` fixes the Retry-After answered (default: seconds until the next token, >= 1)."""
        body = {"operation": operation, "rate": rate, "burst": burst}
        if retry_after is not None:
            body["retryAfter"] = retry_after
        await self._request("POST", "faults/throttle", body)

    async def inject_error(self, operation: str, code: str, *, count: int | None = None,
                           probability: float | None = None, message: str | None = None,
                           retry_after: int | None = None, **fields: Any) -> None:
        """Fail the next `count` calls (default 1) or each call with `probability`."""
        rule = {"operation": operation, "code": code, "count": count, "probability": probability,
                "message": message, "retryAfter": retry_after, **fields}
        await self._request("POST", "faults/errors", {k: v for k, v in rule.items() if v is not None})

    async def set_consistency(self, seconds: float, operations: list[str] | None = None) -> None:
        """Hide created resources from Get/List for `seconds` (0 turns it off)."""
        await self._request("POST", "faults/consistency", {"seconds": seconds, "operations": operations})

    async def fail_lifecycle(self, operation: str, count: int = 1, failure_code: str = "InjectedFailure",
                             failure_message: str = "Injected by the emulator") -> None:
        """Make the next `count` transitions started by `operation` end in *_FAILED."""
        await self._request("POST", "faults/lifecycle", {
            "operation": operation, "count": count, "failureCode": failure_code, "failureMessage": failure_message})

    async def set_target_health(self, target_group: str, target_id: str, status: str | None,
                                port: int | None = None, reason_code: str | None = None) -> int:
        body = {"targetGroupIdentifier": target_group, "id": target_id, "status": status, "port": port,
                "reasonCode": reason_code}
        return (await self._request("POST", "target-health", body))["updated"]

    async def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward: lands due transitions without sleeping."""
        return (await self._request("POST", "clock", {"advance": seconds}))["now"]

    # configuration
    async def config(self) -> dict[str, Any]:
        return await self._request("GET", "config")

    async def configure(self, **patch: Any) -> dict[str, Any]:
        """e.g. configure(delays={"create": 2}, quotas={"services": 10})."""
        return await self._request("PATCH", "config", patch)
