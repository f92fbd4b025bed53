"""Gateway API hostname intersection (listener hostname × route hostnames)."""

from __future__ import annotations

from collections.abc import Sequence


def _wild_matches(wild: str, host: str) -> bool:
    """`*.example.com` matches any host with at least one more label ending in `.example.com`."""
    suffix = wild[1:]  # ".example.com"
    return host.endswith(suffix) and len(host) > len(suffix)


def intersect_one(listener: str | None, route: str) -> str | None:
    """The hostname both accept, or None. Wildcards keep the more specific side."""
    if not listener:
        return route
    if listener == route:
        return route
    lw, rw = listener.startswith("*."), route.startswith("*.")
    if lw and not rw:
        return route if _wild_matches(listener, route) else None
    if rw and not lw:
        return listener if _wild_matches(route, listener) else None
    if lw and rw:
        if route.endswith(listener[1:]):
            return route
        if listener.endswith(route[1:]):
            return listener
    return None


def intersect(listener: str | None, routes: Sequence[str]) -> list[str] | None:
    """Effective hostnames in route order; [] means "any" (neither side restricts); None means none."""
    if not routes:
        return [listener] if listener else []
    out = [h for h in (intersect_one(listener, r) for r in routes) if h]
    return out or None
