"""Each symbol's 24-hour statistics and candles, fed by the engine's trades and closed on market time.

The REST tickers and klines read them, the streams hear of every candle closed (``candle_listeners``),
and the market schedule closes the candles whose interval ended (``close_candles``).
"""

from __future__ import annotations

from collections.abc import Callable

from ..engine import CommandResult
from .candles import INTERVALS, Candle, CandleSeries
from .rolling import RollingStats

__all__ = ["CandleListener", "MarketStatistics"]

CandleListener = Callable[[str, str, list[Candle]], object]
"""Hears (symbol, interval, the candles just closed)."""


class MarketStatistics:
    """Rolling 24-hour statistics and candle series per symbol."""

    def __init__(self) -> None:
        self.rolling: dict[str, RollingStats] = {}
        self.candles: dict[str, dict[str, CandleSeries]] = {}
        self.candle_listeners: list[CandleListener] = []

    def start(self, symbol: str, price: int, now: int) -> None:
        """Empty statistics and candles for ``symbol`` from market time ``now``, opening at ``price``."""
        self.rolling[symbol] = RollingStats()
        self.candles[symbol] = {name: CandleSeries(length, now, price) for name, length in INTERVALS.items()}

    def record_trades(self, result: CommandResult) -> None:
        """Engine subscriber: feed each trade into its symbol's statistics and candles."""
        for trade in result.trades:
            symbol = trade.symbol
            self.rolling[symbol].record(trade)
            for interval, series in self.candles[symbol].items():
                self._announce(symbol, interval, series.record(trade))

    def close_candles(self, now: int) -> None:
        """Close every candle whose interval has ended by market time ``now``, traded in or not."""
        for symbol, by_interval in self.candles.items():
            for interval, series in by_interval.items():
                self._announce(symbol, interval, series.close_until(now))

    def _announce(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        if closed:
            for listener in self.candle_listeners:
                listener(symbol, interval, closed)
