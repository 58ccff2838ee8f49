"""Checks of command arguments in engine units (ints), each raising EngineError with a code and field."""

from __future__ import annotations

from .errors import EngineError, ErrorCode
from .instruments import Instrument
from .orders import (
    ORDER_TYPES,
    PRICED_TYPES,
    SIDES,
    STOP_TYPES,
    TIME_IN_FORCES,
    OrderType,
    TimeInForce,
    check_enum,
)
from .units import ASSET_SCALE, MAX_INTEGER_DIGITS

#: The largest asset amount a command may name (10**20 whole units of an asset).
MAX_UNITS = 10**MAX_INTEGER_DIGITS * ASSET_SCALE


def check_ts(ts: object) -> int:
    """A command's time: non-negative int epoch milliseconds."""
    if type(ts) is int and ts >= 0:
        return ts
    raise EngineError(
        ErrorCode.INVALID_TIMESTAMP, f"ts must be non-negative int epoch milliseconds, got {ts!r}", "ts"
    )


def check_side(side: object) -> int:
    """A side name as the book's side code (0 buy, 1 sell)."""
    return 0 if check_enum(side, SIDES, "side") == "BUY" else 1


def _check_int(value: object, field: str, unit: str) -> int:
    """A positive int (bool, float, Decimal and str are refused: the edge parses those)."""
    if type(value) is not int:
        raise EngineError(
            ErrorCode.INVALID_NUMBER,
            f"{field} must be an int number of {unit} (parse decimal strings with the Instrument), "
            f"not {type(value).__name__}",
            field,
        )
    if value <= 0:
        raise EngineError(ErrorCode.NOT_POSITIVE, f"{field} must be positive, got {value}", field)
    return value


def check_ticks(value: object, instrument: Instrument, field: str = "price") -> int:
    """A price in ticks within (0, max_price]."""
    ticks = _check_int(value, field, "ticks")
    if ticks > instrument.max_ticks:
        raise EngineError(ErrorCode.VALUE_TOO_LARGE, f"{field} above max_price {instrument.max_price}", field)
    return ticks


def check_lots(value: object, instrument: Instrument, field: str = "quantity") -> int:
    """A quantity in lots within [min_qty, max_qty]."""
    lots = _check_int(value, field, "lots")
    if lots < instrument.min_lots:
        raise EngineError(ErrorCode.QUANTITY_TOO_SMALL, f"{field} below min_qty {instrument.min_qty}", field)
    if lots > instrument.max_lots:
        raise EngineError(ErrorCode.QUANTITY_TOO_LARGE, f"{field} above max_qty {instrument.max_qty}", field)
    return lots


def check_units(value: object, field: str = "amount") -> int:
    """A positive asset amount in units (see units.py), not absurdly large."""
    units = _check_int(value, field, "asset units")
    if units > MAX_UNITS:
        raise EngineError(ErrorCode.VALUE_TOO_LARGE, f"{field} is absurdly large", field)
    return units


def check_notional(instrument: Instrument, price: int, lots: int) -> None:
    """price x quantity must reach the instrument's min_notional."""
    if price * lots < instrument.min_notional_steps:
        raise EngineError(
            ErrorCode.NOTIONAL_TOO_SMALL,
            f"price x quantity below min_notional {instrument.min_notional}",
            "quantity",
        )


def _absent(value: object, field: str, order_type: str) -> None:
    if value is not None:
        raise EngineError(ErrorCode.FIELD_NOT_ALLOWED, f"{field} is not taken by {order_type} orders", field)


def _present(value: object, field: str, order_type: str) -> object:
    if value is None:
        raise EngineError(ErrorCode.MISSING_FIELD, f"{order_type} orders need {field}", field)
    return value


def order_fields(
    instrument: Instrument,
    order_type: object,
    buy: bool,
    quantity: object,
    price: object,
    time_in_force: object,
    stop_price: object,
    quote_quantity: object,
) -> tuple[str | None, int | None, int | None, int | None, int | None]:
    """Validate the fields of a new order against its type; return (tif, price, qty, quote_qty, stop)."""
    order_type = check_enum(order_type, ORDER_TYPES, "type")
    priced = order_type in PRICED_TYPES
    if priced and order_type != OrderType.LIMIT_MAKER:
        tif = (
            TimeInForce.GTC
            if time_in_force is None
            else check_enum(time_in_force, TIME_IN_FORCES, "time_in_force")
        )
    else:
        _absent(time_in_force, "time_in_force", order_type)
        tif = TimeInForce.GTC if priced else None
    stop = None
    if order_type in STOP_TYPES:
        stop = check_ticks(_present(stop_price, "stop_price", order_type), instrument, "stop_price")
    else:
        _absent(stop_price, "stop_price", order_type)
    if not priced:
        _absent(price, "price", order_type)
        if order_type == OrderType.MARKET and quote_quantity is not None:
            if not buy:
                raise EngineError(
                    ErrorCode.FIELD_NOT_ALLOWED,
                    "quote_quantity is only taken by MARKET buys",
                    "quote_quantity",
                )
            _absent(quantity, "quantity", "quote_quantity")
            units = check_units(quote_quantity, "quote_quantity")
            if units < instrument.min_notional_steps * instrument.quote_per_step:
                raise EngineError(
                    ErrorCode.NOTIONAL_TOO_SMALL,
                    f"quote_quantity below min_notional {instrument.min_notional}",
                    "quote_quantity",
                )
            return None, None, None, units, None
        _absent(quote_quantity, "quote_quantity", order_type)
        return None, None, check_lots(_present(quantity, "quantity", order_type), instrument), None, stop
    _absent(quote_quantity, "quote_quantity", order_type)
    ticks = check_ticks(_present(price, "price", order_type), instrument)
    lots = check_lots(_present(quantity, "quantity", order_type), instrument)
    check_notional(instrument, ticks, lots)
    return tif, ticks, lots, None, stop
