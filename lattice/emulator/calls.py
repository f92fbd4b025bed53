"""Per-operation call counters and server-side timings (for cost tests and benchmarks)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict, deque
from typing import Any

# Enough samples for stable percentiles while bounding memory per operation.
SAMPLES = 20_000
# Throttling answers: Lattice's code, and the Tagging API's name for it.
THROTTLED = ("ThrottlingException", "ThrottledException")


class CallStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.counts: Counter[str] = Counter()
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.times: defaultdict[str, deque[float]] = defaultdict(lambda: deque(maxlen=SAMPLES))

    def record(self, operation: str, outcome: str, seconds: float | None) -> None:
        self.counts[operation] += 1
        self.outcomes[operation][outcome] += 1
        if seconds is not None:
            self.times[operation].append(seconds)

    def to_json(self) -> dict[str, Any]:
        timing = {}
        for op, samples in self.times.items():
            if not samples:
                continue
            ordered = sorted(samples)
            n = len(ordered)
            timing[op] = {
                "samples": n,
                "p50_ms": round(statistics.median(ordered) * 1000, 4),
                "p90_ms": round(ordered[min(n - 1, int(n * 0.9))] * 1000, 4),
                "p99_ms": round(ordered[min(n - 1, int(n * 0.99))] * 1000, 4),
                "mean_ms": round(sum(ordered) / n * 1000, 4),
            }
        throttled = {op: n for op, c in self.outcomes.items() if (n := sum(c.get(code, 0) for code in THROTTLED))}
        return {
            "calls": dict(self.counts),
            "total": sum(self.counts.values()),
            "outcomes": {op: dict(c) for op, c in self.outcomes.items()},
            "throttled": throttled,
            "throttled_total": sum(throttled.values()),
            "timing": timing,
        }
