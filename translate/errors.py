"""Why one route rule cannot be programmed (the rest of the route still is)."""

from __future__ import annotations


class RuleRejected(Exception):
    """Raised while building one Gateway API rule; carries a Gateway API reason and a message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
