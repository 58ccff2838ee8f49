"""Admission rules of the commands: their arguments in engine units (ints) and the state they meet (a halted
market, a book an order would take from, the last price, client order ids in use), each raising
EngineError with a code and field."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import EngineError, ErrorCode
from .instruments import Instrument
from .orders import (
    CLIENT_ID_SCOPES,
    ID,
    OPEN_STATUSES,
    ORDER_TYPES,
    PRICED_TYPES,
    SIDE_NAMES,
    SIDES,
    STATUS,
    STOP_TYPES,
    TIME_IN_FORCES,
    ClientIdScope,
    OrderType,
    TimeInForce,
    check_client_order_id,
    check_enum,
    enum_error,
)
from .stops import is_triggered
from .units import ASSET_SCALE, MAX_INTEGER_DIGITS

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market
    from .orderbook import OrderBook

#: The largest asset amount a command may name (10**20 whole units of an asset).
MAX_UNITS = 10**MAX_INTEGER_DIGITS * ASSET_SCALE


def check_ts(ts: object) -> int:
    """A command's time: non-negative int epoch milliseconds."""
    if type(ts) is int and ts >= 0:
        return ts
    raise EngineError(
        ErrorCode.INVALID_TIMESTAMP, f"ts must be non-negative int epoch milliseconds, got {ts!r}", "ts"
    )


def check_trading(market: Market) -> None:
    """Refuse a new order or an amend in a halted market."""
    if market.halted:
        symbol = market.instrument.symbol
        raise EngineError(
            ErrorCode.MARKET_HALTED, f"{symbol} is halted: new orders and amends are refused", "symbol"
        )


def check_maker(book: OrderBook, side: int, price: int) -> None:
    """A maker-only (LIMIT_MAKER) order must not trade on arrival, nor when amended."""
    if book.would_take(side, price):
        raise EngineError(ErrorCode.WOULD_TAKE, "LIMIT_MAKER order would trade immediately", "price")


def check_untriggered(market: Market, order_type: str, side: int, stop: int) -> None:
    """A new stop order must not be triggered already by the market's last trade price."""
    last = market.last_price
    if last is not None and is_triggered(order_type, side, stop, last):
        raise EngineError(
            ErrorCode.WOULD_TRIGGER_IMMEDIATELY,
            "the last trade price already reaches stop_price",
            "stop_price",
        )


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


def check_unused_client_id(account: Account, client_order_id: object, scope: object) -> None:
    """A new order's client order id: valid, and not used by one of the account's orders ``scope``
    names."""
    kept = check_enum(scope, CLIENT_ID_SCOPES, "client_id_scope") == ClientIdScope.KEPT
    existing = account.by_client.get(check_client_order_id(client_order_id))
    if existing is not None and (kept or existing[STATUS] in OPEN_STATUSES):
        raise EngineError(
            ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
            f"client_order_id {client_order_id!r} is used by order {existing[ID]}",
            "client_order_id",
            existing[ID],
        )


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


def _not_taken(field: str, order_type: object) -> EngineError:
    return EngineError(ErrorCode.FIELD_NOT_ALLOWED, f"{field} is not taken by {order_type} orders", field)


def _missing(field: str, order_type: object) -> EngineError:
    return EngineError(ErrorCode.MISSING_FIELD, f"{order_type} orders need {field}", field)


_GTC, _MARKET = TimeInForce.GTC, OrderType.MARKET
_SIDE_CODES = {name: code for code, name in enumerate(SIDE_NAMES)}
_SHAPES = {
    name: (name in PRICED_TYPES, name in PRICED_TYPES and name != OrderType.LIMIT_MAKER, name in STOP_TYPES)
    for name in ORDER_TYPES
}
"""The fields each order type takes: (a price, a time in force, a stop price). LIMIT_MAKER is priced
but always GTC."""


def order_fields(
    market: Market,
    side: object,
    order_type: object,
    quantity: object,
    price: object,
    time_in_force: object,
    stop_price: object,
    quote_quantity: object,
) -> tuple[int, str | None, int | None, int | None, int | None, int | None]:
    """Validate a new order in ``market`` (trading, side, and the fields its type takes); return
    (side code, tif, price, qty, quote_qty, stop)."""
    check_trading(market)
    try:
        side_code = _SIDE_CODES[side]  # type: ignore[index]
    except (KeyError, TypeError):
        raise enum_error(side, SIDES, "side") from None
    try:
        priced, timed, stops = _SHAPES[order_type]  # type: ignore[index]
    except (KeyError, TypeError):
        raise enum_error(order_type, ORDER_TYPES, "type") from None
    instrument = market.instrument
    if time_in_force is None:
        tif = _GTC if priced else None
    elif timed:
        tif = check_enum(time_in_force, TIME_IN_FORCES, "time_in_force")
    else:
        raise _not_taken("time_in_force", order_type)
    stop = None
    if stops:
        if stop_price is None:
            raise _missing("stop_price", order_type)
        stop = check_ticks(stop_price, instrument, "stop_price")
    elif stop_price is not None:
        raise _not_taken("stop_price", order_type)
    if not priced:
        if price is not None:
            raise _not_taken("price", order_type)
        if quote_quantity is not None:
            if order_type != _MARKET:
                raise _not_taken("quote_quantity", order_type)
            if side_code:
                raise EngineError(
                    ErrorCode.FIELD_NOT_ALLOWED,
                    "quote_quantity is only taken by MARKET buys",
                    "quote_quantity",
                )
            if quantity is not None:
                raise _not_taken("quantity", "quote_quantity")
            units = check_units(quote_quantity, "quote_quantity")
            if units < instrument.min_notional_steps * instrument.quote_per_step:
                raise EngineError(
                    ErrorCode.NOTIONAL_TOO_SMALL,
                    f"quote_quantity below min_notional {instrument.min_notional}",
                    "quote_quantity",
                )
            return side_code, None, None, None, units, None
        if quantity is None:
            raise _missing("quantity", order_type)
        return side_code, None, None, check_lots(quantity, instrument), None, stop
    if quote_quantity is not None:
        raise _not_taken("quote_quantity", order_type)
    if price is None:
        raise _missing("price", order_type)
    ticks = check_ticks(price, instrument)
    if quantity is None:
        raise _missing("quantity", order_type)
    lots = check_lots(quantity, instrument)
    check_notional(instrument, ticks, lots)
    return side_code, tif, ticks, lots, None, stop
