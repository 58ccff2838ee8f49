"""Engine events into Binance market stream payloads, for the connections listening to each stream.

``MarketStreamFeed`` subscribes to the engine. For each command it sends, per book it changed, one
``depthUpdate`` whose ``U``..``u`` are the book sequences the changes took (so the diffs continue
``GET /api/v3/depth``'s ``lastUpdateId`` without a gap; a stream with an update speed gathers the
changes of that many ms into one diff, ``U`` of the first and ``u`` of the last), one
``trade`` and ``aggTrade`` per trade, the candles in progress, and the tickers that moved. A stream
nobody listens to costs one dictionary lookup; each payload is encoded once for all its listeners.

The streams Binance sends on a clock run on one timer each while someone listens: a partial depth
snapshot every period (changed or not, as Binance sends it; at ``@0ms`` one per book change instead),
and the rolling window tickers and the average price each second, when they changed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from twisted.internet.interfaces import IDelayedCall

from ...engine import BookLevelChanged, CommandResult, Trade
from ...marketdata.candles import INTERVALS, Candle
from ...marketdata.rolling import MINUTE_MS
from ...venue import Venue
from ..responses import encode
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

__all__ = ["MarketStreamFeed", "StreamListener"]

TICKER_STREAMS = ("miniTicker", "ticker", "bookTicker")
PERIODIC_KINDS = ("partialDepth", "windowTicker", "avgPrice")
STATISTICS_PERIOD_MS = 1000
"""How often the window tickers and the average price are sent (when they changed): Binance's speed."""


class StreamListener(Protocol):
    """A connection, as a stream sees it."""

    def deliver(self, stream: str, payload: bytes, fields: dict[str, Any]) -> None:
        """One encoded payload of ``stream``; ``fields`` (channel, symbol, seq) are what faults target."""


class MarketStreamFeed:
    """Who listens to which stream name, and what each engine command sends them."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        self._exchange = venue.exchange
        self._listeners: dict[str, dict[StreamListener, None]] = {}
        self._names = {i.symbol: (i.base + i.quote).lower() for i in venue.exchange.instruments()}
        self._sent: dict[str, Any] = {}  # ticker stream -> the state it last reported
        self._depth_speeds: dict[str, dict[str, int]] = defaultdict(dict)  # symbol -> depth stream -> ms
        self._gathered: dict[str, list[BookLevelChanged]] = {}  # depth stream -> changes not yet sent
        self._partial_now: dict[str, dict[str, int]] = defaultdict(dict)  # symbol -> @0ms stream -> levels
        self._timers: dict[str, IDelayedCall] = {}  # periodic stream -> its next send
        venue.exchange.subscribe(self.publish)
        venue.candle_listeners.append(self._closed_candles)

    # -- subscriptions -------------------------------------------------------------------------------
    def subscribe(self, listener: StreamListener, stream: StreamName) -> None:
        self._listeners.setdefault(stream.name, {})[listener] = None
        if stream.kind == "depth":
            self._depth_speeds[stream.instrument.symbol][stream.name] = stream.speed_ms  # type: ignore[assignment]
        elif stream.kind == "partialDepth" and not stream.speed_ms:
            self._partial_now[stream.instrument.symbol][stream.name] = stream.levels  # type: ignore[assignment]
        elif stream.kind in PERIODIC_KINDS and stream.name not in self._timers:
            period_ms = stream.speed_ms if stream.kind == "partialDepth" else STATISTICS_PERIOD_MS
            self._every(stream, period_ms)  # type: ignore[arg-type]

    def unsubscribe(self, listener: StreamListener, stream: str) -> bool:
        """Stop sending ``stream`` to ``listener``; False if it was not listening."""
        listeners = self._listeners.get(stream)
        if listeners is None or listeners.pop(listener, False) is not None:
            return False
        if not listeners:
            del self._listeners[stream]
            self._sent.pop(stream, None)
            self._gathered.pop(stream, None)
            for by_stream in (*self._depth_speeds.values(), *self._partial_now.values()):
                by_stream.pop(stream, None)
            timer = self._timers.pop(stream, None)
            if timer is not None and timer.active():
                timer.cancel()
        return True

    def _send(self, stream: str, payload: dict[str, Any], symbol: str, seq: int | None = None) -> None:
        message = encode(payload)
        fields: dict[str, Any] = {"channel": stream, "symbol": symbol}
        if seq is not None:
            fields["seq"] = seq
        for listener in tuple(self._listeners.get(stream, ())):
            listener.deliver(stream, message, fields)

    # -- engine events -------------------------------------------------------------------------------
    def publish(self, result: CommandResult) -> None:
        """Engine subscriber: what one command changed, to the streams that listen for it."""
        if not self._listeners:
            return
        ts = self._venue.now_ms()
        books: dict[str, list[BookLevelChanged]] = defaultdict(list)
        trades: dict[str, list[Trade]] = defaultdict(list)
        for event in result.events:
            kind = type(event)
            if kind is BookLevelChanged:
                books[event.symbol].append(event)
            elif kind is Trade:
                trades[event.symbol].append(event)
        for symbol, changes in books.items():
            self._depth(symbol, changes, ts)
            for stream, levels in self._partial_now[symbol].items():
                self._send_partial_depth(stream, symbol, levels)
        for symbol, made in trades.items():
            self._trades(symbol, made, ts)
        for symbol in {**books, **trades}:
            self._tickers(symbol, ts)

    def _depth(self, symbol: str, changes: list[BookLevelChanged], ts: int) -> None:
        for stream, speed_ms in self._depth_speeds[symbol].items():
            if not speed_ms:
                self._send_depth(stream, symbol, changes, ts)
            elif stream in self._gathered:
                self._gathered[stream] += changes
            else:
                self._gathered[stream] = list(changes)
                self._venue.clock.callLater(speed_ms / 1000, self._flush_depth, stream, symbol)

    def _flush_depth(self, stream: str, symbol: str) -> None:
        """The end of a depth stream's window: one diff of everything gathered in it."""
        changes = self._gathered.pop(stream, None)
        if changes:
            self._send_depth(stream, symbol, changes, self._venue.now_ms())

    def _send_depth(self, stream: str, symbol: str, changes: list[BookLevelChanged], ts: int) -> None:
        payload = depth_update_event(self._exchange.instrument(symbol), changes, ts)
        self._send(stream, payload, symbol, payload["u"])

    def _send_partial_depth(self, stream: str, symbol: str, levels: int) -> None:
        payload = render_depth(self._exchange.instrument(symbol), self._exchange.depth(symbol, levels))
        self._send(stream, payload, symbol, payload["lastUpdateId"])

    # -- streams on a clock ------------------------------------------------------------------------
    def _every(self, stream: StreamName, period_ms: int) -> None:
        """Send ``stream`` in ``period_ms``, and so on until nobody listens to it."""
        self._timers[stream.name] = self._venue.clock.callLater(
            period_ms / 1000, self._tick, stream, period_ms
        )

    def _tick(self, stream: StreamName, period_ms: int) -> None:
        self._every(stream, period_ms)  # first: a listener leaving while it is sent cancels the next
        instrument = stream.instrument
        symbol = instrument.symbol
        if stream.kind == "partialDepth":
            self._send_partial_depth(stream.name, symbol, stream.levels)  # type: ignore[arg-type]
            return
        ts, last, rolling = (
            self._venue.now_ms(),
            self._exchange.last_price(symbol),
            self._venue.rolling[symbol],
        )
        if stream.kind == "avgPrice":
            average = render_avg_price(instrument, rolling, last, ts)
            if self._sent.get(stream.name) != average:
                self._sent[stream.name] = average
                self._send(stream.name, avg_price_event(instrument, average, ts), symbol)
            return
        open_time = ts - ts % MINUTE_MS - window_ms(stream.interval)  # type: ignore[arg-type,operator]
        stats = rolling.since(open_time)
        if self._sent.get(stream.name) != (last, stats):
            self._sent[stream.name] = (last, stats)
            payload = window_ticker_event(instrument, stream.interval, last, stats, open_time, ts)  # type: ignore[arg-type]
            self._send(stream.name, payload, symbol)

    def _trades(self, symbol: str, trades: list[Trade], ts: int) -> None:
        name, instrument = self._names[symbol], self._exchange.instrument(symbol)
        for kind, render in (("trade", trade_event), ("aggTrade", agg_trade_event)):
            stream = f"{name}@{kind}"
            if stream in self._listeners:
                for trade in trades:
                    self._send(stream, render(trade, instrument, ts), symbol, trade.trade_id)
        for interval in INTERVALS:
            stream = f"{name}@kline_{interval}"
            if stream in self._listeners:
                candle = self._venue.candles[symbol][interval].current
                self._send(stream, kline_event(candle, interval, instrument, ts), symbol)

    def _closed_candles(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        """Venue listener: candles closed by a trade or by the clock."""
        stream = f"{self._names[symbol]}@kline_{interval}"
        if stream in self._listeners:
            instrument, ts = self._exchange.instrument(symbol), self._venue.now_ms()
            for candle in closed:
                self._send(stream, kline_event(candle, interval, instrument, ts), symbol)

    def _tickers(self, symbol: str, ts: int) -> None:
        """The ticker streams of ``symbol`` whose state moved since they last reported."""
        name, exchange = self._names[symbol], self._exchange
        wanted = [kind for kind in TICKER_STREAMS if f"{name}@{kind}" in self._listeners]
        if not wanted:
            return
        instrument, last = exchange.instrument(symbol), exchange.last_price(symbol)
        top = top_of_book(exchange, symbol)
        window = self._venue.rolling[symbol].stats(ts)
        states = {"miniTicker": (last, window), "ticker": (last, window, top), "bookTicker": top}
        for kind in wanted:
            stream = f"{name}@{kind}"
            if self._sent.get(stream) == states[kind]:
                continue
            self._sent[stream] = states[kind]
            if kind == "miniTicker":
                self._send(stream, mini_ticker_event(instrument, last, window, ts), symbol)
            elif kind == "ticker":
                self._send(stream, ticker_event(instrument, last, top, window, ts), symbol)
            else:
                sequence = exchange.depth(symbol, 0).sequence
                self._send(stream, book_ticker_event(instrument, top, sequence), symbol, sequence)
