"""The OpenAPI 3.1 description of ``/api/v1``; tests validate real responses against it."""

from __future__ import annotations

from functools import cache
from typing import Any

from ... import __version__
from ...engine import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from ...engine.orders import CLIENT_ORDER_ID_PATTERN
from ...marketdata.candles import INTERVALS

__all__ = ["openapi_document"]

DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["50000.00"]}
OPTIONAL_DECIMAL = {"oneOf": [DECIMAL, {"type": "null"}]}
EPOCH_MS = {"type": "integer", "minimum": 0, "description": "epoch milliseconds"}
ID = {"type": "string", "pattern": "^[0-9]{1,18}$"}
TEXT_OR_NULL = {"type": ["string", "null"]}


def _values(names: type) -> list[str]:
    """The values of one of the engine's name classes (OrderType, ...), in the order it lists them."""
    return [value for key, value in vars(names).items() if key.isupper()]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "order_id": ID,
                    "server_time": EPOCH_MS,
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            }
        }
    ),
    "Health": _object(
        {
            "status": {"const": "ok"},
            "version": {"type": "string"},
            "uptime_ms": {"type": "integer", "minimum": 0, "description": "milliseconds since start"},
            "seed": {"type": "integer"},
            "market_time": {
                "type": "integer",
                "description": "the market's time, epoch milliseconds: market timestamps read it",
            },
            "market_lag_ms": {
                "type": "integer",
                "minimum": 0,
                "description": "wall-clock milliseconds the market runs behind its schedule (0: on time)",
            },
        }
    ),
    "Symbol": _object(
        {
            name: DECIMAL
            for name in (
                "tick_size",
                "lot_size",
                "min_qty",
                "max_qty",
                "min_notional",
                "maker_fee",
                "taker_fee",
            )
        }
        | {"symbol": {"type": "string"}, "base": {"type": "string"}, "quote": {"type": "string"}}
    ),
    "Symbols": _object({"symbols": {"type": "array", "items": _ref("Symbol")}}),
    "Ticker": _object(
        {
            "symbol": {"type": "string"},
            "timestamp": EPOCH_MS,
            "volume_24h": DECIMAL,
            "quote_volume_24h": DECIMAL,
        }
        | {
            name: OPTIONAL_DECIMAL
            for name in ("last_price", "best_bid", "best_ask", "open_24h", "high_24h", "low_24h")
        }
    ),
    "Level": {"type": "array", "prefixItems": [DECIMAL, DECIMAL], "minItems": 2, "maxItems": 2},
    "OrderBook": _object(
        {
            "symbol": {"type": "string"},
            "sequence": {
                "type": "integer",
                "minimum": 0,
                "description": "the BOOK stream's seq at this moment",
            },
            "timestamp": EPOCH_MS,
            "bids": {"type": "array", "items": _ref("Level")},
            "asks": {"type": "array", "items": _ref("Level")},
        }
    ),
    "PublicTrade": _object(
        {
            "trade_id": ID,
            "price": DECIMAL,
            "quantity": DECIMAL,
            "side": {"enum": _values(Side)},
            "timestamp": EPOCH_MS,
        }
    ),
    "Trades": _object(
        {"symbol": {"type": "string"}, "trades": {"type": "array", "items": _ref("PublicTrade")}}
    ),
    "Candle": _object(
        {
            "open_time": EPOCH_MS,
            "open": DECIMAL,
            "high": DECIMAL,
            "low": DECIMAL,
            "close": DECIMAL,
            "volume": DECIMAL,
            "quote_volume": DECIMAL,
            "trades": {"type": "integer", "minimum": 0},
            "closed": {"type": "boolean", "description": "false for the candle still in progress"},
        }
    ),
    "Candles": _object(
        {
            "symbol": {"type": "string"},
            "interval": {"enum": list(INTERVALS)},
            "candles": {"type": "array", "items": _ref("Candle")},
        }
    ),
    "NewOrder": {
        "type": "object",
        "properties": {
            "symbol": {"type": "string", "examples": ["BTC/USD"]},
            "side": {"enum": _values(Side)},
            "type": {"enum": _values(OrderType)},
            "quantity": DECIMAL,
            "price": DECIMAL,
            "quote_quantity": {**DECIMAL, "description": "MARKET buys: how much quote to spend"},
            "time_in_force": {"enum": _values(TimeInForce)},
            "stop_price": DECIMAL,
            "client_order_id": {"type": "string", "pattern": "^" + CLIENT_ORDER_ID_PATTERN + "$"},
            "stp": {"enum": _values(SelfTradePrevention)},
        },
        "required": ["symbol", "side", "type"],
        "additionalProperties": False,
    },
    "Replace": {
        "type": "object",
        "properties": {"quantity": DECIMAL, "price": DECIMAL},
        "minProperties": 1,
        "additionalProperties": False,
    },
    "Order": _object(
        {
            "order_id": ID,
            "client_order_id": TEXT_OR_NULL,
            "symbol": {"type": "string"},
            "side": {"enum": _values(Side)},
            "type": {"type": "string"},
            "time_in_force": TEXT_OR_NULL,
            "status": {"enum": _values(OrderStatus)},
            "price": OPTIONAL_DECIMAL,
            "stop_price": OPTIONAL_DECIMAL,
            "quantity": OPTIONAL_DECIMAL,
            "quote_quantity": OPTIONAL_DECIMAL,
            "filled_quantity": DECIMAL,
            "remaining_quantity": OPTIONAL_DECIMAL,
            "cumulative_quote": DECIMAL,
            "average_price": OPTIONAL_DECIMAL,
            "fee": DECIMAL,
            "fee_asset": {"type": "string"},
            "stp": {"type": "string"},
            "working": {"type": "boolean", "description": "false while a stop order waits for its trigger"},
            "reason": TEXT_OR_NULL,
            "created_at": EPOCH_MS,
            "updated_at": EPOCH_MS,
        }
    ),
    "Fill": _object(
        {
            "trade_id": ID,
            "order_id": ID,
            "client_order_id": TEXT_OR_NULL,
            "symbol": {"type": "string"},
            "side": {"enum": _values(Side)},
            "price": DECIMAL,
            "quantity": DECIMAL,
            "quote_quantity": DECIMAL,
            "fee": DECIMAL,
            "fee_asset": {"type": "string"},
            "liquidity": {"enum": ["MAKER", "TAKER"]},
            "timestamp": EPOCH_MS,
        }
    ),
    "Balances": {
        "type": "object",
        "additionalProperties": _object({"available": DECIMAL, "locked": DECIMAL, "total": DECIMAL}),
    },
    "Position": _object(
        {
            "symbol": {"type": "string"},
            "quantity": DECIMAL,
            "average_price": DECIMAL,
            "realized_pnl": DECIMAL,
            "unrealized_pnl": DECIMAL,
        }
    ),
}
SCHEMAS["PlacedOrder"] = {
    **SCHEMAS["Order"],
    "properties": {**SCHEMAS["Order"]["properties"], "fills": {"type": "array", "items": _ref("Fill")}},
    "required": [*SCHEMAS["Order"]["required"], "fills"],
}

_SYMBOL = {
    "name": "symbol",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "example": "BTC/USD",
}
_SYMBOL_FILTER = {**_SYMBOL, "required": False, "description": "only this symbol"}
_ORDER_ID = {"name": "order_id", "in": "path", "required": True, "schema": ID}
_INTERVAL = {
    "name": "interval",
    "in": "query",
    "required": False,
    "schema": {"enum": list(INTERVALS), "default": "1m"},
}


def _limit(name: str, default: int) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": 1000, "default": default}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "invalid input; error.field names it"),
    "401": _json(
        _ref("Error"),
        "not authenticated; error.code says why: UNAUTHENTICATED, INVALID_API_KEY, SIGNATURE_REQUIRED, "
        "INVALID_TIMESTAMP, TIMESTAMP_OUTSIDE_WINDOW, INVALID_SIGNATURE, or REPLAYED_SIGNATURE (the "
        "signature was already used: each is accepted once within the receive window)",
    ),
    "413": _json(_ref("Error"), "the body is larger than [server] max_body_bytes"),
    "415": _json(_ref("Error"), "the body is not application/json"),
}


def _operation(
    summary: str,
    schema: str,
    *,
    status: str = "200",
    parameters: list | None = None,
    body: str | None = None,
    private: bool = False,
    extra: dict[str, str] | None = None,
) -> dict:
    responses = {status: _json(_ref(schema), summary)}
    if parameters or body or private:  # private: UNEXPECTED_BODY, UNEXPECTED_QUERY_PARAMETER
        responses["400"] = _ERRORS["400"]
    if body:
        responses["413"] = _ERRORS["413"]
        responses["415"] = _ERRORS["415"]
    if private:
        responses["401"] = _ERRORS["401"]
    for code, description in (extra or {}).items():
        responses[code] = _json(_ref("Error"), description)
    operation: dict[str, Any] = {"summary": summary, "parameters": parameters or [], "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    if private:
        operation["security"] = [{"apiKey": []}, {}]
    return operation


def _list(name: str, item: str) -> dict[str, Any]:
    return _object({name: {"type": "array", "items": _ref(item)}})


SCHEMAS |= {
    "Orders": _list("orders", "Order"),
    "Canceled": _list("canceled", "Order"),
    "Fills": _list("fills", "Fill"),
    "Positions": _list("positions", "Position"),
    "Balance": _object({"account": {"type": "string"}, "balances": _ref("Balances")}),
}


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (built once)."""
    paths = {
        "/health": {"get": _operation("Liveness, version, uptime, seed, market time and lag", "Health")},
        "/symbols": {"get": _operation("Listed instruments with their steps and limits", "Symbols")},
        "/ticker": {
            "get": _operation(
                "Last price, best bid and ask, 24-hour statistics", "Ticker", parameters=[_SYMBOL]
            )
        },
        "/orderbook": {
            "get": _operation(
                "Aggregated depth and the book's sequence",
                "OrderBook",
                parameters=[_SYMBOL, _limit("depth", 20)],
            )
        },
        "/trades": {
            "get": _operation(
                "Recent public trades, oldest first", "Trades", parameters=[_SYMBOL, _limit("limit", 50)]
            )
        },
        "/candles": {
            "get": _operation(
                "OHLCV candles, oldest first, ending with the one in progress",
                "Candles",
                parameters=[_SYMBOL, _INTERVAL, _limit("limit", 100)],
            )
        },
        "/orders": {
            "post": _operation(
                "Place an order",
                "PlacedOrder",
                status="201",
                body="NewOrder",
                private=True,
                extra={
                    "409": "client_order_id already used (error.order_id names the order)",
                    "422": "insufficient balance, or a post-only order would take",
                },
            ),
            "get": _operation(
                "The caller's orders: open ones by default",
                "Orders",
                private=True,
                parameters=[
                    _SYMBOL_FILTER,
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "enum": ["OPEN", "ALL", *_values(OrderStatus)],
                            "default": "OPEN",
                        },
                    },
                ],
            ),
            "delete": _operation(
                "Cancel all the caller's open orders", "Canceled", private=True, parameters=[_SYMBOL_FILTER]
            ),
        },
        "/orders/{order_id}": {
            "get": _operation(
                "One of the caller's orders",
                "Order",
                private=True,
                parameters=[_ORDER_ID],
                extra={"404": "no such order for this account"},
            ),
            "delete": _operation(
                "Cancel one order",
                "Order",
                private=True,
                parameters=[_ORDER_ID],
                extra={"404": "no such order for this account", "409": "the order is not open"},
            ),
        },
        "/orders/by-client-id/{client_order_id}": {
            "get": _operation(
                "Find an order by its client order id (reconciliation after a lost ack)",
                "Order",
                private=True,
                extra={"404": "no such order for this account"},
                parameters=[
                    {"name": "client_order_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            ),
        },
        "/orders/{order_id}/replace": {
            "post": _operation(
                "Amend quantity (down keeps priority) or price",
                "PlacedOrder",
                private=True,
                parameters=[_ORDER_ID],
                body="Replace",
                extra={
                    "404": "no such order for this account",
                    "409": "not amendable",
                    "422": "insufficient balance",
                },
            ),
        },
        "/balance": {"get": _operation("The caller's balances", "Balance", private=True)},
        "/positions": {"get": _operation("The caller's positions and PnL", "Positions", private=True)},
        "/fills": {
            "get": _operation(
                "The caller's recent fills",
                "Fills",
                private=True,
                parameters=[_SYMBOL_FILTER, _limit("limit", 100)],
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "exchangesim native API",
            "version": __version__,
            "description": "Prices, quantities and amounts are decimal strings; times are epoch "
            "milliseconds. Requests name their account with X-API-Key (none: the default account); "
            "signed requests add X-Timestamp and X-Signature = hex HMAC-SHA256(secret, "
            "timestamp \\n METHOD \\n path \\n query \\n body), the request target split at its first "
            "'?', both as sent; each signature is accepted once within the receive window "
            "(REPLAYED_SIGNATURE). Account routes take their parameters in one place: the query string "
            "for GET and DELETE (a body is refused, UNEXPECTED_BODY), the JSON body for POST (a query "
            "parameter is refused, UNEXPECTED_QUERY_PARAMETER).",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }
