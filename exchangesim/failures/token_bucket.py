"""A token bucket on the injected clock: ``rate`` tokens a second, holding at most ``burst``."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

__all__ = ["TokenBucket"]


class TokenBucket:
    """Starts full; ``take`` spends tokens when there are enough, ``wait`` says how long until there are."""

    __slots__ = ("_at", "_clock", "_tokens", "burst", "rate")

    def __init__(self, clock: IReactorTime, rate: float, burst: float) -> None:
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = clock.seconds()

    def _refill(self) -> None:
        now = self._clock.seconds()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self, cost: float = 1.0) -> bool:
        self._refill()
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False

    def wait(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there (0 when they are now)."""
        self._refill()
        return max(0.0, (min(cost, self.burst) - self._tokens) / self.rate)

    def reserve(self, cost: float = 1.0) -> float:
        """Spend ``cost`` now or in debt; the seconds until the spend is covered (the send time)."""
        self._refill()
        self._tokens -= cost
        return max(0.0, -self._tokens / self.rate)
