"""Placing, finding and canceling orders the Binance way, for the REST dialect and the WS-API alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...engine import ClientIdScope, EngineError, Exchange, Instrument
from .errors import BinanceError, from_engine_error
from .params import Params, binance_symbols, instrument_named
from .parsing import parse_new_order, response_type
from .render import render_canceled, render_new_order

__all__ = ["Trading"]


class Trading:
    """An account's order actions on the engine, answered as Binance renders them; ``now_ms`` is the
    market time the engine stamps them with. ``symbols``: the listed instruments by Binance name."""

    def __init__(self, exchange: Exchange, now_ms: Callable[[], int]) -> None:
        self._exchange = exchange
        self._now_ms = now_ms
        self.symbols = binance_symbols(exchange)

    def instrument(self, params: Params) -> Instrument:
        """The instrument the required ``symbol`` parameter names, or -1121."""
        return instrument_named(self.symbols, params.text("symbol", required=True))  # type: ignore[arg-type]

    def find(self, account: str, reference: dict[str, Any], instrument: Instrument) -> Any:
        """The order ``reference`` names (``order_id`` or ``client_order_id``) on ``instrument``."""
        if "order_id" in reference:
            order = self._exchange.get_order(account, reference["order_id"])
        else:
            order = self._exchange.get_order_by_client_id(account, reference["client_order_id"])
        if order.symbol != instrument.symbol:
            raise BinanceError(400, -2013, "Order does not exist.")
        return order

    def place(self, account: str, params: Params, instrument: Instrument) -> dict[str, Any]:
        """Place the order ``params`` describe; the answer ``newOrderRespType`` asks for.

        ``newClientOrderId`` is unique among the account's open orders only, as on Binance.
        """
        order = parse_new_order(params, instrument)
        answer = response_type(params, order["order_type"])
        result = self._exchange.place(account, ts=self._now_ms(), client_id_scope=ClientIdScope.OPEN, **order)
        placed = result.order or self._exchange.get_order(account, result.order_id)  # type: ignore[arg-type]
        return render_new_order(placed, instrument, answer, result.trades)

    def cancel(self, account: str, reference: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
        """Cancel the order ``reference`` names; -2011 when there is no such open order."""
        try:
            self.find(account, reference, instrument)
            result = self._exchange.cancel(account, ts=self._now_ms(), **reference)
        except EngineError as error:
            raise from_engine_error(error, canceling=True) from None
        except BinanceError:
            raise BinanceError(400, -2011, "Unknown order sent.") from None
        order = result.order or self._exchange.get_order(account, result.order_id)  # type: ignore[arg-type]
        return render_canceled(order, instrument)
