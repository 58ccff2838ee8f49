"""Rolling 24-hour ticker statistics of one symbol, kept in one-second buckets.

Buckets bound the memory (86,400 per symbol however fast it trades); the highs and lows are kept in
monotonic queues, so each trade and each query costs amortised O(1).
"""

from __future__ import annotations

from collections import deque

import attrs

from ..engine import Trade

__all__ = ["RollingStats", "WindowStats"]

DAY_MS = 86_400_000


@attrs.frozen
class WindowStats:
    """Trading in the window: prices in ticks, volume in lots, quote volume in quote units."""

    open: int
    high: int
    low: int
    volume: int
    quote_volume: int
    count: int
    first_id: int
    last_id: int
    last_quantity: int


class RollingStats:
    """Open, high, low and volumes of the trades in the last ``window_ms``."""

    def __init__(self, window_ms: int = DAY_MS, bucket_ms: int = 1000) -> None:
        self._window_ms = window_ms
        self._bucket_ms = bucket_ms
        self._buckets: deque[list[int]] = deque()  # [start, open, volume, quote_volume, count, first id]
        self._highs: deque[tuple[int, int]] = deque()  # (bucket start, high), highs decreasing
        self._lows: deque[tuple[int, int]] = deque()  # (bucket start, low), lows increasing
        self._volume = 0
        self._quote_volume = 0
        self._count = 0
        self._last: Trade | None = None

    def record(self, trade: Trade) -> None:
        """Add one trade (trades arrive in time order)."""
        ts, price, lots, quote = trade.ts, trade.price, trade.quantity, trade.quote
        start = ts - ts % self._bucket_ms
        if not self._buckets or self._buckets[-1][0] != start:
            self._buckets.append([start, price, 0, 0, 0, trade.trade_id])
        bucket = self._buckets[-1]
        bucket[2] += lots
        bucket[3] += quote
        bucket[4] += 1
        self._volume += lots
        self._quote_volume += quote
        self._count += 1
        self._last = trade
        self._push(self._highs, start, price, lambda kept, new: kept <= new)
        self._push(self._lows, start, price, lambda kept, new: kept >= new)

    def stats(self, now_ms: int) -> WindowStats | None:
        """The window ending at ``now_ms``, or None when nothing traded in it."""
        cutoff = now_ms - self._window_ms
        while self._buckets and self._buckets[0][0] + self._bucket_ms <= cutoff:
            _, _, volume, quote_volume, count, _ = self._buckets.popleft()
            self._volume -= volume
            self._quote_volume -= quote_volume
            self._count -= count
        if not self._buckets or self._last is None:
            self._highs.clear()
            self._lows.clear()
            return None
        oldest = self._buckets[0][0]
        for extremes in (self._highs, self._lows):
            while extremes[0][0] < oldest:
                extremes.popleft()
        first, last = self._buckets[0], self._last
        return WindowStats(
            first[1],
            self._highs[0][1],
            self._lows[0][1],
            self._volume,
            self._quote_volume,
            self._count,
            first[5],
            last.trade_id,
            last.quantity,
        )

    @staticmethod
    def _push(extremes: deque[tuple[int, int]], start: int, price: int, dominated) -> None:
        while extremes and dominated(extremes[-1][1], price):
            extremes.pop()
        extremes.append((start, price))
