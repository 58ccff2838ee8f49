"""Binance order parameters turned into engine arguments (ticks, lots, units)."""

from __future__ import annotations

import secrets
from typing import Any

from ...engine import Instrument, OrderType, parse_amount
from .errors import BinanceError
from .params import Params

__all__ = ["RESPONSE_TYPES", "cancel_replace_mode", "order_reference", "parse_new_order", "response_type"]

RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
CANCEL_REPLACE_MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")


def parse_new_order(params: Params, instrument: Instrument) -> dict[str, Any]:
    """Keyword arguments of ``Exchange.place`` (less account and ts) from POST /order parameters.

    Binance always names an order by a client order id: one is made up when the client sends none.
    """
    text = params.text
    order: dict[str, Any] = {
        "symbol": instrument.symbol,
        "side": text("side", required=True),
        "order_type": text("type", required=True),
        "client_order_id": text("newClientOrderId") or "sim-" + secrets.token_hex(10),
    }
    for name, field in (("timeInForce", "time_in_force"), ("selfTradePreventionMode", "stp")):
        value = text(name)
        if value is not None:
            order[field] = value
    quantity = text("quantity")
    if quantity is not None:
        order["quantity"] = instrument.parse_quantity(quantity)
    for name, field in (("price", "price"), ("stopPrice", "stop_price")):
        value = text(name)
        if value is not None:
            order[field] = instrument.parse_price(value, field)
    quote_quantity = text("quoteOrderQty")
    if quote_quantity is not None:
        order["quote_quantity"] = parse_amount(quote_quantity, "quote_quantity")
    for name in ("trailingDelta", "icebergQty"):
        if text(name) not in (None, "0"):
            raise BinanceError(400, -1106, f"Parameter '{name}' sent when not required.")
    return order


def response_type(params: Params, order_type: str) -> str:
    """``newOrderRespType``; absent, FULL for LIMIT and MARKET orders and ACK for the others."""
    default = "FULL" if order_type in (OrderType.LIMIT, OrderType.MARKET) else "ACK"
    value = params.text("newOrderRespType") or default
    if value not in RESPONSE_TYPES:
        raise BinanceError(
            400,
            -1100,
            "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.",
        )
    return value


def order_reference(
    params: Params, id_name: str = "orderId", client_name: str = "origClientOrderId"
) -> dict[str, Any]:
    """``order_id`` or ``client_order_id`` of the order a request names (the id wins when both are sent)."""
    order_id = params.whole(id_name)
    if order_id is not None:
        return {"order_id": order_id}
    client_order_id = params.text(client_name)
    if client_order_id is None:
        raise BinanceError(
            400, -1102, f"Param '{client_name}' or '{id_name}' must be sent, but both were empty/null!"
        )
    return {"client_order_id": client_order_id}


def cancel_replace_mode(params: Params) -> str:
    mode = params.text("cancelReplaceMode", required=True)
    if mode not in CANCEL_REPLACE_MODES:
        raise BinanceError(
            400,
            -1100,
            "Illegal characters found in parameter 'cancelReplaceMode';"
            " legal range is 'STOP_ON_FAILURE, ALLOW_FAILURE'.",
        )
    return mode
