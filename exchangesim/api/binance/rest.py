"""The Binance-spot REST dialect under ``/api/v3``: a Klein app over the engine; routes parse, call, render.

``/userDataStream`` manages listenKeys as Binance does (USER_STREAM: ``X-MBX-APIKEY``, no signature;
weight 2): POST answers ``{"listenKey": ...}``, PUT (keepalive) and DELETE (close) take ``listenKey``
and answer ``{}``, or -1125 "This listenKey does not exist." for a key the caller's account has not.
Binance retired these routes on 2026-02-20 (the WS-API's user data subscriptions replace them); they are
still served for older clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from ...config import AccountConfig, ExchangeConfig
from ...engine import EngineError, Exchange, Instrument, OrderCanceled, Side
from ...marketdata.candles import INTERVALS
from ...marketdata.rolling import MINUTE_MS
from ...marketdata.statistics import MarketStatistics
from ..auth import Authenticator
from ..klein_errors import answer_errors_as_json
from ..ratelimit import WeightLimiter
from ..responses import respond
from .errors import BINANCE_ERRORS, BinanceError, from_engine_error
from .listen_keys import ListenKeys
from .openapi import openapi_document
from .params import Params, instrument_named, read_params, ticker_type, window_size
from .parsing import cancel_replace_mode, order_reference, parse_new_order
from .render import (
    render_account,
    render_agg_trade,
    render_avg_price,
    render_book_ticker,
    render_canceled,
    render_depth,
    render_exchange_info,
    render_kline,
    render_my_trade,
    render_order,
    render_price_ticker,
    render_ticker,
    render_trade,
    render_window_ticker,
)
from .signed import api_key_of, authenticate, known_key
from .stream_render import Top, top_of_book
from .trading import Trading
from .weights import charge, depth_weight, tickers_weight

__all__ = ["BINANCE_ONLY_PATHS", "BinanceAPI", "NotServed"]

BINANCE_ONLY_PATHS = (b"sapi", b"fapi", b"dapi", b"eapi", b"papi", b"futures")
"""First path segments of Binance's other APIs (margin, wallet, futures, options, portfolio margin), which
clients such as ccxt call on the same host once every URL points here: answered as ``NotServed``."""


class BinanceAPI:
    """Routes of ``/api/v3``; one instance per venue, testable in memory with ``StubTreq``."""

    app = Klein()
    answer_errors_as_json(app, BINANCE_ERRORS)

    def __init__(
        self,
        exchange: Exchange,
        statistics: MarketStatistics,
        trading: Trading,
        listen_keys: ListenKeys,
        authenticator: Authenticator,
        limiter: WeightLimiter,
        *,
        now_ms: Callable[[], int],
        wall_ms: Callable[[], int],
        max_body_bytes: int,
        fees: ExchangeConfig,
        accounts: Mapping[str, AccountConfig],
    ) -> None:
        """``now_ms``: the market time; ``wall_ms``: the wall clock (signatures, the server's time);
        ``fees`` and ``accounts``: [exchange]'s fee rates and [account:NAME]'s own, as /account reports."""
        self._exchange = exchange
        self._statistics = statistics
        self._trading = trading
        self._symbols = trading.symbols
        self._listen_keys = listen_keys
        self._authenticator = authenticator
        self._limiter = limiter
        self._now_ms = now_ms
        self._wall_ms = wall_ms
        self._max_body_bytes = max_body_bytes
        self._fees = fees
        self._accounts = accounts

    def resource(self) -> IResource:
        """The twisted.web resource to mount at ``/api/v3``."""
        return self.app.resource()

    # -- general and market data -------------------------------------------------------------------
    @app.route("/ping", methods=["GET"])
    def ping(self, request: IRequest) -> bytes:
        self._read(request, 1)
        return respond(request, {})

    @app.route("/openapi.json", methods=["GET"])
    def openapi(self, request: IRequest) -> bytes:
        """The hand-written OpenAPI subset of this dialect (Binance has none): for fuzzers and tools."""
        return respond(request, openapi_document())

    @app.route("/time", methods=["GET"])
    def time(self, request: IRequest) -> bytes:
        self._read(request, 1)
        return respond(request, {"serverTime": self._wall_ms()})

    @app.route("/exchangeInfo", methods=["GET"])
    def exchange_info(self, request: IRequest) -> bytes:
        params = self._read(request, 20)
        instruments = params.symbols(self._symbols) or self._symbols.values()
        halted = frozenset(i.symbol for i in instruments if not self._exchange.is_trading(i.symbol))
        info = render_exchange_info(instruments, self._wall_ms(), self._limiter.limit, halted)
        return respond(request, info)

    @app.route("/depth", methods=["GET"])
    def depth(self, request: IRequest) -> bytes:
        params = self._read(request, 0)
        limit = params.whole("limit", default=100, low=1, high=5000)
        charge(request, self._limiter, depth_weight(limit))  # type: ignore[arg-type]
        instrument = self._trading.instrument(params)
        depth = self._exchange.depth(instrument.symbol, limit)  # type: ignore[arg-type]
        return respond(request, render_depth(instrument, depth))

    @app.route("/trades", methods=["GET"])
    def trades(self, request: IRequest) -> bytes:
        params = self._read(request, 25)
        instrument = self._trading.instrument(params)
        limit = params.whole("limit", default=500, low=1, high=1000)
        trades = self._exchange.recent_trades(instrument.symbol, limit)  # type: ignore[arg-type]
        return respond(request, [render_trade(trade, instrument) for trade in trades])

    @app.route("/aggTrades", methods=["GET"])
    def agg_trades(self, request: IRequest) -> bytes:
        params = self._read(request, 4)
        instrument = self._trading.instrument(params)
        trades = self._exchange.recent_trades(instrument.symbol, 100_000)  # type: ignore[arg-type]
        chosen = _window(params, trades, "fromId", lambda trade: trade.trade_id, lambda trade: trade.ts)
        rows = [
            render_agg_trade(instrument, t.trade_id, t.price, t.quantity, t.ts, t.taker_side == Side.SELL)
            for t in chosen
        ]
        return respond(request, rows)

    @app.route("/klines", methods=["GET"])
    def klines(self, request: IRequest) -> bytes:
        params = self._read(request, 2)
        instrument = self._trading.instrument(params)
        interval = params.text("interval", required=True)
        if interval not in INTERVALS:
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = params.whole("limit", default=500, low=1, high=1000)
        start, end = params.whole("startTime", default=0), params.whole("endTime", default=2**63)
        series = self._statistics.candles[instrument.symbol][interval]
        candles = [c for c in series.latest(1000) if start <= c.open_time <= end]  # type: ignore[operator]
        chosen = candles[:limit] if params.text("startTime") else candles[-limit:]  # type: ignore[misc]
        length = INTERVALS[interval]
        return respond(request, [render_kline(candle, length, instrument) for candle in chosen])

    @app.route("/ticker/24hr", methods=["GET"])
    def ticker_24hr(self, request: IRequest) -> bytes:
        params, chosen = self._tickers(request, one=2, every=80)
        now = self._now_ms()
        rendered = [
            render_ticker(
                instrument,
                self._exchange.last_price(instrument.symbol),
                self._top(instrument),
                self._statistics.rolling[instrument.symbol].stats(now),
                now,
            )
            for instrument in chosen
        ]
        return respond(request, rendered[0] if params.text("symbol") else rendered)

    @app.route("/ticker", methods=["GET"])
    def ticker_window(self, request: IRequest) -> bytes:
        """Rolling window statistics: the trades since the minute ``windowSize`` (default 1d) before now,
        so the window is up to 59,999 ms wider, as on Binance; ``type`` FULL or MINI."""
        params = self._read(request, 0)
        chosen = params.symbols(self._symbols)
        if chosen is None:
            raise BinanceError(
                400, -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"
            )
        charge(request, self._limiter, min(4 * len(chosen), 200))
        length, mini = window_size(params), ticker_type(params) == "MINI"
        now = self._now_ms()
        open_time = now - now % MINUTE_MS - length
        rendered = [
            render_window_ticker(
                instrument,
                self._exchange.last_price(instrument.symbol),
                self._statistics.rolling[instrument.symbol].since(open_time),
                open_time,
                now,
                mini,
            )
            for instrument in chosen
        ]
        return respond(request, rendered[0] if params.text("symbol") else rendered)

    @app.route("/avgPrice", methods=["GET"])
    def avg_price(self, request: IRequest) -> bytes:
        params = self._read(request, 2)
        instrument = self._trading.instrument(params)
        rolling, last = (
            self._statistics.rolling[instrument.symbol],
            self._exchange.last_price(instrument.symbol),
        )
        return respond(request, render_avg_price(instrument, rolling, last, self._now_ms()))

    @app.route("/ticker/price", methods=["GET"])
    def ticker_price(self, request: IRequest) -> bytes:
        params, chosen = self._tickers(request, one=2, every=4)
        rendered = [render_price_ticker(i, self._exchange.last_price(i.symbol)) for i in chosen]
        return respond(request, rendered[0] if params.text("symbol") else rendered)

    @app.route("/ticker/bookTicker", methods=["GET"])
    def book_ticker(self, request: IRequest) -> bytes:
        params, chosen = self._tickers(request, one=2, every=4)
        rendered = [render_book_ticker(i, self._top(i)) for i in chosen]
        return respond(request, rendered[0] if params.text("symbol") else rendered)

    # -- the caller's account ------------------------------------------------------------------------
    @app.route("/account", methods=["GET"])
    def account(self, request: IRequest) -> bytes:
        account, _ = self._signed(request, 20)
        own, fees = self._accounts.get(account), self._fees
        maker = own.maker_fee if own is not None and own.maker_fee is not None else fees.maker_fee
        taker = own.taker_fee if own is not None and own.taker_fee is not None else fees.taker_fee
        balances = self._exchange.balances(account)
        return respond(request, render_account(balances, maker, taker, self._now_ms()))

    @app.route("/order", methods=["POST"])
    def place_order(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 1)
        return respond(request, self._trading.place(account, params, self._trading.instrument(params)))

    @app.route("/order", methods=["GET"])
    def get_order(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 4)
        instrument = self._trading.instrument(params)
        order = self._trading.find(account, order_reference(params), instrument)
        return respond(request, render_order(order, instrument))

    @app.route("/order", methods=["DELETE"])
    def cancel_order(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 1)
        instrument = self._trading.instrument(params)
        return respond(request, self._trading.cancel(account, order_reference(params), instrument))

    @app.route("/order/cancelReplace", methods=["POST"])
    def cancel_replace(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 1)
        instrument = self._trading.instrument(params)
        mode = cancel_replace_mode(params)
        reference = order_reference(params, "cancelOrderId", "cancelOrigClientOrderId")
        parse_new_order(params, instrument)  # refuse bad new-order parameters before canceling anything
        outcome: dict[str, Any] = {"cancelResult": "SUCCESS", "newOrderResult": "NOT_ATTEMPTED"}
        try:
            outcome["cancelResponse"] = self._trading.cancel(account, reference, instrument)
        except (EngineError, BinanceError) as error:
            outcome["cancelResult"], outcome["cancelResponse"] = "FAILURE", _error_body(error, canceling=True)
            if mode == "STOP_ON_FAILURE":
                outcome["newOrderResponse"] = None
                raise BinanceError(400, -2022, "Order cancel-replace failed.", outcome) from None
        try:
            outcome["newOrderResponse"] = self._trading.place(account, params, instrument)
            outcome["newOrderResult"] = "SUCCESS"
        except (EngineError, BinanceError) as error:
            outcome["newOrderResult"], outcome["newOrderResponse"] = "FAILURE", _error_body(error)
        if outcome["cancelResult"] == "SUCCESS" and outcome["newOrderResult"] == "SUCCESS":
            return respond(request, outcome)
        both_failed = outcome["cancelResult"] == outcome["newOrderResult"] == "FAILURE"
        if both_failed:
            raise BinanceError(400, -2022, "Order cancel-replace failed.", outcome)
        raise BinanceError(409, -2021, "Order cancel-replace partially failed.", outcome)

    @app.route("/openOrders", methods=["GET"])
    def open_orders(self, request: IRequest) -> bytes:
        account, params = self._signed(request, lambda params: 6 if params.text("symbol") else 80)
        symbol = self._optional_symbol(params)
        orders = self._exchange.open_orders(account, symbol)
        return respond(request, [render_order(o, self._exchange.instrument(o.symbol)) for o in orders])

    @app.route("/openOrders", methods=["DELETE"])
    def cancel_open_orders(self, request: IRequest) -> bytes:
        """Cancel the caller's open orders on a symbol; none open is -2011, as Binance answers."""
        account, params = self._signed(request, 1)
        instrument = self._trading.instrument(params)
        result = self._exchange.cancel_all(account, instrument.symbol, ts=self._now_ms())
        canceled = [
            render_canceled(event.order, instrument)
            for event in result.events
            if type(event) is OrderCanceled
        ]
        if not canceled:
            raise BinanceError(400, -2011, "Unknown order sent.")
        return respond(request, canceled)

    @app.route("/allOrders", methods=["GET"])
    def all_orders(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 20)
        instrument = self._trading.instrument(params)
        orders = self._exchange.orders(account, instrument.symbol)
        chosen = _window(params, orders, "orderId", lambda order: order.order_id, lambda order: order.created)
        return respond(request, [render_order(order, instrument) for order in chosen])

    @app.route("/myTrades", methods=["GET"])
    def my_trades(self, request: IRequest) -> bytes:
        account, params = self._signed(request, 20)
        instrument = self._trading.instrument(params)
        order_id = params.whole("orderId")
        fills = [
            fill
            for fill in self._exchange.fills(account, instrument.symbol, 1000)
            if order_id is None or fill.order_id == order_id
        ]
        chosen = _window(params, fills, "fromId", lambda fill: fill.trade_id, lambda fill: fill.ts)
        return respond(request, [render_my_trade(fill, instrument) for fill in chosen])

    # -- user data streams ---------------------------------------------------------------------------
    @app.route("/userDataStream", methods=["POST"])
    def start_user_data_stream(self, request: IRequest) -> bytes:
        self._read(request, 2)
        return respond(request, {"listenKey": self._listen_keys.start(self._key_owner(request))})

    @app.route("/userDataStream", methods=["PUT"])
    def keep_user_data_stream_alive(self, request: IRequest) -> bytes:
        self._listen_keys.keepalive(*self._listen_key(request))
        return respond(request, {})

    @app.route("/userDataStream", methods=["DELETE"])
    def close_user_data_stream(self, request: IRequest) -> bytes:
        self._listen_keys.close(*self._listen_key(request))
        return respond(request, {})

    def _key_owner(self, request: IRequest) -> str:
        """The account of the request's ``X-MBX-APIKEY`` (a USER_STREAM route: the key, no signature)."""
        return known_key(api_key_of(request), self._authenticator).account

    def _listen_key(self, request: IRequest) -> tuple[str, str]:
        """The caller's account and the ``listenKey`` it names."""
        params = self._read(request, 2)
        account = self._key_owner(request)
        return account, params.text("listenKey", required=True)  # type: ignore[return-value]

    # -- helpers -------------------------------------------------------------------------------------
    def _read(self, request: IRequest, weight: int) -> Params:
        """Charge ``weight`` (0: the route charges once it knows it) and read the parameters."""
        if weight:
            charge(request, self._limiter, weight)
        return read_params(request, self._max_body_bytes)

    def _signed(self, request: IRequest, weight: int | Callable[[Params], int]) -> tuple[str, Params]:
        """The account a signed request acts for, and its parameters; ``weight`` (or ``weight(params)``)
        is charged to the API key once the signature holds, else to the request's address."""
        spent = weight if isinstance(weight, int) else 1  # until the parameters say
        try:
            params = self._read(request, 0)
            spent = weight if isinstance(weight, int) else weight(params)
            account = authenticate(request, params, self._authenticator, self._wall_ms())
        except BinanceError:
            charge(request, self._limiter, spent)  # no key's budget: the request did not prove one
            raise
        charge(request, self._limiter, spent, api_key_of(request))
        return account, params

    def _optional_symbol(self, params: Params) -> str | None:
        name = params.text("symbol")
        return None if name is None else instrument_named(self._symbols, name).symbol

    def _tickers(self, request: IRequest, one: int, every: int) -> tuple[Params, list[Instrument]]:
        params = self._read(request, 0)
        chosen = params.symbols(self._symbols)
        charge(request, self._limiter, tickers_weight(None if chosen is None else len(chosen), one, every))
        return params, list(self._symbols.values()) if chosen is None else chosen

    def _top(self, instrument: Instrument) -> Top:
        return top_of_book(self._exchange, instrument.symbol)


class NotServed(Resource):
    """A Binance API the simulator does not serve: 404 with Binance's error body, whatever the path below."""

    isLeaf = True

    def render(self, request: IRequest) -> bytes:
        status, payload = BINANCE_ERRORS.unknown_path(request.path.decode("utf-8", "replace"))
        return respond(request, payload, status)


def _error_body(error: Exception, canceling: bool = False) -> dict[str, Any]:
    if isinstance(error, EngineError):
        error = from_engine_error(error, canceling=canceling)
    return {"code": error.code, "msg": error.msg}  # type: ignore[attr-defined]


def _window(params: Params, items: Any, id_param: str, id_of: Any, ts_of: Any) -> list[Any]:
    """Items from id ``id_param`` on and within ``startTime``..``endTime``, oldest first: the first
    ``limit`` of them when a start is given, else the latest ``limit``, as Binance pages."""
    limit = params.whole("limit", default=500, low=1, high=1000)
    first = params.whole(id_param, default=0)
    start, end = params.whole("startTime", default=0), params.whole("endTime", default=2**63)
    chosen = [item for item in items if id_of(item) >= first and start <= ts_of(item) <= end]
    return chosen[:limit] if params.text(id_param) or params.text("startTime") else chosen[-limit:]
