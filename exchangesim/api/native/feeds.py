"""Engine events into native stream messages: the streams are fed by events, never by polling.

``StreamFeed`` subscribes to the engine; for each command's events it publishes BOOK deltas, TRADES,
one TICKER per symbol whose last price or top of book moved, and the accounts' ORDERS, FILLS and
BALANCES. Streams nobody listens to cost one dictionary lookup. A conflated BOOK (``interval_ms``)
sends, once per window of the conflator, the levels that changed in it with their quantity now (0:
gone) and the ``book_sequence`` they bring the book to; a conflated TICKER sends the ticker when it
moved. Each is a stream of its own, with its own contiguous ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ...engine import (
    BalanceChanged,
    BookLevelChanged,
    CommandResult,
    Exchange,
    Instrument,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderReplaced,
    OrderTriggered,
    Trade,
)
from ...marketdata.candles import INTERVALS, Candle
from ...marketdata.statistics import MarketStatistics
from ..conflation import Conflator
from ..streams import Stream, StreamHub, Subscriber
from .render import (
    client_order_id_of,
    render_balances,
    render_candle,
    render_depth,
    render_fill,
    render_order,
    render_public_trade,
    render_ticker,
)
from .streams import AUDIT_CHANNEL, CONFLATED_CHANNELS, StreamKey, stream_fields, stream_message

__all__ = ["StreamFeed"]

_ORDER_EVENTS = {
    OrderAccepted: "ACCEPTED",
    OrderTriggered: "TRIGGERED",
    OrderCanceled: "CANCELED",
    OrderExpired: "EXPIRED",
    OrderFilled: "FILLED",
    OrderReplaced: "REPLACED",
}


class StreamFeed:
    """Publishes what each engine command did to the native streams that listen for it."""

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
        self._tickers: dict[str, tuple] = {}  # symbol -> (last, bid, ask) last sent, snapshots included
        self.subscriptions = 0  # to native streams: none, and the feed skips a command's events
        exchange.subscribe(self.publish)
        statistics.candle_listeners.append(self._closed_candles)

    # -- subscriptions -------------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber, channel: str, key: StreamKey) -> Stream:
        """Deliver stream (channel, key) to ``subscriber``; a conflated one joins the conflator."""
        held = self._hub.subscriptions
        stream = self._hub.subscribe(subscriber, (channel, key), stream_fields(channel, key))
        self.subscriptions += self._hub.subscriptions - held
        if channel in CONFLATED_CHANNELS and isinstance(key, tuple):
            self._conflator.watch((channel, key[0]), (channel, key), key[1])
        return stream

    def unsubscribe(self, subscriber: Subscriber, channel: str, key: StreamKey) -> bool:
        """Stop delivering (channel, key) to ``subscriber``; False if it was not subscribed."""
        if not self._hub.unsubscribe(subscriber, (channel, key)):
            return False
        self.subscriptions -= 1
        if self._hub.live((channel, key)) is None:
            self._conflator.forget((channel, key))
        return True

    # -- engine events -------------------------------------------------------------------------------
    def publish(self, result: CommandResult) -> None:
        """Engine subscriber: one command's events (not even built while nobody subscribes)."""
        if not self.subscriptions:
            return
        ts = self._now_ms()
        watching = self._conflator.watching
        moved: dict[str, None] = {}  # symbols whose ticker may have changed
        traded: dict[str, None] = {}  # symbols whose candles did
        for event in result.events:
            kind = type(event)
            if kind is BookLevelChanged:
                moved[event.symbol] = None
                self._book_delta(event, ts)
                for key, period_ms in tuple(watching(("BOOK", event.symbol)).items()):
                    self._conflator.gather(key, period_ms, (event,), self._send_conflated_book)
            elif kind is Trade:
                moved[event.symbol] = None
                traded[event.symbol] = None
                self._trade(event, ts)
            elif kind is BalanceChanged:
                self._balance(event, ts)
            elif kind in _ORDER_EVENTS:
                self._order(event, _ORDER_EVENTS[kind], ts)
        for symbol in moved:
            self._ticker(symbol, ts)
            for key, period_ms in tuple(watching(("TICKER", symbol)).items()):
                self._conflator.gather(key, period_ms, (), self._send_conflated_ticker)
        for symbol in traded:
            for interval in INTERVALS:
                stream = self._hub.live(("CANDLES", (symbol, interval)))
                if stream is not None:
                    stream.send(stream_message(stream, self.candle_body(symbol, interval), ts))

    def publish_fault(self, event: dict[str, Any]) -> None:
        """Audit listener: one FAULTS message per injected fault (its subscribers are outboxes, so it
        goes around the fault pipeline)."""
        stream = self._hub.live((AUDIT_CHANNEL, "*"))
        if stream is not None:
            stream.send(stream_message(stream, {"event": event}, event["ts"]))

    # -- message bodies, for updates and for a new subscriber's snapshot -------------------------------
    def ticker_body(self, symbol: str, ts: int) -> dict[str, Any]:
        """The TICKER message body of ``symbol`` now (snapshot or update: both are what listeners know)."""
        instrument = self._exchange.instrument(symbol)
        last, best = self._exchange.last_price(symbol), self._exchange.best_bid_ask(symbol)
        self._tickers[symbol] = (last, *best)
        body = render_ticker(instrument, last, best, self._statistics.rolling[symbol].stats(ts), ts)
        del body["symbol"], body["timestamp"]
        return body

    def book_body(self, symbol: str, depth: int) -> tuple[dict[str, Any], int]:
        """A BOOK snapshot body of ``symbol`` and the sequence it is at."""
        levels = render_depth(self._exchange.depth(symbol, depth), self._exchange.instrument(symbol))
        return levels, levels.pop("sequence")

    def candle_body(self, symbol: str, interval: str) -> dict[str, Any]:
        """A CANDLES message body: the candle of ``symbol`` at ``interval`` in progress."""
        candle = self._statistics.candles[symbol][interval].current
        return {"candle": render_candle(candle, self._exchange.instrument(symbol))}

    def balances_body(self, account: str) -> dict[str, Any]:
        return {"balances": render_balances(self._exchange.balances(account))}

    # -- each stream -----------------------------------------------------------------------------------
    def _book_delta(self, event: BookLevelChanged, ts: int) -> None:
        stream = self._hub.live(("BOOK", event.symbol))
        if stream is not None:
            body = self._render_level(event.symbol, event.side, event.price, event.quantity)
            stream.send(stream_message(stream, body, ts, event.sequence))

    def _send_conflated_book(self, key: Hashable, changes: list[BookLevelChanged]) -> None:
        """The end of a conflated BOOK window: each level changed in it once, at its quantity now."""
        stream = self._hub.live(key)
        if stream is None:
            return
        symbol = changes[0].symbol
        levels = {(change.side, change.price): change.quantity for change in changes}
        body = {
            "levels": [
                self._render_level(symbol, side, price, lots) for (side, price), lots in levels.items()
            ],
            "book_sequence": changes[-1].sequence,
        }
        stream.send(stream_message(stream, body, self._now_ms()))

    def _send_conflated_ticker(self, key: Hashable, changes: list[Any]) -> None:
        stream = self._hub.live(key)
        if stream is not None:
            ts = self._now_ms()
            stream.send(stream_message(stream, self.ticker_body(key[1][0], ts), ts))  # type: ignore[index]

    def _render_level(self, symbol: str, side: str, price: int, lots: int) -> dict[str, Any]:
        instrument = self._exchange.instrument(symbol)
        return {
            "side": side,
            "price": instrument.format_price(price),
            "quantity": instrument.format_quantity(lots),
        }

    def _trade(self, trade: Trade, ts: int) -> None:
        instrument = self._exchange.instrument(trade.symbol)
        stream = self._hub.live(("TRADES", trade.symbol))
        if stream is not None:
            body = render_public_trade(trade, instrument)
            del body["timestamp"]
            stream.send(stream_message(stream, body, ts))
        maker, taker = trade.fills()
        for account, fill in ((trade.maker_account, maker), (trade.taker_account, taker)):
            stream = self._hub.live(("FILLS", account))
            if stream is not None:
                client_order_id = client_order_id_of(self._exchange, account, fill.order_id)
                stream.send(stream_message(stream, render_fill(fill, instrument, client_order_id), ts))

    def _closed_candles(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        """Statistics listener: candles closed by a trade or by the clock (``closed`` is true in each)."""
        stream = self._hub.live(("CANDLES", (symbol, interval)))
        if stream is not None:
            instrument, ts = self._exchange.instrument(symbol), self._now_ms()
            for candle in closed:
                stream.send(stream_message(stream, {"candle": render_candle(candle, instrument)}, ts))

    def _ticker(self, symbol: str, ts: int) -> None:
        stream = self._hub.live(("TICKER", symbol))
        if stream is None:
            return
        state = (self._exchange.last_price(symbol), *self._exchange.best_bid_ask(symbol))
        if self._tickers.get(symbol) != state:
            stream.send(stream_message(stream, self.ticker_body(symbol, ts), ts))

    def _balance(self, event: BalanceChanged, ts: int) -> None:
        stream = self._hub.live(("BALANCES", event.account))
        if stream is not None:
            view = self._exchange.balances(event.account)[event.asset]
            stream.send(stream_message(stream, {"balances": render_balances({event.asset: view})}, ts))

    def _order(self, event: Any, name: str, ts: int) -> None:
        order = event.order
        stream: Stream | None = self._hub.live(("ORDERS", order.account))
        if stream is not None:
            instrument: Instrument = self._exchange.instrument(order.symbol)
            body = {"event": name, "order": render_order(order, instrument)}
            stream.send(stream_message(stream, body, ts))
