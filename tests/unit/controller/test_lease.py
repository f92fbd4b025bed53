"""The pure half of leader election: `decide` and the observation clock."""

import pytest

from controller.leader.lease import Acquire, ElectionConfig, LeaseSpec, Observer, Wait, decide, micro_time

NOW = "2026-11-22T10:00:00.000000Z"


def spec(holder, duration=15, transitions=3):
    return LeaseSpec(holder, duration, "2026-11-22T09:00:00.000000Z", "2026-11-22T09:59:59.000000Z", transitions)


def test_no_lease_creates_it():
    d = decide(None, "me", observed_for=0, lease_duration=15, now_text=NOW)
    assert isinstance(d, Acquire) and d.takeover
    assert d.spec == LeaseSpec("me", 15, NOW, NOW, 0)


def test_held_by_other_and_fresh_waits():
    d = decide(spec("other"), "me", observed_for=14.9, lease_duration=15, now_text=NOW)
    assert isinstance(d, Wait) and d.holder == "other" and d.for_seconds == pytest.approx(0.1)


def test_held_by_other_but_unchanged_for_a_lease_duration_is_taken():
    d = decide(spec("other"), "me", observed_for=15.0, lease_duration=15, now_text=NOW)
    assert isinstance(d, Acquire) and d.takeover
    assert d.spec.holder == "me" and d.spec.transitions == 4 and d.spec.acquire_time == NOW


def test_holder_longer_duration_is_honoured():
    d = decide(spec("other", duration=60), "me", observed_for=30, lease_duration=15, now_text=NOW)
    assert isinstance(d, Wait)


def test_renew_keeps_acquire_time_and_transitions():
    d = decide(spec("me"), "me", observed_for=100, lease_duration=15, now_text=NOW)
    assert isinstance(d, Acquire) and not d.takeover
    assert d.spec.acquire_time == "2026-11-22T09:00:00.000000Z" and d.spec.renew_time == NOW
    assert d.spec.transitions == 3


def test_released_lease_is_taken_at_once():
    d = decide(spec("", duration=1), "me", observed_for=0, lease_duration=15, now_text=NOW)
    assert isinstance(d, Acquire) and d.takeover and d.spec.transitions == 4


def test_observer_resets_on_change_only():
    t = [0.0]
    obs = Observer(lambda: t[0])
    assert obs.observe(spec("a")) == 0
    t[0] = 5
    assert obs.observe(spec("a")) == 5
    t[0] = 6
    changed = LeaseSpec("a", 15, "x", "2026-11-22T10:00:01.000000Z", 3)
    assert obs.observe(changed) == 0
    t[0] = 8
    assert obs.observe(changed) == 2


def test_election_config_checks_like_client_go():
    ElectionConfig("ns", "l", "me").validate()
    with pytest.raises(ValueError):
        ElectionConfig("ns", "l", "me", lease_duration=10, renew_deadline=10).validate()
    with pytest.raises(ValueError):
        ElectionConfig("ns", "l", "me", renew_deadline=2.4, retry_period=2).validate()


def test_micro_time_format():
    import datetime as dt

    assert micro_time(dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)) == "2026-01-02T03:04:05.000006Z"
