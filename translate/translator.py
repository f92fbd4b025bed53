"""`translate(snapshot, config) -> Translation`: the single entry point."""

from __future__ import annotations

from translate.config import TranslateConfig
from translate.model import Translation
from translate.snapshot import Snapshot


def translate(snapshot: Snapshot, config: TranslateConfig) -> Translation:
    """Translate every object in `snapshot` into the desired Lattice model and outcomes.

    Pure and deterministic: the same objects (in any order) and config give an equal Translation
    whose `to_dict()` serialises to byte-identical JSON.
    """
    return Translation()
