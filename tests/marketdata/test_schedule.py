"""The tick schedule on a task.Clock: due times from the start, catch-up in one call, no drift."""

import pytest
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from exchangesim.marketdata.schedule import TickSchedule


def run(interval=0.001, speed=1.0):
    clock, calls = Clock(), []
    schedule = TickSchedule(clock, interval, calls.append, speed)
    schedule.start()
    return clock, calls, schedule


def test_ticks_come_one_at_a_time_on_time():
    clock, calls, schedule = run()
    clock.pump([0.001] * 1000)
    assert calls == [1] * 1000
    assert schedule.ticks == 1000
    assert schedule.lag() == pytest.approx(0, abs=1e-9)


def test_a_late_reactor_catches_up_in_one_call_and_does_not_drift():
    clock, calls, schedule = run()
    clock.advance(0.0105)  # the reactor was stuck for 10.5 ticks
    assert calls == [10]
    assert schedule.lag() == pytest.approx(0.0005)
    clock.advance(0.0005)  # the next call is due at t0 + 11 ms, not 1 ms after the late one
    assert calls == [10, 1]


def test_a_500_ms_stall_yields_the_same_number_of_ticks_as_no_stall():
    steady_clock, steady, _ = run()
    steady_clock.pump([0.001] * 2000)
    stalled_clock, stalled, _ = run()
    stalled_clock.pump([0.001] * 700 + [0.5] + [0.001] * 800)
    assert sum(stalled) == sum(steady) == 2000
    assert max(stalled) == 500


def test_speed_runs_the_market_faster_than_the_clock():
    clock, calls, _ = run(interval=0.01, speed=10)
    clock.advance(0.001)
    clock.advance(0.0095)
    assert calls == [1, 9]


def test_a_long_run_on_float_steps_loses_no_tick():
    clock, calls, _ = run(interval=0.003)
    for _ in range(100_000):
        clock.advance(0.0007)
    assert sum(calls) == int(100_000 * 0.0007 / 0.003 + 1e-9)


def test_stop_cancels_and_start_begins_anew():
    clock, calls, schedule = run()
    clock.advance(0.002)
    schedule.stop()
    assert not clock.getDelayedCalls()
    clock.advance(1)
    assert calls == [2]
    schedule.start()
    clock.advance(0.001)
    assert calls == [2, 1] and schedule.ticks == 1


def test_a_failing_handler_does_not_stop_the_schedule():
    clock = Clock()
    calls = []

    def handler(ticks):
        calls.append(ticks)
        raise RuntimeError("boom")

    schedule = TickSchedule(clock, 0.001, handler)
    schedule.start()
    with capturedLogs() as events:
        clock.pump([0.001] * 3)
    assert calls == [1, 1, 1]
    assert [e["log_failure"].value.args for e in events] == [("boom",)] * 3


@pytest.mark.parametrize(("interval", "speed"), [(0, 1), (-1, 1), (0.001, 0)])
def test_a_schedule_needs_positive_interval_and_speed(interval, speed):
    with pytest.raises(ValueError, match="positive"):
        TickSchedule(Clock(), interval, lambda ticks: None, speed)


def test_at_epoch_scale_times_each_call_hands_over_a_tick():
    clock = Clock()
    clock.advance(1_700_000_000.0)  # where float seconds are coarse
    calls = []
    TickSchedule(clock, 0.01, calls.append).start()
    for _ in range(1000):
        clock.advance(0.01)
    assert abs(sum(calls) - 1000) <= 1 and set(calls) <= {1, 2}  # the clock's own sum drifts a little
