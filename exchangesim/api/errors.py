"""The API's error: an HTTP status with the one error body, and the table mapping engine codes to statuses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from ..engine import EngineError, ErrorCode
from ..wire import json_too_deep
from .responses import encode, error_payload

if TYPE_CHECKING:
    from ..failures.answers import FaultError, FaultErrorShape

__all__ = ["NATIVE_FAULT_ERRORS", "ApiError", "from_engine_error", "journal_unavailable"]


class ApiError(Exception):
    """A refused request: ``status`` with ``{"error": {"code", "message", "field"}}``; nothing changed."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(status, code, message, field)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        """The JSON body of this error."""
        payload = error_payload(self.code, self.message, self.field)
        payload["error"].update(self.extra)
        return payload


# Engine codes not listed here are malformed or out-of-range input: 400.
_STATUS = {
    ErrorCode.UNKNOWN_ORDER: 404,
    ErrorCode.UNKNOWN_ACCOUNT: 404,
    ErrorCode.DUPLICATE_ACCOUNT: 409,
    ErrorCode.ACCOUNT_NOT_EMPTY: 409,
    ErrorCode.DUPLICATE_CLIENT_ORDER_ID: 409,
    ErrorCode.ORDER_NOT_OPEN: 409,
    ErrorCode.ORDER_NOT_AMENDABLE: 409,
    ErrorCode.MARKET_HALTED: 409,
    ErrorCode.INSUFFICIENT_BALANCE: 422,
    ErrorCode.WOULD_TAKE: 422,
    ErrorCode.WOULD_TRIGGER_IMMEDIATELY: 422,
}


def from_engine_error(error: EngineError) -> ApiError:
    """The API error for an engine rejection; a duplicate client order id names the existing order."""
    extra = {} if error.order_id is None else {"order_id": str(error.order_id)}
    return ApiError(_STATUS.get(error.code, 400), error.code, error.message, error.field, **extra)


def journal_unavailable() -> ApiError:
    """The answer to a command once the journal cannot be written (a full disk): nothing more is accepted
    until the daemon, stopping now, is restarted."""
    return ApiError(
        503,
        "JOURNAL_UNAVAILABLE",
        "the journal cannot be written: this command was not carried out, and none will be until the"
        " server restarts",
    )


_ECHOED = ("op", "channel", "symbol", "interval", "interval_ms")
"""The fields of a /ws operation its ERROR reply repeats, as the protocol's own ERRORs do."""


@attrs.frozen
class _NativeFaultErrors:
    """Faults on the native API in its words: ``{"error": {"code", "message", "field"}}``; a ``/ws``
    operation a fault refuses is answered with an ERROR message naming it."""

    def body(self, error: FaultError) -> bytes:
        return encode(error_payload(error.code, error.message, error.field))

    def reply(self, error: FaultError, request: bytes) -> bytes | None:
        operation = _json_object(request)
        echo = {key: operation[key] for key in _ECHOED if key in operation}
        return encode({"type": "ERROR", **echo, **error_payload(error.code, error.message, error.field)})


def _json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object, or an empty one when it is none (what a fault refused may be anything)."""
    try:
        value = None if json_too_deep(raw) else json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


NATIVE_FAULT_ERRORS: FaultErrorShape = _NativeFaultErrors()
"""How faults answer on ``/api/v1`` and ``/ws``."""
