"""The token bucket on an injected clock: full at start, refilled at its rate, capped at its burst."""

import pytest
from twisted.internet.task import Clock

from exchangesim.failures.token_bucket import TokenBucket

EPOCH = 1_700_000_000.0  # a clock reading like the reactor's, where a float step is not exact


def bucket(rate: float = 10.0, burst: float = 2.0) -> tuple[Clock, TokenBucket]:
    clock = Clock()
    clock.advance(EPOCH)
    return clock, TokenBucket(clock, rate, burst)


def test_a_new_bucket_gives_its_burst_at_once_then_refuses():
    _, tokens = bucket(rate=10, burst=3)
    assert [tokens.take() for _ in range(4)] == [True, True, True, False]


def test_a_token_comes_back_every_one_over_rate_seconds_exactly_on_time():
    clock, tokens = bucket(rate=10, burst=1)
    assert tokens.take()
    for tick in range(1, 51):
        clock.advance(EPOCH + tick * 0.1 - 0.0001 - clock.seconds())
        assert not tokens.take()
        clock.advance(EPOCH + tick * 0.1 - clock.seconds())
        assert tokens.take()


def test_an_idle_bucket_holds_no_more_than_its_burst():
    clock, tokens = bucket(rate=10, burst=2)
    clock.advance(3600)
    assert [tokens.take() for _ in range(3)] == [True, True, False]


def test_wait_says_how_long_until_a_token_and_zero_when_there_is_one():
    clock, tokens = bucket(rate=4, burst=1)
    assert tokens.wait() == 0
    tokens.take()
    assert tokens.wait() == pytest.approx(0.25)
    clock.advance(0.1)
    assert tokens.wait() == pytest.approx(0.15)
    clock.advance(0.15)
    assert tokens.wait() == 0
    assert tokens.take()


def test_costs_above_one_spend_that_many_tokens():
    clock, tokens = bucket(rate=1000, burst=500)
    assert tokens.take(300)
    assert not tokens.take(300)
    assert tokens.wait(300) == pytest.approx(0.1)
    clock.advance(0.1)
    assert tokens.take(300)


def test_reserve_spends_in_debt_and_gives_the_send_time_of_each_spend():
    clock, tokens = bucket(rate=10, burst=2)
    assert [tokens.reserve() for _ in range(5)] == pytest.approx([0, 0, 0.1, 0.2, 0.3])
    clock.advance(0.3)
    assert tokens.reserve() == pytest.approx(0.1, abs=1e-6)  # the debt is paid, the new one waits
    clock.advance(0.1)
    assert tokens.reserve() == pytest.approx(0.1, abs=1e-6)
    clock.advance(EPOCH + 0.6 - clock.seconds())
    assert tokens.reserve() == 0  # due exactly now, not a rounding error's time later
