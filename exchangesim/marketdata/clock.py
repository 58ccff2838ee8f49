"""Market time: the simulated clock every market timestamp reads, apart from the wall clock.

The market starts at ``start_ms`` (``[exchange] start_time``, else the wall clock at start) and its
time runs ``speed`` times as fast as the wall clock. The wall clock only says which market time is due
(``due_ms``); the market's own events (ticks, candle closes) run at their exact times, whenever the
reactor gets to them. A client's command is stamped ``now_ms``: the due time, held back to just before
the first market event not yet run, so that it never lands before an event already run nor after one
still to come, and stamps never go backwards.
"""

from __future__ import annotations

import math

from twisted.internet.interfaces import IReactorTime

__all__ = ["EARLY_S", "MarketClock"]

EARLY_S = 1e-6
"""How early (wall seconds) a moment still counts as reached."""


class MarketClock:
    """Simulated market time in epoch milliseconds, ``speed`` times the wall clock from its start."""

    def __init__(self, clock: IReactorTime, speed: float = 1.0, start_ms: int | None = None) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self._clock = clock
        self.speed = speed
        self._wall_start = clock.seconds()
        self.start_ms = round(self._wall_start * 1000) if start_ms is None else start_ms
        self.reached_ms = self.start_ms  # the market has run every event up to this time
        self.next_ms: float = math.inf  # the earliest market event still to run

    def wall_ms(self) -> int:
        """The wall clock in epoch milliseconds (authentication windows, rate limits, server time)."""
        return int(self._clock.seconds() * 1000)

    def due_ms(self) -> int:
        """The market time the wall clock has reached (a microsecond early counts: float seconds since
        the epoch carry only ~0.2 us, and a timer planned for a time may fire a hair before it)."""
        elapsed = self._clock.seconds() - self._wall_start + EARLY_S
        return self.start_ms + math.floor(elapsed * 1000 * self.speed)

    def wall_seconds_at(self, market_ms: float) -> float:
        """The wall-clock time (seconds) at which ``market_ms`` falls due."""
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
