"""What every step of one translation shares: the inputs, plus de-duplicated outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translate.config import TranslateConfig
from translate.policies import Policies
from translate.snapshot import Snapshot


@dataclass
class Context:
    snapshot: Snapshot
    config: TranslateConfig
    policies: Policies
    # Memo tables: many routes share a Service, so its targets and TG config are computed once.
    # Keys are pure functions of the inputs, so memoising cannot change the result.
    memo: dict[Any, Any] = field(default_factory=dict)
    # `config.managed_by` is a property that formats a string; it is read several times per route.
    managed_by: str = field(init=False)

    def __post_init__(self) -> None:
        self.managed_by = self.config.managed_by
