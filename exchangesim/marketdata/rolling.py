"""Rolling ticker statistics of one symbol: the last 24 hours in one-second buckets, and any window that
starts on a minute up to 7 days back in one-minute buckets.

Buckets bound the memory (86,400 seconds and 10,081 minutes per symbol however fast it trades). The 24
hours, asked for at every book change by the ticker streams, are kept as running sums with the highs and
lows in monotonic queues, so each trade and each query costs amortised O(1). The minute windows
(Binance's ``GET /api/v3/ticker?windowSize=`` and ``<symbol>@ticker_<window>``, whose open time is
always on a minute) and the average price of the last minutes add up their buckets when asked.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs

__all__ = ["DAY_MS", "MINUTE_MS", "WINDOW_KEPT_MS", "RollingStats", "WindowStats"]

DAY_MS = 86_400_000
MINUTE_MS = 60_000
WINDOW_KEPT_MS = 7 * DAY_MS
"""The longest window ``since`` answers (Binance's ``windowSize`` goes up to ``7d``)."""


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
    """Open, high, low and volumes of the trades in the last ``window_ms`` (``stats``), and of the trades
    since any minute of the last ``WINDOW_KEPT_MS`` (``since``)."""

    def __init__(self, window_ms: int = DAY_MS, bucket_ms: int = 1000) -> None:
        self._window_ms = window_ms
        self._bucket_ms = bucket_ms
        self._buckets: deque[list[int]] = deque()  # [start, open, volume, quote_volume, count, first id]
        self._highs: deque[tuple[int, int]] = deque()  # (bucket start, high), highs decreasing
        self._lows: deque[tuple[int, int]] = deque()  # (bucket start, low), lows increasing
        self._volume = 0
        self._quote_volume = 0
        self._count = 0
        self._last_id = self._last_quantity = 0  # the latest trade's, when _last_ts is not None
        self._last_ts: int | None = None
        # [start, open, high, low, volume, quote_volume, count, first id], oldest first
        self._minutes: deque[list[int]] = deque()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, also from a snapshot taken before the minute buckets were kept, or one that kept
        the latest trade as a whole ``Trade`` event (``_last``)."""
        state = {"_minutes": deque(), **state}
        if "_last" in state:
            last = state.pop("_last")
            state["_last_id"], state["_last_quantity"], state["_last_ts"] = (
                (0, 0, None) if last is None else (last.trade_id, last.quantity, last.ts)
            )
        self.__dict__.update(state)

    def record(self, trade_id: int, price: int, quantity: int, quote: int, ts: int) -> None:
        """Add one trade of ``quantity`` lots at ``price`` ticks for ``quote`` quote units (trades arrive
        in time order)."""
        start = ts - ts % self._bucket_ms
        buckets = self._buckets
        if not buckets or buckets[-1][0] != start:
            buckets.append([start, price, 0, 0, 0, trade_id])
            self._evict(ts - self._window_ms)
        bucket = buckets[-1]
        bucket[2] += quantity
        bucket[3] += quote
        bucket[4] += 1
        self._volume += quantity
        self._quote_volume += quote
        self._count += 1
        self._last_id, self._last_quantity, self._last_ts = trade_id, quantity, ts
        # monotonic queues: a price no better than an earlier one of its own second adds nothing
        highs = self._highs
        if not highs or highs[-1][0] != start or highs[-1][1] < price:
            while highs and highs[-1][1] <= price:
                highs.pop()
            highs.append((start, price))
        lows = self._lows
        if not lows or lows[-1][0] != start or lows[-1][1] > price:
            while lows and lows[-1][1] >= price:
                lows.pop()
            lows.append((start, price))
        self._record_minute(trade_id, price, quantity, quote, ts)

    def stats(self, now_ms: int) -> WindowStats | None:
        """The window ending at ``now_ms``, or None when nothing traded in it."""
        self._evict(now_ms - self._window_ms)
        if not self._buckets:
            return None
        first = self._buckets[0]
        return WindowStats(
            first[1],
            self._highs[0][1],
            self._lows[0][1],
            self._volume,
            self._quote_volume,
            self._count,
            first[5],
            self._last_id,
            self._last_quantity,
        )

    def since(self, start_ms: int) -> WindowStats | None:
        """The trades from minute ``start_ms`` on (at most ``WINDOW_KEPT_MS`` before the last trade), or
        None when nothing traded since."""
        volume = quote_volume = count = 0
        high, low, first = None, None, None
        for bucket in reversed(self._minutes):
            if bucket[0] < start_ms:
                break
            first = bucket
            high = bucket[2] if high is None else max(high, bucket[2])
            low = bucket[3] if low is None else min(low, bucket[3])
            volume += bucket[4]
            quote_volume += bucket[5]
            count += bucket[6]
        if first is None:
            return None
        return WindowStats(
            first[1],
            high,  # type: ignore[arg-type]
            low,  # type: ignore[arg-type]
            volume,
            quote_volume,
            count,
            first[7],
            self._last_id,
            self._last_quantity,
        )

    def average(self, start_ms: int) -> tuple[int, int]:
        """(quote volume, volume) of the trades from ``start_ms`` on, within the last ``window_ms``."""
        quote_volume = volume = 0
        for bucket in reversed(self._buckets):
            if bucket[0] < start_ms:
                break
            volume += bucket[2]
            quote_volume += bucket[3]
        return quote_volume, volume

    @property
    def last_ts(self) -> int | None:
        """The time of the latest trade recorded (however long ago), None before any."""
        return self._last_ts

    def _evict(self, cutoff: int) -> None:
        """Forget the second buckets that ended by ``cutoff``, and the highs and lows they held."""
        buckets = self._buckets
        while buckets and buckets[0][0] + self._bucket_ms <= cutoff:
            _, _, volume, quote_volume, count, _ = buckets.popleft()
            self._volume -= volume
            self._quote_volume -= quote_volume
            self._count -= count
        oldest = buckets[0][0] if buckets else None
        for extremes in (self._highs, self._lows):
            while extremes and (oldest is None or extremes[0][0] < oldest):
                extremes.popleft()

    def _record_minute(self, trade_id: int, price: int, quantity: int, quote: int, ts: int) -> None:
        start = ts - ts % MINUTE_MS
        minutes = self._minutes
        if not minutes or minutes[-1][0] != start:
            minutes.append([start, price, price, price, 0, 0, 0, trade_id])
            while minutes[0][0] < start - WINDOW_KEPT_MS:
                minutes.popleft()
        bucket = minutes[-1]
        if price > bucket[2]:
            bucket[2] = price
        elif price < bucket[3]:
            bucket[3] = price
        bucket[4] += quantity
        bucket[5] += quote
        bucket[6] += 1
