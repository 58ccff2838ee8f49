"""exchangesim's matching engine: a sans-IO core (no Twisted, no I/O, no clock, no floats).

Commands are values (``PlaceOrder``, ``CancelOrder``, ...) that ``Exchange.execute`` runs (its methods of
the same names build them) and return ``CommandResult``; ``Exchange.state`` / ``restore`` give and take
its whole state as plain data. Prices are integer ticks, quantities integer lots and asset amounts
integer units of 10**-18, converted at the edge by ``Instrument`` and ``parse_amount`` / ``format_amount``.
"""

from .accounts import CLOSED_KEPT, FILLS_KEPT, FeeTier
from .commands import (
    AddInstrument,
    CancelAll,
    CancelOrder,
    CloseAccount,
    Command,
    Deposit,
    Executor,
    OpenAccount,
    OpenMarket,
    PlaceOrder,
    ReplaceOrder,
    SetFeeTier,
    SetTrading,
    Withdraw,
)
from .errors import ERROR_CODES, EngineError, ErrorCode
from .events import (
    BalanceChanged,
    BalanceTransferred,
    BookLevelChanged,
    CommandResult,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderTriggered,
    Trade,
)
from .exchange import Exchange
from .instruments import Instrument
from .orderbook import OrderBook
from .orders import (
    ClientIdScope,
    ExpireReason,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from .units import ASSET_DECIMALS, ASSET_SCALE, format_amount, parse_amount
from .views import BalanceView, DepthView, FillView, MarketStats, OrderProgress, OrderView, PositionView

__all__ = [
    "ASSET_DECIMALS",
    "ASSET_SCALE",
    "CLOSED_KEPT",
    "ERROR_CODES",
    "FILLS_KEPT",
    "AddInstrument",
    "BalanceChanged",
    "BalanceTransferred",
    "BalanceView",
    "BookLevelChanged",
    "CancelAll",
    "CancelOrder",
    "ClientIdScope",
    "CloseAccount",
    "Command",
    "CommandResult",
    "Deposit",
    "DepthView",
    "EngineError",
    "ErrorCode",
    "Event",
    "Exchange",
    "Executor",
    "ExpireReason",
    "FeeTier",
    "FillView",
    "Instrument",
    "MarketStats",
    "OpenAccount",
    "OpenMarket",
    "OrderAccepted",
    "OrderBook",
    "OrderCanceled",
    "OrderExpired",
    "OrderFilled",
    "OrderProgress",
    "OrderRejected",
    "OrderReplaced",
    "OrderStatus",
    "OrderTriggered",
    "OrderType",
    "OrderView",
    "PlaceOrder",
    "PositionView",
    "ReplaceOrder",
    "SelfTradePrevention",
    "SetFeeTier",
    "SetTrading",
    "Side",
    "TimeInForce",
    "Trade",
    "Withdraw",
    "format_amount",
    "parse_amount",
]
