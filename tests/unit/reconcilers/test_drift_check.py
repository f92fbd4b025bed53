"""Drift checks: none on the first reconcile after start, then about once per resync period."""

from __future__ import annotations

from controller.reconcilers.drift import DriftClock
from translate.model import Source


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_first_reconcile_trusts_what_it_knows():
    assert DriftClock(lambda: 600, Clock()).due(Source("HTTPRoute", "ns", "a")) is False


def test_due_after_the_period_and_spread_per_source():
    clock = Clock()
    drift = DriftClock(lambda: 600, clock)
    sources = [Source("HTTPRoute", "ns", f"r{i}") for i in range(50)]
    assert not any(drift.due(s) for s in sources)
    # 550 s later: only those whose jittered period is below 550 s (factor < 0.9167) are due.
    clock.now += 550
    due = sum(drift.due(s) for s in sources)
    assert 0 < due < len(sources)
    # 700 s after the first look: every source is due (period x at most 1.1) ...
    clock.now += 150
    assert all(drift.due(s) for s in sources)
    # ... until it is verified again.
    drift.verified(sources[0])
    assert not drift.due(sources[0])
    drift.forget(sources[1])
    assert not drift.due(sources[1])  # forgotten: like a first sight


def test_resync_zero_turns_drift_checks_off():
    clock = Clock()
    drift = DriftClock(lambda: 0, clock)
    s = Source("HTTPRoute", "ns", "a")
    drift.due(s)
    clock.now += 10**6
    assert drift.due(s) is False
