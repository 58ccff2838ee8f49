"""Engine events into native stream messages: the streams are fed by events, never by polling.

``StreamFeed`` subscribes to the engine; for each command's event records it publishes BOOK deltas,
TRADES, one TICKER per symbol whose last price or top of book moved, and the accounts' ORDERS, FILLS and
BALANCES. It reads the records by unpacking them and builds an order's or a fill's view only for an
account stream someone listens to; streams nobody listens to cost one dictionary lookup. A conflated
BOOK (``interval_ms``) sends, once per window of the conflator, the levels that changed in it with their
quantity now (0: gone) and the ``book_sequence`` they bring the book to; a conflated TICKER sends the
ticker when it moved. Each is a stream of its own, with its own contiguous ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ...engine import CommandResult, Exchange
from ...engine.events import (
    BALANCE,
    BALANCES,
    FILLED,
    LEVEL,
    ORDER_KINDS,
    T_ID,
    T_INSTRUMENT,
    T_MAKER,
    T_PRICE,
    T_QTY,
    T_TAKER,
    T_TAKER_SIDE,
    T_TS,
    TRADE,
    account_of,
    fill_view,
    maker_filled,
    order_of,
    order_view,
)
from ...engine.orders import SIDE_NAMES
from ...marketdata.candles import INTERVALS, Candle
from ...marketdata.statistics import MarketStatistics
from ..conflation import Conflator
from ..streams import Stream, StreamHub, Subscriber
from .render import (
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
        self.subscriptions += not self._hub.subscribed(subscriber, (channel, key))
        stream = self._hub.subscribe(subscriber, (channel, key), stream_fields(channel, key))
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
        """Engine subscriber: one command's event records (not even read while nobody subscribes)."""
        if not self.subscriptions:
            return
        ts = self._now_ms()
        watching = self._conflator.watching
        moved: dict[str, None] = {}  # symbols whose ticker may have changed
        traded: dict[str, None] = {}  # symbols whose candles did
        balances: set[tuple[str, str]] = set()  # (account, asset) sent: each once, where it first appears
        for record in result.records:
            kind = record[0]
            if kind == LEVEL:
                symbol = record[1]
                moved[symbol] = None
                self._book_delta(record, ts)
                for key, period_ms in tuple(watching(("BOOK", symbol)).items()):
                    self._conflator.gather(key, period_ms, (record,), self._send_conflated_book)
            elif kind == TRADE:
                symbol = record[T_INSTRUMENT].symbol
                moved[symbol] = None
                traded[symbol] = None
                self._trade(record, ts)
                maker = maker_filled(record)
                if maker is not None:  # its FILLED has no record: it follows the trade that filled it
                    self._order((FILLED, maker), ts)
            elif kind == BALANCE:
                self._balance(record[1], record[2], balances, ts)
            elif kind == BALANCES:
                seat = record[1]
                account, instrument = seat.account.name, seat.instrument
                self._balance(account, instrument.base, balances, ts)
                self._balance(account, instrument.quote, balances, ts)
            elif kind in ORDER_KINDS:
                self._order(record, ts)
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
    def _book_delta(self, level: tuple, ts: int) -> None:
        _, symbol, side, price, lots, sequence = level
        stream = self._hub.live(("BOOK", symbol))
        if stream is not None:
            stream.send(stream_message(stream, self._render_level(symbol, side, price, lots), ts, sequence))

    def _send_conflated_book(self, key: Hashable, changes: list[tuple]) -> None:
        """The end of a conflated BOOK window (``changes``: its LEVEL records): each level changed in it
        once, at its quantity now."""
        stream = self._hub.live(key)
        if stream is None:
            return
        symbol = changes[0][1]
        levels = {(side, price): lots for _, _, side, price, lots, _ in changes}
        body = {
            "levels": [
                self._render_level(symbol, side, price, lots) for (side, price), lots in levels.items()
            ],
            "book_sequence": changes[-1][-1],
        }
        stream.send(stream_message(stream, body, self._now_ms()))

    def _send_conflated_ticker(self, key: Hashable, changes: list[Any]) -> None:
        stream = self._hub.live(key)
        if stream is not None:
            ts = self._now_ms()
            stream.send(stream_message(stream, self.ticker_body(key[1][0], ts), ts))  # type: ignore[index]

    def _render_level(self, symbol: str, side: int, price: int, lots: int) -> dict[str, Any]:
        instrument = self._exchange.instrument(symbol)
        return {
            "side": SIDE_NAMES[side],
            "price": instrument.format_price(price),
            "quantity": instrument.format_quantity(lots),
        }

    def _trade(self, trade: tuple, ts: int) -> None:
        instrument = trade[T_INSTRUMENT]
        stream = self._hub.live(("TRADES", instrument.symbol))
        if stream is not None:
            side, price, lots = SIDE_NAMES[trade[T_TAKER_SIDE]], trade[T_PRICE], trade[T_QTY]
            body = render_public_trade(trade[T_ID], price, lots, side, trade[T_TS], instrument)
            del body["timestamp"]
            stream.send(stream_message(stream, body, ts))
        for order, maker in ((trade[T_MAKER], True), (trade[T_TAKER], False)):
            stream = self._hub.live(("FILLS", account_of(order)))
            if stream is not None:
                body = render_fill(fill_view(trade, maker), instrument, order_view(order).client_order_id)
                stream.send(stream_message(stream, body, ts))

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

    def _balance(self, account: str, asset: str, sent: set[tuple[str, str]], ts: int) -> None:
        """The balance of ``asset`` now, unless this command's records already sent it."""
        stream = self._hub.live(("BALANCES", account))
        if stream is not None and (account, asset) not in sent:
            sent.add((account, asset))
            view = self._exchange.balances(account)[asset]
            stream.send(stream_message(stream, {"balances": render_balances({asset: view})}, ts))

    def _order(self, record: tuple, ts: int) -> None:
        """The ORDERS message of a record of ``ORDER_KINDS``: the order as the record left it."""
        order = record[1]
        stream = self._hub.live(("ORDERS", account_of(order)))
        if stream is not None:
            view = order_of(record)
            rendered = render_order(view, self._exchange.instrument(view.symbol))
            stream.send(stream_message(stream, {"event": ORDER_KINDS[record[0]], "order": rendered}, ts))
