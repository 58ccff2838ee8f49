"""The asyncio client of exchangesim's native API (REST ``/api/v1`` and WebSocket ``/ws``); no Twisted.
Also ``ccxt_config``: stock ccxt's Binance pointed at the simulator, every URL of it."""

from ._ccxt import ccxt_config
from ._client import ExchangeClient
from ._stream import MALFORMED
from .errors import (
    AuthenticationError,
    Conflict,
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientBalance,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    WebSocketClosed,
)

__all__ = [
    "MALFORMED",
    "AuthenticationError",
    "Conflict",
    "DuplicateClientOrderId",
    "ExchangeClient",
    "ExchangeError",
    "InsufficientBalance",
    "InvalidRequest",
    "InvalidResponse",
    "NotFound",
    "OrderRejected",
    "PermissionDenied",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "WebSocketClosed",
    "ccxt_config",
]
