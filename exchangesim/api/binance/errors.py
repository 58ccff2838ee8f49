"""Binance's error body ``{"code": <int>, "msg": "..."}`` and the one table mapping engine codes onto it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from ...engine import EngineError, ErrorCode
from ...persistence.commands import JournalFailedError
from ...wire import encode, json_too_deep
from ..errors import ApiError

if TYPE_CHECKING:
    from ...failures.answers import FaultError, FaultErrorShape

__all__ = [
    "BINANCE_ERRORS",
    "BINANCE_FAULT_ERRORS",
    "BinanceError",
    "from_engine_error",
    "journal_unavailable",
    "missing",
    "param_name",
]

#: engine field -> the Binance parameter it came from
_PARAMS = {
    "quantity": "quantity",
    "price": "price",
    "stop_price": "stopPrice",
    "quote_quantity": "quoteOrderQty",
    "time_in_force": "timeInForce",
    "client_order_id": "newClientOrderId",
    "stp": "selfTradePreventionMode",
    "order_id": "orderId",
    "type": "type",
    "side": "side",
    "symbol": "symbol",
}
#: engine field -> the exchangeInfo filter a value outside the grid or limits fails
_FILTERS = {"price": "PRICE_FILTER", "stop_price": "PRICE_FILTER", "quote_quantity": "NOTIONAL"}
_ENUMS = {
    "type": (-1116, "Invalid orderType."),
    "side": (-1117, "Invalid side."),
    "time_in_force": (-1115, "Invalid timeInForce."),
}
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."


class BinanceError(Exception):
    """A refused request: ``status`` with ``{"code": code, "msg": msg}``; nothing changed."""

    def __init__(self, status: int, code: int, msg: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(status, code, msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.data = data  # what a cancel-replace did, beside the error

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            payload["data"] = self.data
        return payload


def param_name(field: str | None) -> str:
    """The Binance parameter name of an engine field."""
    return _PARAMS.get(field or "", field or "")


def missing(param: str) -> BinanceError:
    return BinanceError(
        400, -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def _filter_failure(error: EngineError) -> BinanceError:
    return BinanceError(400, -1013, f"Filter failure: {_FILTERS.get(error.field or '', 'LOT_SIZE')}")


def _rejected(msg: str) -> Any:
    return lambda error: BinanceError(400, -2010, msg)


def _enum(error: EngineError) -> BinanceError:
    code, msg = _ENUMS.get(error.field or "", (-1100, None))
    return BinanceError(
        400, code, msg or f"Illegal characters found in parameter '{param_name(error.field)}'."
    )


_TABLE = {
    ErrorCode.INVALID_NUMBER: lambda e: BinanceError(
        400, -1100, f"Illegal characters found in parameter '{param_name(e.field)}'."
    ),
    ErrorCode.NOT_POSITIVE: _filter_failure,
    ErrorCode.TOO_MANY_DECIMALS: _filter_failure,
    ErrorCode.VALUE_TOO_LARGE: _filter_failure,
    ErrorCode.PRICE_OFF_TICK: _filter_failure,
    ErrorCode.QUANTITY_OFF_LOT: _filter_failure,
    ErrorCode.QUANTITY_TOO_SMALL: _filter_failure,
    ErrorCode.QUANTITY_TOO_LARGE: _filter_failure,
    ErrorCode.NOTIONAL_TOO_SMALL: lambda e: BinanceError(400, -1013, "Filter failure: NOTIONAL"),
    ErrorCode.INVALID_ENUM: _enum,
    ErrorCode.MISSING_FIELD: lambda e: missing(param_name(e.field)),
    ErrorCode.FIELD_NOT_ALLOWED: lambda e: BinanceError(
        400, -1106, f"Parameter '{param_name(e.field)}' sent when not required."
    ),
    ErrorCode.INVALID_CLIENT_ORDER_ID: lambda e: BinanceError(
        400,
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
    ),
    ErrorCode.UNKNOWN_SYMBOL: lambda e: BinanceError(400, -1121, "Invalid symbol."),
    ErrorCode.UNKNOWN_ACCOUNT: lambda e: BinanceError(
        401, -2015, "Invalid API-key, IP, or permissions for action."
    ),
    ErrorCode.UNKNOWN_ORDER: lambda e: BinanceError(400, -2013, "Order does not exist."),
    ErrorCode.DUPLICATE_CLIENT_ORDER_ID: _rejected("Duplicate order sent."),
    ErrorCode.INSUFFICIENT_BALANCE: _rejected(INSUFFICIENT_BALANCE),
    ErrorCode.WOULD_TAKE: _rejected("Order would immediately match and take."),
    ErrorCode.WOULD_TRIGGER_IMMEDIATELY: _rejected("Order would trigger immediately."),
    ErrorCode.ORDER_NOT_OPEN: lambda e: BinanceError(400, -2011, "Unknown order sent."),
    ErrorCode.ORDER_NOT_AMENDABLE: _rejected("Order cannot be amended."),
    ErrorCode.NOTHING_TO_AMEND: _rejected("Order is unchanged."),
    ErrorCode.MARKET_HALTED: _rejected("Market is closed."),
}
#: Engine codes listed nowhere above are the server's own inconsistency, never the client's input.
_UNKNOWN = BinanceError(500, -1000, "An unknown error occurred while processing the request.")


def journal_unavailable() -> BinanceError:
    """The answer to a command once the journal cannot be written: Binance's -1001, its internal error
    ("unable to process your request"), with 503: Binance answers its own failures with a 5xx."""
    return BinanceError(503, -1001, "Internal error; unable to process your request. Please try again.")


def from_engine_error(error: EngineError, *, canceling: bool = False) -> BinanceError:
    """The Binance error for an engine rejection; while canceling, an unknown or closed order is -2011."""
    if canceling and error.code in (ErrorCode.UNKNOWN_ORDER, ErrorCode.ORDER_NOT_OPEN):
        return BinanceError(400, -2011, "Unknown order sent.")
    make = _TABLE.get(error.code)
    return _UNKNOWN if make is None else make(error)


@attrs.frozen
class _BinanceErrors:
    """The Klein error shape of ``/api/v3``."""

    refused: tuple[type[Exception], ...] = (BinanceError, ApiError)

    def refusal(self, error: Exception) -> tuple[int, Any]:
        if isinstance(error, JournalFailedError):
            error = journal_unavailable()
        elif isinstance(error, EngineError):
            error = from_engine_error(error)
        elif isinstance(error, ApiError):  # a shared reader refused it (body too large, bad UTF-8)
            error = BinanceError(error.status, -1100 if error.status == 400 else -1000, error.message)
        return error.status, error.payload()  # type: ignore[attr-defined]

    def unknown_path(self, path: str) -> tuple[int, Any]:
        return 404, {"code": -1000, "msg": f"No such endpoint: {path}"}

    def wrong_method(self, method: str, allowed: str) -> tuple[int, Any]:
        return 405, {"code": -1000, "msg": f"{method} is not allowed here; use {allowed}"}

    def internal(self) -> tuple[int, Any]:
        return _UNKNOWN.status, _UNKNOWN.payload()


BINANCE_ERRORS = _BinanceErrors()


_FAULT_CODES = {
    "THROTTLED": -1003,  # TOO_MANY_REQUESTS, for a 429 and a 418 alike
    "TOO_MANY_FAULTS": -1003,
    "INVALID_FAULT_HEADER": -1130,  # INVALID_PARAMETER: "Data sent for parameter '%s' is not valid."
    "INTERNAL": -1000,  # UNKNOWN
    "BAD_GATEWAY": -1006,  # UNEXPECTED_RESP: "... Execution status unknown."
    "SERVICE_UNAVAILABLE": -1001,  # DISCONNECTED: "Internal error; unable to process your request."
    "GATEWAY_TIMEOUT": -1007,  # TIMEOUT: "... Send status unknown; execution status unknown."
}
"""A fault's code -> Binance's (errors.md, "10xx - General Server or Network issues")."""


def fault_code(error: FaultError) -> int:
    """Binance's code for what a fault answers; a code it does not know, by status."""
    code = _FAULT_CODES.get(error.code)
    if code is not None:
        return code
    return -1003 if error.status in (418, 429) else -1000


@attrs.frozen
class _BinanceFaultErrors:
    """Faults on ``/api/v3`` and ``/ws-api/v3`` in Binance's words: ``{"code", "msg"}``; a WS-API request
    a fault refuses is answered ``{"id", "status", "error"}``, with ``retryAfter`` (ms epoch) under
    ``data`` when the fault says when, as Binance's rate limit answers."""

    def body(self, error: FaultError) -> bytes:
        return encode({"code": fault_code(error), "msg": error.message})

    def reply(self, error: FaultError, request: bytes) -> bytes | None:
        payload: dict[str, Any] = {"code": fault_code(error), "msg": error.message}
        if error.retry_after_s is not None and error.at_ms is not None:
            payload["data"] = {"retryAfter": error.at_ms + error.retry_after_s * 1000}
        return encode({"id": _request_id(request), "status": error.status, "error": payload})


def _request_id(raw: bytes) -> Any:
    """The ``id`` of a WS-API request, or None when it names none (or is not JSON)."""
    try:
        request = None if json_too_deep(raw) else json.loads(raw)
    except ValueError:
        return None
    return request.get("id") if isinstance(request, dict) else None


BINANCE_FAULT_ERRORS: FaultErrorShape = _BinanceFaultErrors()
"""How faults answer on ``/api/v3`` and ``/ws-api/v3``."""
