"""Order vocabulary (sides, types, time in force, STP modes, statuses) and the engine's order record."""

from __future__ import annotations

import re

from .errors import EngineError, ErrorCode


class Side:
    """Order sides; the book encodes them as ints (orderbook.BUY == 0, orderbook.SELL == 1)."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType:
    """Order types (Binance spot semantics)."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"


class TimeInForce:
    """Time in force of limit orders."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class SelfTradePrevention:
    """What happens when an order would trade with a resting order of the same account (taker's mode wins)."""

    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class ClientIdScope:
    """Among which of an account's orders a new order's client order id must be unique.

    A closed order keeps its id either way (queries by it find the newest order that used it).
    """

    KEPT = "KEPT"  # open orders and the last CLOSED_KEPT closed ones: the native API (DESIGN §10.21)
    OPEN = "OPEN"  # open orders only, as Binance's newClientOrderId is


class OrderStatus:
    """Order states. An untriggered stop order is NEW with ``is_working`` false (as on Binance)."""

    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class ExpireReason:
    """Why an order expired."""

    IOC = "IOC"  # the unfilled rest of a market or IOC order
    FOK = "FOK"  # a fill-or-kill order that could not fill completely
    STP = "STP"  # self-trade prevention
    BUDGET = "BUDGET"  # a market buy by base quantity ran out of available quote


SIDES = frozenset((Side.BUY, Side.SELL))
SIDE_NAMES = (Side.BUY, Side.SELL)
ORDER_TYPES = frozenset(v for k, v in vars(OrderType).items() if k.isupper())
TIME_IN_FORCES = frozenset((TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK))
STP_MODES = frozenset(v for k, v in vars(SelfTradePrevention).items() if k.isupper())
CLIENT_ID_SCOPES = frozenset((ClientIdScope.KEPT, ClientIdScope.OPEN))
ORDER_STATUSES = frozenset(v for k, v in vars(OrderStatus).items() if k.isupper())
OPEN_STATUSES = frozenset((OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED))
STOP_TYPES = frozenset(
    (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT)
)
#: Stop types that become limit orders when triggered (the others become market orders).
STOP_LIMIT_TYPES = frozenset((OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT))
#: Types that take a price and a time in force.
PRICED_TYPES = frozenset((OrderType.LIMIT, OrderType.LIMIT_MAKER)) | STOP_LIMIT_TYPES

CLIENT_ORDER_ID_PATTERN = "[A-Za-z0-9_-]{1,36}"
_CLIENT_ORDER_ID = re.compile(CLIENT_ORDER_ID_PATTERN + r"\Z")


def enum_error(value: object, allowed: frozenset[str], field: str) -> EngineError:
    """The INVALID_ENUM error for a value outside ``allowed``."""
    choices = ", ".join(sorted(allowed))
    return EngineError(ErrorCode.INVALID_ENUM, f"{field} must be one of {choices}, got {value!r}", field)


def check_enum(value: object, allowed: frozenset[str], field: str) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise INVALID_ENUM naming the field."""
    if type(value) is str and value in allowed:
        return value
    raise enum_error(value, allowed, field)


def check_client_order_id(value: object) -> str:
    """Return a valid client order id (1-36 chars of [A-Za-z0-9_-]) or raise."""
    if type(value) is str and _CLIENT_ORDER_ID.match(value):
        return value
    raise EngineError(
        ErrorCode.INVALID_CLIENT_ORDER_ID,
        f"client_order_id must be 1-36 characters of [A-Za-z0-9_-], got {value!r}",
        "client_order_id",
    )


# -- the order record ---------------------------------------------------------------------------
# One plain list per order, indexed by these constants. The engine builds one per order on its hot
# path, and a list literal costs a third of what a 20-slot object's __init__ does (DESIGN §10.1).
# Outside the engine a record is read through events.py's readers (``order_of``, ``account_of``), and
# queries return an immutable views.OrderView. Fields that never change come first, so a snapshot of
# the state is the cheap slice ``record[STATE:]``.
(
    ID,  # engine-assigned int
    SEAT,  # accounts.Seat of the owning account at this symbol
    SIDE,  # 0 buy, 1 sell
    TYPE,  # OrderType; stays the submitted type after a stop triggers
    TIF,  # TimeInForce or None (market orders)
    QUOTE_QTY,  # quote units of a market buy by quote amount, else None
    STOP,  # stop price in ticks or None
    STP,  # SelfTradePrevention
    CLIENT_ID,  # client order id or None
    CREATED,  # ts of acceptance
    # -- mutable state from here on --
    PRICE,  # limit price in ticks or None (amend may change it)
    QTY,  # ordered lots, or None for a market buy by quote amount (amend may change it)
    FILLED,  # lots filled
    CUM_QUOTE,  # quote units traded
    FEE,  # fee units paid, in the asset received
    STATUS,  # OrderStatus
    WORKING,  # True once on the book / executing; False for an untriggered stop
    LOCKED,  # units of the spent asset held for this order
    UPDATED,  # ts of the last change
    REASON,  # ExpireReason once expired, else None
) = range(20)
STATE = PRICE  # record[STATE:] is a snapshot of the mutable state


def remaining(order: list) -> int:
    """Lots an order still has to fill (0 for a market buy by quote amount)."""
    qty = order[QTY]
    return 0 if qty is None else qty - order[FILLED]
