"""`run_emulator`: start an emulator in-process for the duration of an `async with`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .config import Delays, EmulatorConfig
from .server import Emulator


@asynccontextmanager
async def run_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    config: EmulatorConfig | None = None,
    state_file: str | Path | None = None,
    **options: Any,
) -> AsyncIterator[Emulator]:
    """Serve the emulator on host:port (0 = any free port) until the block exits.

    `options` are EmulatorConfig fields (region, account, quotas, strict_output, seed,
    ...); `delays` may be a dict such as {"create": 1.5}.
    """
    if config is None:
        delays = options.pop("delays", None)
        if isinstance(delays, dict):
            spec, delays = delays, Delays()
            for name, value in spec.items():
                delays.set(name, value)
        config = EmulatorConfig(**options, **({"delays": delays} if delays is not None else {}))
    elif options:
        raise TypeError("pass either config or options, not both")
    emu = Emulator(config, state_file=state_file)
    await emu.start(host, port)
    try:
        yield emu
    finally:
        await emu.stop()
