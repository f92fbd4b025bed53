"""Drift checks: none on the first reconcile after start, then about once per resync period."""

from __future__ import annotations

import time
from types import SimpleNamespace

from controller.config import Config
from controller.reconcilers.route import RouteReconciler
from translate.model import Source


def reconciler(resync: float) -> RouteReconciler:
    runtime = SimpleNamespace(config=Config(resync_seconds=resync))
    return RouteReconciler(SimpleNamespace(runtime=runtime))


def test_first_reconcile_trusts_the_fresh_inventory():
    r = reconciler(600)
    assert r._drift_check_due(Source("HTTPRoute", "ns", "a")) is False


def test_due_after_the_period_and_spread_per_source():
    r = reconciler(600)
    sources = [Source("HTTPRoute", "ns", f"r{i}") for i in range(50)]
    for s in sources:
        r._drift_check_due(s)
    # Pretend every source was verified 700 s ago: all are due (period x at most 1.1).
    for s in sources:
        r._verified[s] = time.monotonic() - 700
    assert all(r._drift_check_due(s) for s in sources)
    # 550 s ago: only those whose jittered period is below 550 s (factor < 0.9167) are due.
    for s in sources:
        r._verified[s] = time.monotonic() - 550
    due = sum(r._drift_check_due(s) for s in sources)
    assert 0 < due < len(sources)


def test_resync_zero_turns_drift_checks_off():
    r = reconciler(0)
    s = Source("HTTPRoute", "ns", "a")
    r._drift_check_due(s)
    r._verified[s] = time.monotonic() - 10**6
    assert r._drift_check_due(s) is False
