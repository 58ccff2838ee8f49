"""OHLCV candles at fixed intervals, built from trades and closed on the clock.

A candle covers ``[open_time, open_time + interval)`` in epoch milliseconds; prices are ticks,
volume lots and quote volume quote units, as the engine counts them; the taker-buy volumes count the
trades a buyer took, and the first and last trade ids (-1 before any) bound the candle.
``close_until(now)`` closes every candle whose interval has ended, trade or no trade: an interval
without trades becomes a flat candle at the last close with zero volume, so a chart has no holes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice

import attrs

__all__ = ["INTERVALS", "Candle", "CandleSeries"]

INTERVALS: dict[str, int] = {
    "1s": 1_000,
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "1d": 86_400_000,
}
"""Interval name -> length in milliseconds."""

KEPT = 1000
"""Closed candles kept per series (the oldest are forgotten)."""


@attrs.define
class Candle:
    """One interval's trading; ``closed`` once the interval has ended."""

    open_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int = 0
    quote_volume: int = 0
    trades: int = 0
    taker_buy_volume: int = 0
    taker_buy_quote_volume: int = 0
    first_trade_id: int = -1
    last_trade_id: int = -1
    closed: bool = False

    def add(self, trade_id: int, price: int, quantity: int, quote: int, taker_buys: bool) -> None:
        """Count one trade of ``quantity`` lots at ``price`` ticks for ``quote`` quote units."""
        if not self.trades:  # the first trade opens the candle (until then it is flat at the last close)
            self.open = self.high = self.low = price
            self.first_trade_id = trade_id
        elif price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += quantity
        self.quote_volume += quote
        if taker_buys:
            self.taker_buy_volume += quantity
            self.taker_buy_quote_volume += quote
        self.last_trade_id = trade_id
        self.trades += 1


class CandleSeries:
    """The candles of one symbol at one interval: the closed ones and the one in progress."""

    def __init__(self, interval_ms: int, start_ms: int, price: int, kept: int = KEPT) -> None:
        self.interval_ms = interval_ms
        self._closed: deque[Candle] = deque(maxlen=kept)
        self.current = Candle(self._floor(start_ms), price, price, price, price)

    def _floor(self, ts: int) -> int:
        return ts - ts % self.interval_ms

    def record(
        self, trade_id: int, price: int, quantity: int, quote: int, taker_buys: bool, ts: int
    ) -> Sequence[Candle]:
        """Add one trade (trades arrive in time order; ``taker_buys`` when a buyer took it); return the
        candles this closed."""
        # within the candle in progress (the usual case) no list is built for nothing closed
        closed = () if ts < self.current.open_time + self.interval_ms else self.close_until(ts)
        self.current.add(trade_id, price, quantity, quote, taker_buys)
        return closed

    def close_until(self, now_ms: int) -> list[Candle]:
        """Close every candle whose interval ended by ``now_ms``; return them, oldest first.

        A long quiet spell yields at most as many flat candles as the series keeps.
        """
        start = self._floor(now_ms)
        current = self.current
        if current.open_time >= start:
            return []
        current.closed = True
        closed = [current]
        last = current.close
        first_flat = max(current.open_time + self.interval_ms, start - self._closed.maxlen * self.interval_ms)
        for open_time in range(first_flat, start, self.interval_ms):
            closed.append(Candle(open_time, last, last, last, last, closed=True))
        self._closed.extend(closed)
        self.current = Candle(start, last, last, last, last)
        return closed

    def latest(self, limit: int) -> list[Candle]:
        """Up to ``limit`` candles, oldest first, ending with the one in progress."""
        if limit <= 0:
            return []
        closed = self._closed
        return [*islice(closed, max(0, len(closed) - limit + 1), None), self.current]
