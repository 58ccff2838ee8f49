"""The asyncio client of exchangesim's native API (REST ``/api/v1`` and WebSocket ``/ws``); no Twisted."""

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
]
