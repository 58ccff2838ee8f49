"""Typed exceptions of ``ExchangeClient``: one class per HTTP status class, refined by the server's code.

Every exception keeps what the server said (``status``, ``code``, ``message``, ``field``, the decoded
``body``) and, for ``place_order``, the ``client_order_id`` that was sent, so an order whose outcome is
unknown (a ``TransportError``) can be looked up with ``get_order_by_client_id``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

from ._wire import decode_json

# The names say what happened (NotFound, RateLimited), as HTTP's do; an "Error" suffix would add nothing.
# ruff: noqa: N818

__all__ = [
    "AuthenticationError",
    "Conflict",
    "DuplicateClientOrderId",
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


class ExchangeError(Exception):
    """A request the exchange refused or could not answer.

    ``status`` is the HTTP status (None over the WebSocket or when no response arrived); ``code`` the
    server's machine code (None when the response carried none); ``body`` the decoded JSON error body, or
    the raw text of a body that is not JSON.
    """

    def __init__(
        self, status: int | None, code: str | None, message: str, field: str | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.body = body
        self.client_order_id: str | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """Fields of the error object beyond code, message and field (e.g. ``order_id``, ``server_time``)."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if not isinstance(error, dict):
            return {}
        return {key: value for key, value in error.items() if key not in ("code", "message", "field")}

    def __str__(self) -> str:
        text = self.message if self.code is None else f"{self.code}: {self.message}"
        if self.status is not None:
            text = f"HTTP {self.status} {text}"
        if self.field is not None:
            text += f" (field {self.field!r})"
        if self.client_order_id is not None:
            text += f" [client_order_id {self.client_order_id}]"
        return text


class InvalidRequest(ExchangeError):
    """400 and the other refusals of malformed requests (405, 413, 415); a WebSocket op refused as invalid."""


class AuthenticationError(ExchangeError):
    """401: unknown key, bad, missing or reused signature, timestamp outside the receive window."""


class PermissionDenied(ExchangeError):
    """403: the account may not do this."""


class NotFound(ExchangeError):
    """404: no such order (for this account) or endpoint."""


class Conflict(ExchangeError):
    """409: the order is not in a state that allows this (not open, not amendable)."""


class DuplicateClientOrderId(Conflict):
    """409: the client order id is taken; ``order_id`` names the order that has it."""

    @property
    def order_id(self) -> str | None:
        """The id of the existing order with this client order id."""
        return self.extra.get("order_id")


class OrderRejected(ExchangeError):
    """422: a well-formed order the exchange will not take (post-only would take, stop would trigger)."""


class InsufficientBalance(OrderRejected):
    """422: the account cannot fund the order."""


class _RetryLater(ExchangeError):
    """A refusal that may carry the server's ``Retry-After``, in seconds (None when it sent none)."""

    def __init__(
        self,
        status: int | None,
        code: str | None,
        message: str,
        field: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message, field, body)
        self.retry_after = retry_after


class RateLimited(_RetryLater):
    """429: too many requests; ``retry_after`` is the server's ``Retry-After`` in seconds, if it sent one."""


class ServerError(_RetryLater):
    """5xx: a fault of the server or an injected one; the body may not be JSON (then ``code`` is None);
    ``retry_after`` as for ``RateLimited`` (a 503 of a venue that is down says when to come back)."""


class TransportError(ExchangeError):
    """No usable response (connection refused or lost, response cut off): the request may have been done."""

    def __init__(self, message: str, body: Any = None) -> None:
        super().__init__(None, None, message, None, body)


class RequestTimeout(TransportError, TimeoutError):
    """No response within the client's timeout; also a ``TimeoutError``. The outcome is unknown."""


class InvalidResponse(TransportError):
    """A success status with a body that is not a JSON object (e.g. a corrupted response)."""


class WebSocketClosed(TransportError):
    """The WebSocket is closed; ``close_code`` and ``reason`` are the server's when it closed it."""

    def __init__(self, message: str, close_code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.close_code = close_code
        self.reason = reason


_BY_STATUS: dict[int, type[ExchangeError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: OrderRejected,
    429: RateLimited,
}

# Refinements by code; a code's class is used only when it agrees with the status class.
_BY_CODE: dict[str, type[ExchangeError]] = {
    "UNAUTHENTICATED": AuthenticationError,
    "AUTH_REQUIRED": AuthenticationError,
    "INVALID_API_KEY": AuthenticationError,
    "INVALID_SIGNATURE": AuthenticationError,
    "INVALID_TIMESTAMP": AuthenticationError,
    "SIGNATURE_REQUIRED": AuthenticationError,
    "REPLAYED_SIGNATURE": AuthenticationError,
    "TIMESTAMP_OUTSIDE_WINDOW": AuthenticationError,
    "NOT_FOUND": NotFound,
    "UNKNOWN_ORDER": NotFound,
    "DUPLICATE_CLIENT_ORDER_ID": DuplicateClientOrderId,
    "ORDER_NOT_OPEN": Conflict,
    "ORDER_NOT_AMENDABLE": Conflict,
    "INSUFFICIENT_BALANCE": InsufficientBalance,
    "WOULD_TAKE": OrderRejected,
    "WOULD_TRIGGER_IMMEDIATELY": OrderRejected,
    "RATE_LIMITED": RateLimited,
    "INTERNAL": ServerError,
}


def error_from_response(status: int, raw: bytes, retry_after: str | None = None) -> ExchangeError:
    """The exception for an HTTP error response: its status, its body and its ``Retry-After`` header."""
    try:
        body: Any = decode_json(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code, message, field = error["code"], str(error.get("message", "")), error.get("field")
    else:
        code, field = None, None
        if not isinstance(body, str):
            message = f"{_reason(status)}, without an error object"
        elif body:
            message = f"{_reason(status)}, with a body that is not JSON: {body[:200]!r}"
        else:
            message = f"{_reason(status)}, with an empty body"
    if 500 <= status <= 599:
        status_class: type[ExchangeError] = ServerError
    else:
        status_class = _BY_STATUS.get(status, InvalidRequest)
    cls = _BY_CODE.get(code or "", status_class)
    if not issubclass(cls, status_class):
        cls = status_class
    if issubclass(cls, _RetryLater):
        return cls(status, code, message, field, body, retry_after=_seconds_until(retry_after))
    return cls(status, code, message, field, body)


def error_from_message(message: dict[str, Any]) -> ExchangeError:
    """The exception for a WebSocket ``ERROR`` message; its class comes from the code alone."""
    error = message.get("error")
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    cls = _BY_CODE.get(code or "", InvalidRequest)
    return cls(None, code, str(error.get("message", "")), error.get("field"), message)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown status"


def _seconds_until(retry_after: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds, or an HTTP date relative to now."""
    if retry_after is None:
        return None
    value = retry_after.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
