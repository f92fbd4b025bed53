"""Fingerprints of desired resources, for change detection across reconciles and restarts."""

from __future__ import annotations

import hashlib
from typing import Any

from translate.frozen import canonical_json


def fingerprint(value: Any) -> str:
    """24 hex digits of SHA-256 over the canonical JSON (sorted keys, no whitespace)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()[:24]
