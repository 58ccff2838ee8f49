"""``[exchange] clock = manual``: the market time stands still until the admin API advances it, and an
advance answers once its ticks have run (``/api/v1/admin/clock``, driven here on the in-memory venue)."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.marketdata.clock import MarketClock
from exchangesim.marketdata.schedule import MarketSchedule
from exchangesim.testing import START, AdminError, venue

MANUAL = "[exchange]\nclock = manual\n"


def trades(memory):
    return memory.call("GET", "/api/v1/trades?symbol=BTC/USD&limit=1000").json()["trades"]


class MarketClockTests(SynchronousTestCase):
    def test_a_paused_clock_stands_still_moves_by_advance_and_runs_on_from_there(self):
        reactor = Clock()
        reactor.advance(100.0)
        clock = MarketClock(reactor, start_ms=5_000, paused=True)
        reactor.advance(10.0)
        assert (clock.due_ms(), clock.paused) == (5_000, True)
        assert clock.advance(250) == 5_250
        clock.resume()
        reactor.advance(1.0)
        assert clock.due_ms() == 6_250
        clock.pause()
        reactor.advance(3.0)
        assert clock.due_ms() == 6_250
        assert clock.wall_seconds_at(6_250) == reactor.seconds()
        assert clock.wall_seconds_at(6_251) == float("inf")

    def test_the_schedule_answers_an_advance_once_its_events_have_run(self):
        reactor = Clock()
        clock = MarketClock(reactor, start_ms=0, paused=True)
        schedule = MarketSchedule(reactor, clock)
        ran = []
        schedule.add(1000, ran.append)
        schedule.start()
        reactor.advance(60)
        assert ran == [] and reactor.getDelayedCalls() == []  # paused: nothing planned at all
        reached = schedule.reached(clock.advance(2_500))
        reactor.advance(0)
        assert ran == [1000, 2000]
        assert self.successResultOf(reached) == 2_500
        assert self.successResultOf(schedule.reached(clock.advance(300))) == 2_800  # no event: at once


class ManualVenueTests(SynchronousTestCase):
    def test_the_market_starts_paused_and_steps_by_the_admin_api(self):
        with venue(MANUAL) as memory:
            memory.advance(30)
            assert trades(memory) == []
            assert memory.admin.request("GET", "/clock") == {
                "mode": "manual",
                "paused": True,
                "market_time": START * 1000,
                "speed": 1.0,
            }
            stepped = memory.admin.request("POST", "/clock", {"advance_ms": 2000})
            assert (stepped["market_time"], stepped["advanced_ms"]) == (START * 1000 + 2000, 2000)
            assert trades(memory)
            events = memory.faults_injected(include_control=True)
            assert [(e["action"], e.get("advance_ms")) for e in events] == [("clock_advance", 2000)]

    def test_stepped_it_trades_what_a_running_market_trades(self):
        with venue(MANUAL, seed=3) as stepped:
            for _ in range(4):
                stepped.admin.request("POST", "/clock", {"advance_ms": 750})
            stepped_trades = trades(stepped)
        with venue(seed=3) as running:
            running.advance(3.0)
            assert trades(running) == stepped_trades

    def test_pause_and_resume_and_the_limits_of_an_advance(self):
        with venue() as memory:
            assert memory.admin.request("POST", "/clock/pause")["paused"] is True
            memory.advance(5)
            assert memory.now_ms() == START * 1000
            assert memory.admin.request("POST", "/clock/resume")["paused"] is False
            memory.advance(1)
            assert memory.now_ms() == START * 1000 + 1000  # the paused span never happened
            for wrong in (-1, 1.5, "10", 86_400_001):
                with self.assertRaises(AdminError) as refused:
                    memory.admin.request("POST", "/clock", {"advance_ms": wrong})
                assert refused.exception.status == 400, wrong
