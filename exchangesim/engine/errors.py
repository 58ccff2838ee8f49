"""The engine's typed error: one exception carrying a stable machine code, a message and the field."""

from __future__ import annotations


class ErrorCode:
    """Every code the engine raises, in one place; adapters map these to their own status and body."""

    # malformed or out-of-range input (a field is always named)
    INVALID_NUMBER = "INVALID_NUMBER"
    NOT_POSITIVE = "NOT_POSITIVE"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    VALUE_TOO_LARGE = "VALUE_TOO_LARGE"
    PRICE_OFF_TICK = "PRICE_OFF_TICK"
    QUANTITY_OFF_LOT = "QUANTITY_OFF_LOT"
    QUANTITY_TOO_SMALL = "QUANTITY_TOO_SMALL"
    QUANTITY_TOO_LARGE = "QUANTITY_TOO_LARGE"
    NOTIONAL_TOO_SMALL = "NOTIONAL_TOO_SMALL"
    INVALID_ENUM = "INVALID_ENUM"
    MISSING_FIELD = "MISSING_FIELD"
    FIELD_NOT_ALLOWED = "FIELD_NOT_ALLOWED"
    INVALID_CLIENT_ORDER_ID = "INVALID_CLIENT_ORDER_ID"
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP"
    INVALID_NAME = "INVALID_NAME"
    INVALID_INSTRUMENT = "INVALID_INSTRUMENT"
    INVALID_FEE_RATE = "INVALID_FEE_RATE"
    # unknown references
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    # well-formed requests the engine refuses in its current state
    DUPLICATE_SYMBOL = "DUPLICATE_SYMBOL"
    DUPLICATE_ACCOUNT = "DUPLICATE_ACCOUNT"
    ACCOUNT_NOT_EMPTY = "ACCOUNT_NOT_EMPTY"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    WOULD_TAKE = "WOULD_TAKE"
    WOULD_TRIGGER_IMMEDIATELY = "WOULD_TRIGGER_IMMEDIATELY"
    ORDER_NOT_OPEN = "ORDER_NOT_OPEN"
    ORDER_NOT_AMENDABLE = "ORDER_NOT_AMENDABLE"
    NOTHING_TO_AMEND = "NOTHING_TO_AMEND"
    MARKET_HALTED = "MARKET_HALTED"


#: code -> what it means, for documentation; a test checks that no code is unlisted.
ERROR_CODES: dict[str, str] = {
    ErrorCode.INVALID_NUMBER: "not a decimal string or Decimal (float, int, NaN, Infinity, garbage)",
    ErrorCode.NOT_POSITIVE: "zero or negative where a positive value is required",
    ErrorCode.TOO_MANY_DECIMALS: "more decimal places than the instrument's precision",
    ErrorCode.VALUE_TOO_LARGE: "absurdly large number, or above the instrument's maximum price",
    ErrorCode.PRICE_OFF_TICK: "price is not a multiple of the tick size",
    ErrorCode.QUANTITY_OFF_LOT: "quantity is not a multiple of the lot size",
    ErrorCode.QUANTITY_TOO_SMALL: "quantity below the instrument's minimum (or not above the filled part)",
    ErrorCode.QUANTITY_TOO_LARGE: "quantity above the instrument's maximum",
    ErrorCode.NOTIONAL_TOO_SMALL: "price times quantity below the instrument's minimum notional",
    ErrorCode.INVALID_ENUM: "unknown side, order type, time in force, STP mode or status",
    ErrorCode.MISSING_FIELD: "a field the order type requires is missing",
    ErrorCode.FIELD_NOT_ALLOWED: "a field the order type does not take was given",
    ErrorCode.INVALID_CLIENT_ORDER_ID: "client order id is not 1-36 characters of [A-Za-z0-9_-]",
    ErrorCode.INVALID_TIMESTAMP: "ts is not a non-negative integer of epoch milliseconds",
    ErrorCode.INVALID_NAME: "account name is not 1-64 characters of [A-Za-z0-9_.-]",
    ErrorCode.INVALID_INSTRUMENT: "instrument definition is inconsistent",
    ErrorCode.INVALID_FEE_RATE: "fee rate is not a Decimal in [0, 1) with at most 9 decimals",
    ErrorCode.UNKNOWN_SYMBOL: "no such instrument",
    ErrorCode.UNKNOWN_ACCOUNT: "no such account",
    ErrorCode.UNKNOWN_ASSET: "no instrument uses this asset",
    ErrorCode.UNKNOWN_ORDER: "no such order for this account (another account's order is unknown too)",
    ErrorCode.DUPLICATE_SYMBOL: "instrument already added",
    ErrorCode.DUPLICATE_ACCOUNT: "account already open",
    ErrorCode.ACCOUNT_NOT_EMPTY: "the account still has open orders or balances, so it cannot be closed",
    ErrorCode.DUPLICATE_CLIENT_ORDER_ID: "client order id in use (see ClientIdScope)",
    ErrorCode.INSUFFICIENT_BALANCE: "available balance does not cover what the order can spend",
    ErrorCode.WOULD_TAKE: "post-only (LIMIT_MAKER) order would trade immediately",
    ErrorCode.WOULD_TRIGGER_IMMEDIATELY: "stop price is already reached by the last trade price",
    ErrorCode.ORDER_NOT_OPEN: "the order is already filled, canceled, expired or rejected",
    ErrorCode.ORDER_NOT_AMENDABLE: "only resting limit orders can be amended",
    ErrorCode.NOTHING_TO_AMEND: "replace changes neither price nor quantity",
    ErrorCode.MARKET_HALTED: "the symbol is halted (a market condition): new orders and amends are refused",
}


class EngineError(Exception):
    """A rejected command: nothing in the engine changed. ``order_id`` names an existing order when useful."""

    def __init__(self, code: str, message: str, field: str | None = None, order_id: int | None = None):
        super().__init__(code, message, field, order_id)
        self.code = code
        self.message = message
        self.field = field
        self.order_id = order_id

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message}"
