"""The market's schedule: every symbol's ticks and the candle closes, run one by one in market time.

A timer's k-th run is due at ``first + k * interval`` of market time (``MarketClock``); the wall clock
only says which market time is due. Each reactor call runs every event due by then, each at its own
time, in time order and, at equal times, in the order the timers were added (the candles, then the
symbols in the config's order). So the same seed gives the same market at any load and any speed: a
stalled reactor runs the missed events later, exactly as it would have on time (DESIGN §10.4).

A long catch-up runs ``span_ms`` of market time per reactor turn, so requests are served in between.
Nothing is skipped or merged: a market the machine cannot keep up with falls behind, which ``lag``
reports and a warning logs.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from .clock import EARLY_S, MarketClock

__all__ = ["MarketSchedule", "Timer"]

SPAN_MS = 50
"""Market time run in one reactor turn at most, while catching up."""
LAG_WARNING_S = 1.0
"""A market this far behind the wall clock logs a warning (at most every ``LAG_WARNING_EVERY_S``)."""
LAG_WARNING_EVERY_S = 10.0


@attrs.define(eq=False)
class Timer:
    """One market event: ``action(ts)`` every ``interval_ms`` of market time (0: once)."""

    interval_ms: int
    action: Callable[[int], object]
    order: int
    next_ms: int
    runs: int = 0
    running: bool = True
    generation: int = 0  # heap entries of an earlier generation are stale (paused, then resumed)


class MarketSchedule:
    """Runs the timers' events in market-time order as the wall clock makes them due."""

    log = Logger()

    def __init__(self, clock: IReactorTime, market_clock: MarketClock, span_ms: int = SPAN_MS) -> None:
        self._clock = clock
        self.market_clock = market_clock
        self._span_ms = span_ms
        self._timers: list[Timer] = []
        self._early = 0  # order of the one-off timers: before every periodic one at the same time
        self._heap: list[tuple[int, int, int, Timer]] = []
        self._call: IDelayedCall | None = None
        self._started = False
        self._warned_at = -math.inf
        self._waiters: list[tuple[int, Deferred[int]]] = []

    @property
    def planned(self) -> IDelayedCall | None:
        """The reactor call that runs the next events due (None: nothing is planned)."""
        return self._call

    def reached(self, market_ms: int) -> Deferred[int]:
        """Fires with the market time reached once every event up to ``market_ms`` has run."""
        waiter: Deferred[int] = Deferred()
        self._waiters.append((market_ms, waiter))
        self.wake()
        return waiter

    def wake(self) -> None:
        """The market clock moved (advanced, paused or resumed): plan the next run anew."""
        if self._started:
            self._plan()
        if self._next_ms() > self.market_clock.due_ms():  # nothing to run up to the due time
            self.market_clock.reached_ms = max(self.market_clock.reached_ms, self.market_clock.due_ms())
            self._answer_waiters()

    def _answer_waiters(self) -> None:
        reached = self.market_clock.reached_ms
        done = [waiter for target, waiter in self._waiters if target <= reached]
        self._waiters = [(target, waiter) for target, waiter in self._waiters if target > reached]
        for waiter in done:
            waiter.callback(reached)

    def add(
        self,
        interval_ms: int,
        action: Callable[[int], object],
        first_ms: int | None = None,
    ) -> Timer:
        """A timer running ``action`` every ``interval_ms``, first at ``first_ms`` (default: one interval
        after the market time reached)."""
        if interval_ms < 1:
            raise ValueError("interval_ms must be at least 1")
        if first_ms is None:
            first_ms = self.market_clock.reached_ms + interval_ms
        timer = Timer(interval_ms, action, len(self._timers), first_ms)
        self._timers.append(timer)
        self._push(timer)
        return timer

    def once(self, at_ms: int, action: Callable[[int], object], period_ms: int | None = None) -> Timer:
        """A timer running ``action`` at market time ``at_ms`` (then every ``period_ms``, if given),
        before the ticks of that time: a change of conditions applies to the tick it falls on."""
        self._early -= 1
        timer = Timer(period_ms or 0, action, self._early, at_ms)
        self._push(timer)
        return timer

    def pause(self, timer: Timer) -> None:
        """Stop running ``timer`` (its events while paused never happen)."""
        timer.running = False
        timer.generation += 1

    def resume(self, timer: Timer) -> None:
        """Run ``timer`` again from its next grid time after the market's present."""
        if timer.running:
            return
        now = self.market_clock.now_ms()
        if timer.next_ms <= now:
            timer.next_ms += ((now - timer.next_ms) // timer.interval_ms + 1) * timer.interval_ms
        timer.running = True
        self._push(timer)

    def start(self) -> None:
        self._started = True
        self._plan()

    def stop(self) -> None:
        self._started = False
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None

    def lag(self, timer: Timer | None = None) -> float:
        """Wall-clock seconds the earliest event still to run (of ``timer``, if given) is overdue: 0
        when the market is on time."""
        next_ms = self._next_ms() if timer is None else timer.next_ms
        if next_ms > self.market_clock.due_ms():
            return 0.0
        return max(0.0, self._clock.seconds() - self.market_clock.wall_seconds_at(next_ms))

    def _push(self, timer: Timer) -> None:
        heapq.heappush(self._heap, (timer.next_ms, timer.order, timer.generation, timer))
        self.market_clock.next_ms = self._next_ms()
        if self._started:
            self._plan()

    def _next_ms(self) -> float:
        heap = self._heap
        while heap and heap[0][2] != heap[0][3].generation:  # drop the stale entries of paused timers
            heapq.heappop(heap)
        return heap[0][0] if heap else math.inf

    def _plan(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
        next_ms = self._next_ms()
        if next_ms < math.inf:
            # Planned half the clock's tolerance early, so that float rounding never leaves it short.
            delay = self.market_clock.wall_seconds_at(next_ms) - self._clock.seconds() - EARLY_S / 2
            if delay < math.inf:  # a paused clock never makes a later event due
                self._call = self._clock.callLater(max(0.0, delay), self._run)

    def _run(self) -> None:
        """Run every event due, up to ``span_ms`` of market time; then plan the next call."""
        self._call = None
        market_clock = self.market_clock
        due = market_clock.due_ms()
        until = min(due, market_clock.reached_ms + self._span_ms)
        while self._next_ms() <= until:
            self._fire()
        if self._next_ms() > due:  # nothing else is due: the market has reached the due time
            until = due
        market_clock.reached_ms = max(market_clock.reached_ms, until)
        market_clock.next_ms = self._next_ms()
        if self._waiters:
            self._answer_waiters()
        self._warn_if_behind()
        if self._started:
            self._plan()

    def _fire(self) -> None:
        """Run the earliest event (at its time: while it runs, the market's present is its time)."""
        market_clock = self.market_clock
        ts, _, _, timer = heapq.heappop(self._heap)
        timer.runs += 1
        if timer.interval_ms:
            timer.next_ms = ts + timer.interval_ms
            heapq.heappush(self._heap, (timer.next_ms, timer.order, timer.generation, timer))
        else:  # a one-off timer is done
            timer.running = False
        market_clock.reached_ms = market_clock.next_ms = ts
        try:
            timer.action(ts)
        except Exception:
            self.log.failure("a market event at {ts} failed; the market goes on", ts=ts)

    def _warn_if_behind(self) -> None:
        lag = self.lag()
        now = self._clock.seconds()
        if lag >= LAG_WARNING_S and now - self._warned_at >= LAG_WARNING_EVERY_S:
            self._warned_at = now
            self.log.warn(
                "the market runs {lag:.1f} s behind the clock: this machine cannot keep up with its"
                " speed and tick_interval_ms (no tick is skipped; the lag grows until the load falls)",
                lag=lag,
            )
