"""Each symbol's 24-hour statistics and candles, fed by the engine's TRADE records, closed on market time.

The REST tickers and klines read them, the streams hear of every candle closed (``candle_listeners``),
and the market schedule closes the candles whose interval ended (``close_candles``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..engine import CommandResult
from ..engine.events import TRADE
from ..engine.orderbook import BUY
from .candles import INTERVALS, Candle, CandleSeries
from .rolling import RollingStats

__all__ = ["CandleListener", "MarketStatistics"]

CandleListener = Callable[[str, str, Sequence[Candle]], object]
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
        """Engine subscriber: feed each TRADE record into its symbol's statistics and candles."""
        for record in result.records:
            if record[0] != TRADE:
                continue
            _, trade_id, instrument, price, quantity, quote, taker_side, _, _, _, _, _, _, ts = record
            symbol, taker_buys = instrument.symbol, taker_side == BUY
            self.rolling[symbol].record(trade_id, price, quantity, quote, ts)
            for interval, series in self.candles[symbol].items():
                closed = series.record(trade_id, price, quantity, quote, taker_buys, ts)
                if closed:
                    self._announce(symbol, interval, closed)

    def close_candles(self, now: int) -> None:
        """Close every candle whose interval has ended by market time ``now``, traded in or not."""
        for symbol, by_interval in self.candles.items():
            for interval, series in by_interval.items():
                closed = series.close_until(now)
                if closed:
                    self._announce(symbol, interval, closed)

    def _announce(self, symbol: str, interval: str, closed: Sequence[Candle]) -> None:
        for listener in self.candle_listeners:
            listener(symbol, interval, closed)
