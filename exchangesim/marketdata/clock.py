"""Market time: the simulated clock every market timestamp reads, apart from the wall clock.

The market starts at ``start_ms`` (``[exchange] start_time``, else the wall clock at start) and its
time runs ``speed`` times as fast as the wall clock. The wall clock only says which market time is due
(``due_ms``); the market's own events (ticks, candle closes) run at their exact times, whenever the
reactor gets to them. A client's command is stamped ``now_ms``: the due time, held back to just before
the first market event not yet run, so that it never lands before an event already run nor after one
still to come, and stamps never go backwards.

Paused (``[exchange] clock = manual`` starts so), the market time stands still whatever the wall clock
does, and moves only by ``advance``; resumed, it runs on from where it stood (the paused span never
happens). ``advance`` also works on a running clock: the market jumps ahead and catches up.
"""

from __future__ import annotations

import math

from twisted.internet.interfaces import IReactorTime

__all__ = ["EARLY_S", "MarketClock"]

EARLY_S = 1e-6
"""How early (wall seconds) a moment still counts as reached."""


class MarketClock:
    """Simulated market time in epoch milliseconds, ``speed`` times the wall clock from its start."""

    def __init__(
        self, clock: IReactorTime, speed: float = 1.0, start_ms: int | None = None, paused: bool = False
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self._clock = clock
        self.speed = speed
        self._wall_start = clock.seconds()
        self.start_ms = round(self._wall_start * 1000) if start_ms is None else start_ms
        self.reached_ms = self.start_ms  # the market has run every event up to this time
        self.next_ms: float = math.inf  # the earliest market event still to run
        self._paused_at: int | None = self.start_ms if paused else None  # the due time, while paused

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        """Stop the market time where it is due now."""
        if self._paused_at is None:
            self._paused_at = self.due_ms()

    def resume(self) -> None:
        """Run on from the paused time, at ``speed`` from the wall clock's present."""
        if self._paused_at is not None:
            paused_at, self._paused_at = self._paused_at, None
            self._wall_start = self._clock.seconds() - (paused_at - self.start_ms) / 1000 / self.speed

    def advance(self, ms: int) -> int:
        """Make ``ms`` more market time due (paused or not); returns the market time now due."""
        if ms < 0:
            raise ValueError("market time only moves forward")
        if self._paused_at is not None:
            self._paused_at += ms
        else:
            self._wall_start -= ms / 1000 / self.speed
        return self.due_ms()

    def wall_ms(self) -> int:
        """The wall clock in epoch milliseconds (authentication windows, rate limits, server time)."""
        return int(self._clock.seconds() * 1000)

    def due_ms(self) -> int:
        """The market time the wall clock has reached (a microsecond early counts: float seconds since
        the epoch carry only ~0.2 us, and a timer planned for a time may fire a hair before it)."""
        if self._paused_at is not None:
            return self._paused_at
        elapsed = self._clock.seconds() - self._wall_start + EARLY_S
        return self.start_ms + math.floor(elapsed * 1000 * self.speed)

    def wall_seconds_at(self, market_ms: float) -> float:
        """The wall-clock time (seconds) at which ``market_ms`` falls due (paused: now if it is due,
        else never)."""
        if self._paused_at is not None:
            return self._clock.seconds() if market_ms <= self._paused_at else math.inf
        return self._wall_start + (market_ms - self.start_ms) / 1000 / self.speed

    def now_ms(self) -> int:
        """The market time a command arriving now is stamped with (see the module's docstring)."""
        due = self.due_ms()
        if due >= self.next_ms:
            due = int(self.next_ms) - 1
        return max(self.reached_ms, due)

    def resume_after(self, market_ms: int) -> None:
        """Restart the market time just after ``market_ms`` (a recovered run's last time), if it is later
        than this run's start, so that time never goes backwards across a restart."""
        if market_ms >= self.start_ms:
            self.start_ms = self.reached_ms = market_ms + 1
            if self._paused_at is not None:
                self._paused_at = max(self._paused_at, self.start_ms)
