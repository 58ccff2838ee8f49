"""Native request bodies and parameters turned into engine arguments (ticks, lots, units)."""

from __future__ import annotations

import re
from typing import Any

from ...engine import EngineError, Exchange, Instrument, OrderStatus, parse_amount
from ...marketdata.candles import INTERVALS
from ..errors import ApiError
from ..requests import check_fields, text_field

__all__ = [
    "ORDER_FIELDS",
    "instrument_of",
    "interval_of",
    "parse_new_order",
    "parse_order_id",
    "parse_replace",
    "parse_status",
]

ORDER_FIELDS = (
    "symbol",
    "side",
    "type",
    "quantity",
    "price",
    "time_in_force",
    "stop_price",
    "quote_quantity",
    "client_order_id",
    "stp",
)
_ORDER_ID = re.compile(r"[0-9]{1,18}")
_STATUSES = {"OPEN", "ALL"} | {value for name, value in vars(OrderStatus).items() if name.isupper()}


def parse_new_order(body: dict[str, Any], exchange: Exchange) -> dict[str, Any]:
    """Keyword arguments of ``Exchange.place`` (less account and ts) from a POST /orders body."""
    check_fields(body, ORDER_FIELDS, required=("symbol", "side", "type"))
    instrument = instrument_of(exchange, body["symbol"])
    order: dict[str, Any] = {
        "symbol": instrument.symbol,
        "side": text_field(body, "side"),
        "order_type": text_field(body, "type"),
    }
    for name in ("time_in_force", "client_order_id", "stp"):
        if body.get(name) is not None:
            order[name] = text_field(body, name)
    if body.get("quantity") is not None:
        order["quantity"] = instrument.parse_quantity(body["quantity"])
    for name in ("price", "stop_price"):
        if body.get(name) is not None:
            order[name] = instrument.parse_price(body[name], name)
    if body.get("quote_quantity") is not None:
        order["quote_quantity"] = parse_amount(body["quote_quantity"], "quote_quantity")
    return order


def parse_replace(body: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
    """Keyword arguments of ``Exchange.replace`` from a POST /orders/{id}/replace body."""
    check_fields(body, ("quantity", "price"))
    if body.get("quantity") is None and body.get("price") is None:
        raise ApiError(400, "MISSING_FIELD", "give a new quantity, a new price, or both", "quantity")
    amend: dict[str, Any] = {}
    if body.get("quantity") is not None:
        amend["quantity"] = instrument.parse_quantity(body["quantity"])
    if body.get("price") is not None:
        amend["price"] = instrument.parse_price(body["price"])
    return amend


def parse_order_id(text: str) -> int:
    """An order id from a path segment."""
    if not _ORDER_ID.fullmatch(text):
        raise ApiError(400, "INVALID_PARAMETER", f"order id must be a whole number, got {text!r}", "order_id")
    return int(text)


def parse_status(text: str | None) -> str:
    """The ``status`` filter of GET /orders: OPEN (the default), ALL, or one order status."""
    status = (text or "OPEN").upper()
    if status not in _STATUSES:
        raise ApiError(
            400, "INVALID_PARAMETER", f"status must be one of {', '.join(sorted(_STATUSES))}", "status"
        )
    return status


def instrument_of(exchange: Exchange, symbol: Any) -> Instrument:
    """The listed instrument named by a request, or a 400 naming the listed ones."""
    if not isinstance(symbol, str):
        raise ApiError(400, "UNKNOWN_SYMBOL", "symbol must be a string such as BTC/USD", "symbol")
    try:
        return exchange.instrument(symbol)
    except EngineError:
        listed = ", ".join(i.symbol for i in exchange.instruments())
        raise ApiError(
            400, "UNKNOWN_SYMBOL", f"unknown symbol {symbol!r}; listed: {listed}", "symbol"
        ) from None


def interval_of(value: object) -> str:
    """A candle interval name (absent: 1m), or a 400 naming the known ones."""
    if value is None:
        return "1m"
    if not isinstance(value, str) or value not in INTERVALS:
        known = ", ".join(INTERVALS)
        raise ApiError(400, "INVALID_PARAMETER", f"unknown interval {value!r}; known: {known}", "interval")
    return value
