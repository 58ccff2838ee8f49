"""The market schedule on a task.Clock: every event at its own market time, in order, whatever the load."""

import pytest
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from exchangesim.marketdata.clock import MarketClock
from exchangesim.marketdata.schedule import SPAN_MS, MarketSchedule


def run(*intervals, speed=1.0, start_ms=None):
    """A started schedule with one recording timer per interval; ``calls`` gets (timer index, ts)."""
    clock = Clock()
    market_clock = MarketClock(clock, speed, start_ms)
    schedule = MarketSchedule(clock, market_clock)
    calls = []
    timers = [
        schedule.add(interval, lambda ts, index=index: calls.append((index, ts)))
        for index, interval in enumerate(intervals)
    ]
    schedule.start()
    return clock, calls, schedule, timers


def test_ticks_come_one_at_a_time_on_time():
    clock, calls, schedule, _ = run(1)
    clock.pump([0.001] * 1000)
    assert calls == [(0, ts) for ts in range(1, 1001)]
    assert schedule.lag() == 0


def test_a_stalled_reactor_runs_every_missed_tick_at_its_own_time():
    clock, calls, _, _ = run(1)
    clock.advance(0.0105)  # the reactor was stuck for 10.5 ticks
    assert calls == [(0, ts) for ts in range(1, 11)]
    clock.advance(0.0005)  # the next one is due at 11 ms, not 1 ms after the late call
    assert calls[-1] == (0, 11)


def test_a_stall_changes_nothing_but_when_the_events_run():
    steady_clock, steady, _, _ = run(1, 3)
    steady_clock.pump([0.001] * 2000)
    stalled_clock, stalled, _, _ = run(1, 3)
    stalled_clock.pump([0.001] * 700 + [0.5] + [0.001] * 800)
    assert stalled == steady


def test_events_run_in_time_order_and_equal_times_in_the_order_added():
    clock, calls, _, _ = run(3, 2)
    clock.advance(0.007)
    assert calls == [(1, 2), (0, 3), (1, 4), (0, 6), (1, 6)]


def test_a_long_catch_up_runs_in_spans_across_reactor_turns():
    clock = Clock()
    schedule = MarketSchedule(clock, MarketClock(clock))
    ran = []
    schedule.add(1, ran.append)
    schedule.start()
    turns = []  # (delay of the next call, ticks run so far) as each turn plans the next
    real_call_later = clock.callLater
    clock.callLater = lambda delay, f, *a: turns.append((delay, len(ran))) or real_call_later(delay, f, *a)
    clock.advance(1.0)  # one late call: a thousand ticks are due, each span in a turn of its own
    spans = 1000 // SPAN_MS
    assert turns[: spans - 1] == [(0.0, SPAN_MS * k) for k in range(1, spans)]
    assert ran == list(range(1, 1001))
    assert schedule.lag() == 0


def test_a_one_off_event_runs_before_the_ticks_of_its_time_within_a_turn():
    clock, calls, schedule, _ = run(1)
    schedule.once(25, lambda ts: calls.append(("once", ts)))
    clock.advance(0.05)  # one late call: a turn runs the ticks 1 to 50, the one-off among them
    assert calls[23:27] == [(0, 24), ("once", 25), (0, 25), (0, 26)]


def test_a_market_that_cannot_keep_up_warns_of_its_lag():
    clock, _, _, _ = run(1)
    with capturedLogs() as events:
        clock.advance(5.0)
    warnings = [e for e in events if "behind the clock" in e["log_format"]]
    assert len(warnings) == 1 and warnings[0]["lag"] == pytest.approx(
        5.0 - (SPAN_MS + 1) / 1000
    )  # tick 51 overdue


def test_speed_runs_market_time_faster_than_the_clock():
    clock, calls, _, _ = run(10, speed=10)
    clock.advance(0.001)
    clock.advance(0.0095)
    assert [ts for _, ts in calls] == list(range(10, 110, 10))


def test_ticks_fall_on_the_grid_of_a_fixed_start_time():
    clock, calls, _, _ = run(250, start_ms=1_704_067_200_000)
    clock.advance(1.0)
    assert [ts for _, ts in calls] == [1_704_067_200_000 + 250 * k for k in range(1, 5)]


def test_a_paused_timer_skips_its_ticks_and_resumes_on_its_grid():
    clock, calls, schedule, (timer,) = run(10)
    clock.advance(0.025)
    schedule.pause(timer)
    clock.advance(0.1)
    assert [ts for _, ts in calls] == [10, 20]
    schedule.resume(timer)
    clock.advance(0.02)
    assert [ts for _, ts in calls] == [10, 20, 130, 140]


def test_a_failing_event_does_not_stop_the_schedule():
    clock = Clock()
    schedule = MarketSchedule(clock, MarketClock(clock))
    calls = []

    def fail(ts):
        calls.append(ts)
        raise RuntimeError("boom")

    schedule.add(1, fail)
    schedule.start()
    with capturedLogs() as events:
        clock.pump([0.001] * 3)
    assert calls == [1, 2, 3]
    assert [e["log_failure"].value.args for e in events] == [("boom",)] * 3


def test_stop_leaves_no_timer_behind():
    clock, calls, schedule, _ = run(1)
    clock.advance(0.002)
    schedule.stop()
    assert not clock.getDelayedCalls()
    clock.advance(1)
    assert len(calls) == 2


def test_at_epoch_scale_times_no_tick_is_lost_or_early():
    clock = Clock()
    clock.advance(1_700_000_000.0)  # where float seconds are coarse
    market_clock = MarketClock(clock)
    schedule = MarketSchedule(clock, market_clock)
    calls = []
    schedule.add(10, calls.append)
    schedule.start()
    for _ in range(1000):
        clock.advance(0.01)
    start = market_clock.start_ms
    assert calls[:999] == [start + 10 * k for k in range(1, 1000)]


def test_an_interval_under_a_millisecond_is_refused():
    clock = Clock()
    with pytest.raises(ValueError, match="interval_ms"):
        MarketSchedule(clock, MarketClock(clock)).add(0, print)
