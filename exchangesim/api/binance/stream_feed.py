"""Engine event records as Binance market stream payloads, for the hub's streams that have listeners.

``MarketStreamFeed`` subscribes to the engine and reads each command's LEVEL and TRADE records as they
are. For each command it sends, per book it changed, one ``depthUpdate`` whose ``U``..``u`` are the book
sequences the changes took (so the diffs continue ``GET /api/v3/depth``'s ``lastUpdateId`` without a
gap; a stream with an update speed gathers the LEVEL records of that many ms into one diff in a conflator
window, ``U`` of the first and ``u`` of the last), one ``trade`` and ``aggTrade`` per trade, the candles
in progress, and the tickers that moved. A stream nobody listens to costs one dictionary lookup; each
payload is encoded once for all its listeners.

The streams Binance sends on a clock are the conflator's periodic streams while someone listens: a
partial depth snapshot every period (changed or not, as Binance sends it; at ``@0ms`` one per book
change instead), and the rolling window tickers and the average price each second, when they changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any

from ...engine import CommandResult, Exchange
from ...engine.events import LEVEL, T_ID, T_INSTRUMENT, TRADE
from ...marketdata.candles import INTERVALS, Candle
from ...marketdata.rolling import MINUTE_MS
from ...marketdata.statistics import MarketStatistics
from ..conflation import Conflator
from ..responses import encode
from ..streams import StreamHub, Subscriber
from .params import window_ms
from .render import render_avg_price, render_depth
from .stream_names import StreamName
from .stream_render import (
    agg_trade_event,
    avg_price_event,
    book_ticker_event,
    depth_update_event,
    kline_event,
    mini_ticker_event,
    ticker_event,
    top_of_book,
    trade_event,
    window_ticker_event,
)

__all__ = ["MarketStreamFeed"]

TICKER_STREAMS = ("miniTicker", "ticker", "bookTicker")
STATISTICS_PERIOD_MS = 1000
"""How often the window tickers and the average price are sent (when they changed): Binance's speed."""


class MarketStreamFeed:
    """What each engine command (and the clock) sends the Binance market streams that have listeners."""

    def __init__(
        self,
        exchange: Exchange,
        statistics: MarketStatistics,
        hub: StreamHub,
        conflator: Conflator,
        now_ms: Callable[[], int],
    ) -> None:
        self._exchange = exchange
        self._statistics = statistics
        self._hub = hub
        self._conflator = conflator
        self._now_ms = now_ms
        self._streams: dict[str, StreamName] = {}  # the streams that have listeners, by name
        self._names = {i.symbol: (i.base + i.quote).lower() for i in exchange.instruments()}
        self._sent: dict[str, Any] = {}  # ticker stream -> the state it last reported
        exchange.subscribe(self.publish)
        statistics.candle_listeners.append(self._closed_candles)

    # -- subscriptions -------------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber, stream: StreamName) -> None:
        symbol = stream.instrument.symbol
        self._hub.subscribe(subscriber, stream.name, {"channel": stream.name, "symbol": symbol})
        if stream.name in self._streams:
            return
        self._streams[stream.name] = stream
        if stream.kind == "depth":
            self._conflator.watch(("depth", symbol), stream.name, stream.speed_ms)  # type: ignore[arg-type]
        elif stream.kind == "partialDepth" and not stream.speed_ms:
            self._conflator.watch(("partialDepth", symbol), stream.name, 0)
        elif stream.kind == "partialDepth":
            self._conflator.every(stream.name, stream.speed_ms, self._send_partial_depth)  # type: ignore[arg-type]
        elif stream.kind in ("windowTicker", "avgPrice"):
            self._conflator.every(stream.name, STATISTICS_PERIOD_MS, self._send_statistics)

    def unsubscribe(self, subscriber: Subscriber, name: str) -> bool:
        """Stop sending stream ``name`` to ``subscriber``; False if it was not listening."""
        if not self._hub.unsubscribe(subscriber, name):
            return False
        if self._hub.live(name) is None:
            del self._streams[name]
            self._sent.pop(name, None)
            self._conflator.forget(name)
        return True

    def _send(self, name: str, payload: dict[str, Any], seq: int | None = None) -> None:
        stream = self._hub.live(name)
        if stream is not None:
            stream.send(stream.labeled(encode(payload), seq))

    # -- engine events -------------------------------------------------------------------------------
    def publish(self, result: CommandResult) -> None:
        """Engine subscriber: what one command changed, to the streams that listen for it."""
        if not self._streams:
            return
        ts = self._now_ms()
        watching, gather = self._conflator.watching, self._conflator.gather
        books: dict[str, list[tuple]] = defaultdict(list)  # symbol -> its LEVEL records
        trades: dict[str, list[tuple]] = defaultdict(list)  # symbol -> its TRADE records
        for record in result.records:
            kind = record[0]
            if kind == LEVEL:
                books[record[1]].append(record)
            elif kind == TRADE:
                trades[record[T_INSTRUMENT].symbol].append(record)
        for symbol, changes in books.items():
            for name, period_ms in tuple(watching(("depth", symbol)).items()):
                gather(name, period_ms, changes, self._send_depth)
            for name, period_ms in tuple(watching(("partialDepth", symbol)).items()):
                gather(name, period_ms, changes, self._send_changed_partial_depth)
        for symbol, made in trades.items():
            self._trades(symbol, made, ts)
        for symbol in {**books, **trades}:
            self._tickers(symbol, ts)

    def _send_depth(self, name: Hashable, changes: list[tuple]) -> None:
        """One diff of the LEVEL records of one command (``@0ms``) or of one window."""
        instrument = self._streams[name].instrument  # type: ignore[index]
        payload = depth_update_event(instrument, changes, self._now_ms())
        self._send(name, payload, payload["u"])  # type: ignore[arg-type]

    def _send_changed_partial_depth(self, name: Hashable, changes: list[tuple]) -> None:
        self._send_partial_depth(name)

    def _send_partial_depth(self, name: Hashable) -> None:
        stream = self._streams[name]  # type: ignore[index]
        symbol = stream.instrument.symbol
        payload = render_depth(stream.instrument, self._exchange.depth(symbol, stream.levels))  # type: ignore[arg-type]
        self._send(name, payload, payload["lastUpdateId"])  # type: ignore[arg-type]

    def _send_statistics(self, name: Hashable) -> None:
        """A window ticker or the average price, when it changed since it was last sent."""
        stream = self._streams[name]  # type: ignore[index]
        instrument = stream.instrument
        symbol = instrument.symbol
        ts, last, rolling = (
            self._now_ms(),
            self._exchange.last_price(symbol),
            self._statistics.rolling[symbol],
        )
        if stream.kind == "avgPrice":
            average = render_avg_price(instrument, rolling, last, ts)
            if self._sent.get(stream.name) != average:
                self._sent[stream.name] = average
                self._send(stream.name, avg_price_event(instrument, average, ts))
            return
        open_time = ts - ts % MINUTE_MS - window_ms(stream.interval)  # type: ignore[arg-type,operator]
        stats = rolling.since(open_time)
        if self._sent.get(stream.name) != (last, stats):
            self._sent[stream.name] = (last, stats)
            payload = window_ticker_event(instrument, stream.interval, last, stats, open_time, ts)  # type: ignore[arg-type]
            self._send(stream.name, payload)

    def _trades(self, symbol: str, trades: list[tuple], ts: int) -> None:
        """The trade streams and the candles in progress of ``symbol``, for its TRADE records."""
        name, instrument = self._names[symbol], self._exchange.instrument(symbol)
        for kind, render in (("trade", trade_event), ("aggTrade", agg_trade_event)):
            stream = f"{name}@{kind}"
            if stream in self._streams:
                for trade in trades:
                    self._send(stream, render(trade, instrument, ts), trade[T_ID])
        for interval in INTERVALS:
            stream = f"{name}@kline_{interval}"
            if stream in self._streams:
                candle = self._statistics.candles[symbol][interval].current
                self._send(stream, kline_event(candle, interval, instrument, ts))

    def _closed_candles(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        """Statistics listener: candles closed by a trade or by the clock."""
        stream = f"{self._names[symbol]}@kline_{interval}"
        if stream in self._streams:
            instrument, ts = self._exchange.instrument(symbol), self._now_ms()
            for candle in closed:
                self._send(stream, kline_event(candle, interval, instrument, ts))

    def _tickers(self, symbol: str, ts: int) -> None:
        """The ticker streams of ``symbol`` whose state moved since they last reported."""
        name, exchange = self._names[symbol], self._exchange
        wanted = [kind for kind in TICKER_STREAMS if f"{name}@{kind}" in self._streams]
        if not wanted:
            return
        instrument, last = exchange.instrument(symbol), exchange.last_price(symbol)
        top = top_of_book(exchange, symbol)
        window = self._statistics.rolling[symbol].stats(ts)
        states = {"miniTicker": (last, window), "ticker": (last, window, top), "bookTicker": top}
        for kind in wanted:
            stream = f"{name}@{kind}"
            if self._sent.get(stream) == states[kind]:
                continue
            self._sent[stream] = states[kind]
            if kind == "miniTicker":
                self._send(stream, mini_ticker_event(instrument, last, window, ts))
            elif kind == "ticker":
                self._send(stream, ticker_event(instrument, last, top, window, ts))
            else:
                sequence = exchange.depth(symbol, 0).sequence
                self._send(stream, book_ticker_event(instrument, top, sequence), sequence)
