"""When orders arrive, in market time: a Hawkes process (self-exciting), Poisson when it does not excite.

Each arrival raises the intensity by ``branching / memory``, which then decays with time constant
``memory``; the baseline is set so that the long-run rate is ``rate`` (Bacry, Mastromatteo, Muzy,
"Hawkes processes in finance", 2015). Arrivals come in bursts, as real order flow does: counts over a
window vary far more than a Poisson process's. Simulated exactly by thinning (Ogata): between arrivals
the intensity only decays, so its present value bounds it until the next one. Every draw comes from
the owner's seeded stream, one arrival at a time, so the times do not depend on how ticks are run.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Arrivals"]


class Arrivals:
    """Arrival times in milliseconds of market time, ``rate`` a second on average."""

    def __init__(self, rate: float, branching: float, memory_ms: float, rng: np.random.Generator) -> None:
        if not 0 <= branching < 1:
            raise ValueError("branching must be at least 0 and below 1")
        self._baseline = rate * (1 - branching) / 1000  # per millisecond
        self._jump = branching / memory_ms  # intensity an arrival adds, per millisecond
        self._memory_ms = memory_ms
        self._rng = rng
        self._excitement = 0.0  # intensity above the baseline at ``_at``
        self._at = 0.0
        self.next_ms: float = math.inf  # the next arrival; none before ``begin``

    def begin(self, ts: float) -> None:
        """Start arriving from ``ts``, calm."""
        self._at, self._excitement = ts, 0.0
        self.next_ms = self._draw_next()

    def advance(self) -> float:
        """The arrival at ``next_ms`` has happened: excite, draw the next; return its time."""
        self._excitement += self._jump
        self.next_ms = self._draw_next()
        return self.next_ms

    def state(self) -> tuple[float, float, float]:
        return self._at, self._excitement, self.next_ms

    def restore(self, state: tuple[float, float, float]) -> None:
        self._at, self._excitement, self.next_ms = state

    def _draw_next(self) -> float:
        if self._baseline <= 0:
            return math.inf
        rng = self._rng
        while True:
            bound = self._baseline + self._excitement
            at = self._at + rng.exponential(1 / bound)
            self._excitement *= math.exp((self._at - at) / self._memory_ms)
            self._at = at
            if self._jump == 0 or rng.random() * bound <= self._baseline + self._excitement:
                return at
