"""A drift-free tick schedule: tick k is due at ``t0 + k * interval``, whatever the reactor does.

Each call is planned from the start time, never from the previous call, so lateness does not add
up. When the reactor comes back late, every tick that fell due meanwhile is handed over in one
call (``on_tick(k)``): the model advances all k ticks, so the price path is the same with or
without stalls (DESIGN §10.4), and fewer updates are published.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

__all__ = ["TickSchedule"]


class TickSchedule:
    """Calls ``on_tick(ticks)`` with the number of ticks due, ``interval / speed`` seconds apart."""

    log = Logger()

    def __init__(
        self, clock: IReactorTime, interval: float, on_tick: Callable[[int], object], speed: float = 1.0
    ) -> None:
        if not interval > 0 or not speed > 0:
            raise ValueError("interval and speed must be positive")
        self._clock = clock
        self._period = interval / speed  # seconds of the clock between two ticks
        self._on_tick = on_tick
        self._start: float | None = None
        self._done = 0  # ticks handed over since the start
        self._call: IDelayedCall | None = None

    @property
    def running(self) -> bool:
        return self._start is not None

    @property
    def ticks(self) -> int:
        """Ticks handed over since the schedule started."""
        return self._done

    def start(self) -> None:
        """Start now: the first tick is due one period from now."""
        if self._start is None:
            self._start = self._clock.seconds()
            self._done = 0
            self._plan()

    def stop(self) -> None:
        """Stop; a later ``start`` begins a new schedule from that moment."""
        self._start = None
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None

    def lag(self) -> float:
        """Seconds since the last tick handed over fell due: how late it was, right after a tick."""
        if self._start is None:
            return 0.0
        return (self._clock.seconds() - self._start) - self._done * self._period

    def _due(self) -> int:
        """Ticks due by now since the start (a microsecond early counts: float seconds are coarse)."""
        assert self._start is not None
        return math.floor((self._clock.seconds() - self._start + 1e-6) / self._period)

    def _plan(self) -> None:
        assert self._start is not None
        due_at = self._start + (self._done + 1) * self._period
        self._call = self._clock.callLater(max(0.0, due_at - self._clock.seconds()), self._fire)

    def _fire(self) -> None:
        self._call = None
        # This call was planned for tick done + 1 and a reactor never runs a call early, so at
        # least that tick is due, whatever float rounding says (seconds since the epoch carry
        # only ~0.2 us of precision).
        ticks = max(1, self._due() - self._done)
        self._done += ticks
        try:
            self._on_tick(ticks)
        except Exception:
            self.log.failure("a tick handler failed; the schedule goes on")
        if self._start is not None:
            self._plan()
