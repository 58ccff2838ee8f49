"""Market time: its start, its speed, and what a client's command is stamped with."""

import math

import pytest
from twisted.internet.task import Clock

from exchangesim.marketdata.clock import MarketClock


def test_market_time_starts_at_the_wall_clock_and_runs_at_speed():
    clock = Clock()
    clock.advance(1_700_000_000.5)
    market = MarketClock(clock, speed=10)
    assert market.start_ms == 1_700_000_000_500
    clock.advance(2)
    assert market.due_ms() == 1_700_000_020_500
    assert market.wall_ms() == 1_700_000_002_500


def test_a_fixed_start_time_is_the_market_time_at_start():
    clock = Clock()
    clock.advance(1_700_000_000)
    market = MarketClock(clock, start_ms=1_704_067_200_000)
    clock.advance(1.5)
    assert market.due_ms() == 1_704_067_201_500
    assert market.wall_seconds_at(1_704_067_202_000) == pytest.approx(1_700_000_002)


def test_a_command_is_stamped_with_the_due_time_while_the_market_is_on_time():
    clock = Clock()
    market = MarketClock(clock)
    market.next_ms = 1000
    clock.advance(0.4)
    assert market.now_ms() == 400


def test_a_command_is_held_before_the_first_market_event_still_to_run():
    clock = Clock()
    market = MarketClock(clock)
    market.reached_ms, market.next_ms = 300, 301
    clock.advance(2)  # the market lags: events from 301 on are still to run
    assert market.now_ms() == 300
    market.reached_ms = market.next_ms = 500  # an event at 500 is running
    assert market.now_ms() == 500


def test_stamps_never_go_backwards_over_a_restart():
    clock = Clock()
    market = MarketClock(clock, start_ms=1000)
    market.resume_after(5000)
    assert market.start_ms == market.reached_ms == 5001
    market.resume_after(10)
    assert market.start_ms == 5001
    assert market.next_ms == math.inf


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed"):
        MarketClock(Clock(), speed=0)
