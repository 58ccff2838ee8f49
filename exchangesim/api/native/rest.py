"""The native REST API under ``/api/v1``: a Klein app over the engine; routes parse, call, render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ... import __version__
from ...engine import CommandResult, Exchange, OrderCanceled
from ...marketdata.statistics import MarketStatistics
from ..auth import Authenticator
from ..errors import ApiError
from ..exact_routes import ExactRoutes
from ..klein_errors import answer_errors_as_json, answer_failure
from ..requests import json_body, query, query_int
from ..responses import respond
from .openapi import openapi_document
from .parsing import instrument_of, interval_of, parse_new_order, parse_order_id, parse_replace, parse_status
from .render import (
    client_order_id_of,
    render_balances,
    render_candle,
    render_depth,
    render_fill,
    render_instrument,
    render_order,
    render_position,
    render_public_trade,
    render_ticker,
)

if TYPE_CHECKING:
    from ...marketdata.service import MovingMarket

__all__ = ["NativeAPI", "check_parameter_place"]

_QUERY_METHODS = frozenset((b"GET", b"HEAD", b"DELETE"))
"""Methods whose parameters travel in the query string; the others (POST) send a JSON body."""

_HOT_ROUTES = (
    "place_order",
    "list_orders",
    "cancel_all",
    "get_order",
    "cancel_order",
    "get_order_by_client_id",
    "replace_order",
)
"""The order routes, which an order flow calls on every request: answered without Klein's routing."""


class NativeAPI:
    """Routes of ``/api/v1``; one instance per venue, testable in memory with ``StubTreq``."""

    app = Klein()
    answer_errors_as_json(app)

    def __init__(
        self,
        exchange: Exchange,
        statistics: MarketStatistics,
        authenticator: Authenticator,
        admin: IResource,
        *,
        clock: IReactorTime,
        now_ms: Callable[[], int],
        markets: Mapping[str, MovingMarket],
        seed: int,
        max_body_bytes: int,
    ) -> None:
        """``admin``: the admin API's resource, mounted at ``/admin``; ``now_ms``: the market time;
        ``markets``: the moving markets by symbol, whose lag health reports."""
        self._exchange = exchange
        self._statistics = statistics
        self._authenticator = authenticator
        self._admin = admin
        self._clock = clock
        self._now_ms = now_ms
        self._markets = markets
        self._seed = seed
        self._max_body_bytes = max_body_bytes
        self._started = clock.seconds()

    def resource(self) -> IResource:
        """The twisted.web resource to mount at ``/api/v1``."""
        return ExactRoutes(self.app, _HOT_ROUTES, answer_failure())

    # -- public -----------------------------------------------------------------------------------
    @app.route("/health", methods=["GET"])
    def health(self, request: IRequest) -> bytes:
        """Liveness and identity: status, version, uptime, the seed this run replays from, the market's
        time and how far it runs behind."""
        uptime_ms = int((self._clock.seconds() - self._started) * 1000)
        lag_s = max((market.lag() for market in self._markets.values()), default=0.0)
        return respond(
            request,
            {
                "status": "ok",
                "version": __version__,
                "uptime_ms": uptime_ms,
                "seed": self._seed,
                "market_time": self._now_ms(),
                "market_lag_ms": round(lag_s * 1000),
            },
        )

    @app.route("/openapi.json", methods=["GET"])
    def openapi(self, request: IRequest) -> bytes:
        return respond(request, openapi_document())

    @app.route("/symbols", methods=["GET"])
    def symbols(self, request: IRequest) -> bytes:
        return respond(request, {"symbols": [render_instrument(i) for i in self._exchange.instruments()]})

    @app.route("/ticker", methods=["GET"])
    def ticker(self, request: IRequest) -> bytes:
        instrument = instrument_of(self._exchange, query(request, "symbol", required=True))
        now = self._now_ms()
        symbol = instrument.symbol
        window = self._statistics.rolling[symbol].stats(now)
        payload = render_ticker(
            instrument, self._exchange.last_price(symbol), self._exchange.best_bid_ask(symbol), window, now
        )
        return respond(request, payload)

    @app.route("/orderbook", methods=["GET"])
    def orderbook(self, request: IRequest) -> bytes:
        instrument = instrument_of(self._exchange, query(request, "symbol", required=True))
        depth = query_int(request, "depth", default=20, low=1, high=1000)
        book = render_depth(self._exchange.depth(instrument.symbol, depth), instrument)
        return respond(request, {"symbol": instrument.symbol, "timestamp": self._now_ms(), **book})

    @app.route("/trades", methods=["GET"])
    def trades(self, request: IRequest) -> bytes:
        instrument = instrument_of(self._exchange, query(request, "symbol", required=True))
        limit = query_int(request, "limit", default=50, low=1, high=1000)
        trades = self._exchange.recent_trades(instrument.symbol, limit)
        rendered = [
            render_public_trade(t.trade_id, t.price, t.quantity, t.taker_side, t.ts, instrument)
            for t in trades
        ]
        return respond(request, {"symbol": instrument.symbol, "trades": rendered})

    @app.route("/candles", methods=["GET"])
    def candles(self, request: IRequest) -> bytes:
        instrument = instrument_of(self._exchange, query(request, "symbol", required=True))
        interval = interval_of(query(request, "interval"))
        limit = query_int(request, "limit", default=100, low=1, high=1000)
        series = self._statistics.candles[instrument.symbol][interval]
        rendered = [render_candle(candle, instrument) for candle in series.latest(limit)]
        return respond(request, {"symbol": instrument.symbol, "interval": interval, "candles": rendered})

    # -- the caller's account --------------------------------------------------------------------
    @app.route("/orders", methods=["POST"])
    def place_order(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        order = parse_new_order(json_body(request, self._max_body_bytes), self._exchange)
        result = self._exchange.place(account, ts=self._now_ms(), **order)
        return respond(request, self._order_with_fills(result, account), 201)

    @app.route("/orders", methods=["GET"])
    def list_orders(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        symbol = self._optional_symbol(request)
        status = parse_status(query(request, "status"))
        if status == "OPEN":
            orders = self._exchange.open_orders(account, symbol)
        else:
            orders = self._exchange.orders(account, symbol, None if status == "ALL" else status)
        return respond(request, {"orders": [self._render_order(order) for order in orders]})

    @app.route("/orders", methods=["DELETE"])
    def cancel_all(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        symbol = self._optional_symbol(request)
        result = self._exchange.cancel_all(account, symbol, ts=self._now_ms())
        canceled = [
            self._render_order(event.order) for event in result.events if type(event) is OrderCanceled
        ]
        return respond(request, {"canceled": canceled})

    @app.route("/orders/<order_id>", methods=["GET"])
    def get_order(self, request: IRequest, order_id: str) -> bytes:
        account = self._authenticate(request)
        return respond(
            request, self._render_order(self._exchange.get_order(account, parse_order_id(order_id)))
        )

    @app.route("/orders/<order_id>", methods=["DELETE"])
    def cancel_order(self, request: IRequest, order_id: str) -> bytes:
        account = self._authenticate(request)
        result = self._exchange.cancel(account, parse_order_id(order_id), ts=self._now_ms())
        return respond(
            request, self._render_order(result.order or self._exchange.get_order(account, result.order_id))
        )

    @app.route("/orders/by-client-id/<client_order_id>", methods=["GET"])
    def get_order_by_client_id(self, request: IRequest, client_order_id: str) -> bytes:
        account = self._authenticate(request)
        return respond(
            request, self._render_order(self._exchange.get_order_by_client_id(account, client_order_id))
        )

    @app.route("/orders/<order_id>/replace", methods=["POST"])
    def replace_order(self, request: IRequest, order_id: str) -> bytes:
        account = self._authenticate(request)
        order = self._exchange.get_order(account, parse_order_id(order_id))
        amend = parse_replace(
            json_body(request, self._max_body_bytes),
            self._exchange.instrument(order.symbol),
        )
        result = self._exchange.replace(account, order.order_id, ts=self._now_ms(), **amend)
        return respond(request, self._order_with_fills(result, account))

    @app.route("/balance", methods=["GET"])
    def balance(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        return respond(
            request, {"account": account, "balances": render_balances(self._exchange.balances(account))}
        )

    @app.route("/positions", methods=["GET"])
    def positions(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        positions = [render_position(p, self._exchange) for p in self._exchange.positions(account)]
        return respond(request, {"positions": positions})

    @app.route("/fills", methods=["GET"])
    def fills(self, request: IRequest) -> bytes:
        account = self._authenticate(request)
        symbol = self._optional_symbol(request)
        limit = query_int(request, "limit", default=100, low=1, high=1000)
        fills = self._exchange.fills(account, symbol, limit)
        return respond(request, {"fills": [self._render_fill(fill, account) for fill in fills]})

    @app.route("/admin", branch=True)
    def admin(self, request: IRequest) -> IResource:
        return self._admin

    # -- helpers ----------------------------------------------------------------------------------
    def _authenticate(self, request: IRequest) -> str:
        """The caller's account, after the parameters' place is checked; uses its signature up."""
        check_parameter_place(request)
        return self._authenticator.admit(request)

    def _optional_symbol(self, request: IRequest) -> str | None:
        symbol = query(request, "symbol")
        return None if symbol is None else instrument_of(self._exchange, symbol).symbol

    def _render_order(self, order: Any) -> dict[str, Any]:
        return render_order(order, self._exchange.instrument(order.symbol))

    def _render_fill(self, fill: Any, account: str) -> dict[str, Any]:
        client_order_id = client_order_id_of(self._exchange, account, fill.order_id)
        return render_fill(fill, self._exchange.instrument(fill.symbol), client_order_id)

    def _order_with_fills(self, result: CommandResult, account: str) -> dict[str, Any]:
        order = result.order or self._exchange.get_order(account, result.order_id)
        instrument = self._exchange.instrument(order.symbol)
        fills = [
            render_fill(side, instrument, order.client_order_id)
            for trade in result.trades
            for side in trade.fills()
            if side.order_id == order.order_id
        ]
        return {**render_order(order, instrument), "fills": fills}


def check_parameter_place(request: IRequest) -> None:
    """Refuse parameters in the place a route does not read them (400, naming the field): a body on a
    GET or DELETE, a query parameter on a POST, whose routes take a JSON body. A signed request then
    means one thing only: nothing it carries is ignored, and nothing can be moved between the two."""
    method = request.method.decode("ascii", "replace")
    if request.method in _QUERY_METHODS:
        content = request.content
        if content is None:
            return
        position = content.tell()
        sent = content.read(1)
        content.seek(position)
        if sent:
            raise ApiError(
                400,
                "UNEXPECTED_BODY",
                f"{method} takes its parameters in the query string; send no body",
                "body",
            )
    elif request.args:
        name = next(iter(request.args)).decode("utf-8", "replace")
        raise ApiError(
            400,
            "UNEXPECTED_QUERY_PARAMETER",
            f"{method} takes its parameters in the JSON body; move {name!r} out of the query string",
            name,
        )
