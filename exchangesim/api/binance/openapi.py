"""A hand-written OpenAPI 3.1 subset of ``/api/v3``: its routes and parameters, for fuzzing and tools.

Binance publishes no OpenAPI document; this one lists what the simulator serves, with parameters as
loosely typed as Binance reads them (text, checked by the route), so a fuzzer probes the checks.
Signed routes take ``X-MBX-APIKEY``, ``timestamp`` and ``signature``: an unsigned request is refused
with a 4xx, which is what fuzzing them asserts. The user data stream routes (USER_STREAM) take only
``X-MBX-APIKEY``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ... import __version__
from ...marketdata.candles import INTERVALS

__all__ = ["openapi_document"]

TEXT = {"type": "string"}
WHOLE = {"type": "integer", "minimum": 0}
SYMBOL = {"type": "string", "examples": ["BTCUSD"]}
ERROR = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}},
    "required": ["code", "msg"],
}

# Each query parameter as (name, schema, required).
_SYMBOLS = [("symbol", SYMBOL, False), ("symbols", {**TEXT, "examples": ['["BTCUSD","ETHUSD"]']}, False)]
_SYMBOL = ("symbol", SYMBOL, True)
_LIMIT = ("limit", WHOLE, False)
_TYPE = ("type", {"type": "string", "examples": ["FULL", "MINI"]}, False)
_WINDOW = [("startTime", WHOLE, False), ("endTime", WHOLE, False), _LIMIT]
_FROM_ID, _ORDER_ID = ("fromId", WHOLE, False), ("orderId", WHOLE, False)
_ORDER_REFERENCE = [_SYMBOL, _ORDER_ID, ("origClientOrderId", TEXT, False)]
_NEW_ORDER = [
    _SYMBOL,
    ("side", {"enum": ["BUY", "SELL"]}, True),
    ("type", {"type": "string", "examples": ["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT"]}, True),
    ("timeInForce", {"type": "string", "examples": ["GTC", "IOC", "FOK"]}, False),
    ("quantity", {**TEXT, "examples": ["0.01"]}, False),
    ("quoteOrderQty", TEXT, False),
    ("price", {**TEXT, "examples": ["50000.00"]}, False),
    ("stopPrice", TEXT, False),
    ("newClientOrderId", TEXT, False),
    ("newOrderRespType", {"type": "string", "examples": ["ACK", "RESULT", "FULL"]}, False),
]
_PUBLIC: list[tuple[str, str, str, list[tuple[str, Any, bool]]]] = [
    ("get", "/ping", "Connectivity", []),
    ("get", "/time", "Server time", []),
    ("get", "/exchangeInfo", "Symbols, filters and rate limits", _SYMBOLS),
    ("get", "/depth", "Order book (lastUpdateId is the book's sequence)", [_SYMBOL, _LIMIT]),
    ("get", "/trades", "Recent trades", [_SYMBOL, _LIMIT]),
    ("get", "/aggTrades", "Aggregate trades", [_SYMBOL, _FROM_ID, *_WINDOW]),
    ("get", "/klines", "Candles", [_SYMBOL, ("interval", {"enum": list(INTERVALS)}, True), *_WINDOW]),
    ("get", "/ticker/24hr", "24-hour statistics", _SYMBOLS),
    (
        "get",
        "/ticker",
        "Rolling window statistics (symbol or symbols required)",
        [*_SYMBOLS, ("windowSize", {**TEXT, "examples": ["1m", "4h", "7d"]}, False), _TYPE],
    ),
    ("get", "/avgPrice", "Volume-weighted price of the last 5 minutes", [_SYMBOL]),
    ("get", "/ticker/price", "Last price", _SYMBOLS),
    ("get", "/ticker/bookTicker", "Best bid and ask", _SYMBOLS),
]
_SIGNED: list[tuple[str, str, str, list[tuple[str, Any, bool]]]] = [
    ("get", "/account", "Balances of the caller's account", []),
    ("post", "/order", "Place an order", _NEW_ORDER),
    ("get", "/order", "One of the caller's orders", _ORDER_REFERENCE),
    ("delete", "/order", "Cancel one of the caller's orders", _ORDER_REFERENCE),
    (
        "post",
        "/order/cancelReplace",
        "Cancel an order and place another",
        [
            *_NEW_ORDER,
            ("cancelReplaceMode", {"enum": ["STOP_ON_FAILURE", "ALLOW_FAILURE"]}, True),
            ("cancelOrderId", WHOLE, False),
            ("cancelOrigClientOrderId", TEXT, False),
        ],
    ),
    ("get", "/openOrders", "The caller's open orders", [("symbol", SYMBOL, False)]),
    ("delete", "/openOrders", "Cancel the caller's open orders of a symbol", [_SYMBOL]),
    ("get", "/allOrders", "The caller's orders", [_SYMBOL, _ORDER_ID, *_WINDOW]),
    ("get", "/myTrades", "The caller's trades", [_SYMBOL, _ORDER_ID, _FROM_ID, *_WINDOW]),
]
_LISTEN_KEY = ("listenKey", {**TEXT, "description": "what POST /userDataStream answered"}, True)
_USER_STREAM: list[tuple[str, str, str, list[tuple[str, Any, bool]]]] = [  # deprecated: Binance retired them
    ("post", "/userDataStream", "Start (or extend) the account's listenKey: {listenKey}", []),
    ("put", "/userDataStream", "Keep a listenKey alive another 60 minutes: {}", [_LISTEN_KEY]),
    ("delete", "/userDataStream", "Close a listenKey: {}", [_LISTEN_KEY]),
]
_API_KEY = [{"name": "X-MBX-APIKEY", "in": "header", "required": True, "schema": TEXT}]
_SIGNING = [
    *_API_KEY,
    {"name": "recvWindow", "in": "query", "required": False, "schema": {"type": "integer", "maximum": 60000}},
    {"name": "timestamp", "in": "query", "required": True, "schema": WHOLE, "description": "epoch ms"},
    {"name": "signature", "in": "query", "required": True, "schema": TEXT, "description": "hex HMAC-SHA256"},
]


def _operation(
    summary: str, parameters: list[tuple[str, Any, bool]], credentials: list[dict[str, Any]], deprecated: bool
) -> dict[str, Any]:
    listed = [
        {"name": name, "in": "query", "required": required, "schema": schema}
        for name, schema, required in parameters
    ]
    return {
        "summary": summary,
        **({"deprecated": True} if deprecated else {}),
        "parameters": listed + credentials,
        "responses": {
            "200": {
                "description": "the Binance response body",
                "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
            },
            "4XX": {
                "description": "refused: Binance's code and message (429 and 418 past the request weight)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The document served at ``/api/v3/openapi.json``."""
    paths: dict[str, dict[str, Any]] = {}
    for credentials, table in (([], _PUBLIC), (_API_KEY, _USER_STREAM), (_SIGNING, _SIGNED)):
        for method, path, summary, parameters in table:
            operation = _operation(summary, parameters, credentials, deprecated=table is _USER_STREAM)
            paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "exchangesim Binance-spot dialect (subset)",
            "version": __version__,
            "description": "The routes /api/v3 serves, as ccxt's binance class calls them.",
        },
        "servers": [{"url": "/api/v3"}],
        "paths": paths,
        "components": {"schemas": {"Error": ERROR}},
    }
