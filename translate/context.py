"""What every step of one translation shares: the inputs, plus de-duplicated outputs."""

from __future__ import annotations

from dataclasses import dataclass

from translate.config import TranslateConfig
from translate.policies import Policies
from translate.snapshot import Snapshot


@dataclass
class Context:
    snapshot: Snapshot
    config: TranslateConfig
    policies: Policies
