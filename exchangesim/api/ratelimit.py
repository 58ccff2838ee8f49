"""Per-key request weight per minute on the injected clock: the one limiter both dialects map their 429s onto.

A key spends weight in fixed one-minute windows. A request past the limit is refused (``THROTTLED``);
a key that keeps sending after that in the same window is banned until the window ends (``BANNED``).
A request is charged to the API key it proved it holds (its credentials passed the dialect's check;
one budget per key across both dialects), else to its client address: inventing keys, or sending
someone else's key without its secret, neither buys weight nor spends theirs. Each dialect words a
refusal its own way (a native 429 ``RATE_LIMITED``; Binance's -1003, 429 then 418).
"""

from __future__ import annotations

import math

import attrs
from twisted.internet.interfaces import IReactorTime

__all__ = ["ALLOWED", "BANNED", "THROTTLED", "Charge", "WeightLimiter"]

ALLOWED, THROTTLED, BANNED = "allowed", "throttled", "banned"
WINDOW_MS = 60_000


@attrs.frozen
class Charge:
    """What one request cost: the verdict, the weight used in the window, whole seconds to wait before
    retrying (0 when allowed), and when the window resets (ms epoch)."""

    verdict: str
    used: int
    retry_after: int
    resets_ms: int


class WeightLimiter:
    """Counts request weight per key in one-minute windows aligned on the clock."""

    def __init__(self, clock: IReactorTime, limit: int) -> None:
        self._clock = clock
        self.limit = limit
        self._window = -1
        self._used: dict[str, int] = {}
        self._refused: set[str] = set()

    def charge(self, client: object, weight: int, key: str | None = None) -> Charge:
        """Spend ``weight`` now for ``key``, an API key the request proved it holds, else for the address
        of ``client`` (a ``twisted.internet`` address): the one place REST and WS-API requests of both
        dialects are charged. Refused requests count too, as on Binance."""
        budget = f"key:{key}" if key else f"ip:{getattr(client, 'host', '')}"
        now_ms = int(self._clock.seconds() * 1000)
        window, into = divmod(now_ms, WINDOW_MS)
        if window != self._window:  # a new minute: everybody starts over
            self._window, self._used, self._refused = window, {}, set()
        used = self._used[budget] = self._used.get(budget, 0) + weight
        retry_after = max(1, math.ceil((WINDOW_MS - into) / 1000))
        resets_ms = (window + 1) * WINDOW_MS
        if budget in self._refused:
            return Charge(BANNED, used, retry_after, resets_ms)
        if used > self.limit:
            self._refused.add(budget)
            return Charge(THROTTLED, used, retry_after, resets_ms)
        return Charge(ALLOWED, used, 0, resets_ms)
