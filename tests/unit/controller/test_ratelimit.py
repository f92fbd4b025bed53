import pytest

from controller.queue.ratelimit import Backoff, TokenBucket


@pytest.mark.parametrize(
    "failures,expected",
    [(0, 0.0), (1, 0.005), (2, 0.01), (3, 0.02), (10, 2.56), (18, 655.36), (19, 1000.0), (500, 1000.0)],
)
def test_backoff_table(failures, expected):
    assert Backoff(jitter=0).delay(failures) == pytest.approx(expected)


def test_jitter_only_adds_and_respects_cap():
    b = Backoff(jitter=0.1)
    assert b.delay(3, rand=lambda: 0.0) == pytest.approx(0.02)
    assert b.delay(3, rand=lambda: 0.999) == pytest.approx(0.02 * 1.0999)
    assert b.delay(40, rand=lambda: 0.999) == 1000.0


def test_bucket_burst_then_rate():
    b = TokenBucket(qps=10, burst=3, now=0.0)
    assert [b.reserve(0.0) for _ in range(3)] == [0, 0, 0]
    assert b.reserve(0.0) == pytest.approx(0.1)
    assert b.reserve(0.0) == pytest.approx(0.2)
    # 1 s later the debt (2 tokens) is repaid and 8 more accrue, capped at burst 3
    assert b.tokens(1.0) == pytest.approx(3.0)


def test_bucket_disabled():
    b = TokenBucket(qps=0, burst=0, now=0.0)
    assert all(b.reserve(0.0) == 0 for _ in range(1000))
