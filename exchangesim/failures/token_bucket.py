"""A token bucket on the injected clock: ``rate`` tokens a second, holding at most ``burst``."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

__all__ = ["SLACK", "TokenBucket"]

SLACK = 1e-6
"""Seconds of clock rounding forgiven: a float clock near 1.7e9 s reads up to 2.4e-7 s off, so a token
due now could count as 0.9999998 of one and be refused (or waited for again) exactly when it is due."""


class TokenBucket:
    """Starts full; ``take`` spends tokens when there are enough, ``wait`` says how long until there are."""

    __slots__ = ("_at", "_clock", "_tokens", "burst", "rate")

    def __init__(self, clock: IReactorTime, rate: float, burst: float) -> None:
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = clock.seconds()

    def retune(self, rate: float, burst: float) -> None:
        """Fill at ``rate`` and hold at most ``burst`` from now on, keeping the tokens there are."""
        self._refill()
        self.rate = rate
        self.burst = burst
        self._tokens = min(self._tokens, burst)

    def _refill(self) -> None:
        now = self._clock.seconds()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self, cost: float = 1.0) -> bool:
        self._refill()
        if self._tokens + self.rate * SLACK >= cost:
            self._tokens -= cost
            return True
        return False

    def wait(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there (0 when they are now)."""
        self._refill()
        wait = (min(cost, self.burst) - self._tokens) / self.rate
        return wait if wait > SLACK else 0.0

    def reserve(self, cost: float = 1.0) -> float:
        """Spend ``cost`` now or in debt; the seconds until the spend is covered (the send time)."""
        self._refill()
        self._tokens -= cost
        wait = -self._tokens / self.rate
        return wait if wait > SLACK else 0.0
