"""What the request front ends (`json_front`, `control`) need of the emulator process.

`server.Emulator` implements it; the front ends depend on this small protocol rather than on the
server module that imports them, so the emulator's modules form no import cycle.
"""

from __future__ import annotations

from typing import Protocol

from .calls import CallStats
from .config import EmulatorConfig
from .faults import Faults
from .store import Store


class EmulatorCore(Protocol):
    config: EmulatorConfig
    store: Store
    faults: Faults
    calls: CallStats
    generation: int  # bumped by every mutation, so the saver knows when to write

    def now(self) -> float: ...

    def advance_clock(self, seconds: float) -> float: ...

    def tick_all(self) -> None: ...

    def save(self) -> bool: ...

    def reset(self) -> None: ...
