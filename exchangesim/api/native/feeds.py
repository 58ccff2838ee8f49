"""Engine events into native stream messages: the streams are fed by events, never by polling.

``StreamFeed`` subscribes to the engine; for each command's events it publishes BOOK deltas, TRADES,
one TICKER per symbol whose last price or top of book moved, and the accounts' ORDERS, FILLS and
BALANCES. Streams nobody listens to cost one dictionary lookup.
"""

from __future__ import annotations

from typing import Any

from ...engine import (
    BalanceChanged,
    BookLevelChanged,
    CommandResult,
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
from ...venue import Venue
from .conflation import Conflator
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
from .streams import AUDIT_CHANNEL, Stream, StreamHub

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
    """Publishes what each engine command did to the streams that listen for it."""

    def __init__(self, venue: Venue, hub: StreamHub) -> None:
        self._venue = venue
        self._exchange = venue.exchange
        self._hub = hub
        self._tickers: dict[str, tuple] = {}  # symbol -> (last, bid, ask) last sent, snapshots included
        self.conflator = Conflator(venue.clock, hub, venue.now_ms, self._render_level, self.ticker_body)
        venue.exchange.subscribe(self.publish)
        venue.candle_listeners.append(self._closed_candles)

    def publish(self, result: CommandResult) -> None:
        """Engine subscriber: one command's events (not even built while nobody subscribes)."""
        if not self._hub.subscriptions:
            return
        ts = self._venue.now_ms()
        moved: dict[str, None] = {}  # symbols whose ticker may have changed
        traded: dict[str, None] = {}  # symbols whose candles did
        for event in result.events:
            kind = type(event)
            if kind is BookLevelChanged:
                moved[event.symbol] = None
                self._book_delta(event, ts)
                self.conflator.level_changed(event)
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
            self.conflator.ticker_moved(symbol)
        for symbol in traded:
            for interval in INTERVALS:
                stream = self._hub.live("CANDLES", (symbol, interval))
                if stream is not None:
                    stream.publish(self.candle_body(symbol, interval), ts)

    def publish_fault(self, event: dict[str, Any]) -> None:
        """Audit listener: one FAULTS message per injected fault, around the fault pipeline."""
        stream = self._hub.live(AUDIT_CHANNEL, "*")
        if stream is not None:
            message = stream.message({"event": event}, event["ts"])
            for subscriber in stream.subscribers:
                subscriber.deliver_audit(message)

    def ticker_body(self, symbol: str, ts: int) -> dict[str, Any]:
        """The TICKER message body of ``symbol`` now (snapshot or update: both are what listeners know)."""
        instrument = self._exchange.instrument(symbol)
        last, best = self._exchange.last_price(symbol), self._exchange.best_bid_ask(symbol)
        self._tickers[symbol] = (last, *best)
        body = render_ticker(instrument, last, best, self._venue.rolling[symbol].stats(ts), ts)
        del body["symbol"], body["timestamp"]
        return body

    def book_body(self, symbol: str, depth: int) -> tuple[dict[str, Any], int]:
        """A BOOK snapshot body of ``symbol`` and the sequence it is at."""
        levels = render_depth(self._exchange.depth(symbol, depth), self._exchange.instrument(symbol))
        return levels, levels.pop("sequence")

    def candle_body(self, symbol: str, interval: str) -> dict[str, Any]:
        """A CANDLES message body: the candle of ``symbol`` at ``interval`` in progress."""
        candle = self._venue.candles[symbol][interval].current
        return {"candle": render_candle(candle, self._exchange.instrument(symbol))}

    def balances_body(self, account: str) -> dict[str, Any]:
        return {"balances": render_balances(self._exchange.balances(account))}

    def _book_delta(self, event: BookLevelChanged, ts: int) -> None:
        stream = self._hub.live("BOOK", event.symbol)
        if stream is not None:
            body = self._render_level(event.symbol, event.side, event.price, event.quantity)
            stream.publish(body, ts, event.sequence)

    def _render_level(self, symbol: str, side: str, price: int, lots: int) -> dict[str, Any]:
        instrument = self._exchange.instrument(symbol)
        return {
            "side": side,
            "price": instrument.format_price(price),
            "quantity": instrument.format_quantity(lots),
        }

    def _trade(self, trade: Trade, ts: int) -> None:
        instrument = self._exchange.instrument(trade.symbol)
        stream = self._hub.live("TRADES", trade.symbol)
        if stream is not None:
            body = render_public_trade(trade, instrument)
            del body["timestamp"]
            stream.publish(body, ts)
        maker, taker = trade.fills()
        for account, fill in ((trade.maker_account, maker), (trade.taker_account, taker)):
            stream = self._hub.live("FILLS", account)
            if stream is not None:
                client_order_id = client_order_id_of(self._exchange, account, fill.order_id)
                stream.publish(render_fill(fill, instrument, client_order_id), ts)

    def _closed_candles(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        """Venue listener: candles closed by a trade or by the clock (``closed`` is true in each)."""
        stream = self._hub.live("CANDLES", (symbol, interval))
        if stream is not None:
            instrument, ts = self._exchange.instrument(symbol), self._venue.now_ms()
            for candle in closed:
                stream.publish({"candle": render_candle(candle, instrument)}, ts)

    def _ticker(self, symbol: str, ts: int) -> None:
        stream = self._hub.live("TICKER", symbol)
        if stream is None:
            return
        state = (self._exchange.last_price(symbol), *self._exchange.best_bid_ask(symbol))
        if self._tickers.get(symbol) != state:
            stream.publish(self.ticker_body(symbol, ts), ts)

    def _balance(self, event: BalanceChanged, ts: int) -> None:
        stream = self._hub.live("BALANCES", event.account)
        if stream is not None:
            view = self._exchange.balances(event.account)[event.asset]
            stream.publish({"balances": render_balances({event.asset: view})}, ts)

    def _order(self, event: Any, name: str, ts: int) -> None:
        order = event.order
        stream: Stream | None = self._hub.live("ORDERS", order.account)
        if stream is not None:
            instrument: Instrument = self._exchange.instrument(order.symbol)
            stream.publish({"event": name, "order": render_order(order, instrument)}, ts)
