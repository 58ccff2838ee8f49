"""Engine commands as values: what ``Exchange.execute`` runs, a journal writes and a replay runs again.

Each command is an immutable record of its arguments in engine units, in the order of the arguments of
the rule that runs it, so adding a parameter touches the command and that rule; ``kind`` names it (the
Exchange method of that name builds it). Commands are NamedTuples rather than attrs classes because a
journaled daemon builds one per order and a recovery one per record: a frozen attrs instance of
PlaceOrder's 13 fields costs ~1.2 us here, this one ~0.3 us, and its values are the tuple itself. A
command equals only a command of its own kind (``command_value``), never a plain tuple.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, get_args

from .accounts import FeeTier
from .instruments import Instrument
from .orders import ClientIdScope, SelfTradePrevention

if TYPE_CHECKING:
    from .events import CommandResult

__all__ = [
    "COMMANDS",
    "AddInstrument",
    "CancelAll",
    "CancelOrder",
    "CloseAccount",
    "Command",
    "Deposit",
    "Executor",
    "OpenAccount",
    "OpenMarket",
    "PlaceOrder",
    "ReplaceOrder",
    "SetFeeTier",
    "SetTrading",
    "Withdraw",
    "command_value",
]

_T = TypeVar("_T", bound=type)


def command_value(kind: str) -> Callable[[_T], _T]:
    """Make a NamedTuple class the command called ``kind``: its instances equal only its instances."""

    def equal(self: tuple, other: Any) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)

    def unequal(self: tuple, other: Any) -> bool:
        return not equal(self, other)

    def make(record_type: _T) -> _T:
        record_type.kind = kind  # type: ignore[attr-defined]
        record_type.__eq__ = equal  # type: ignore[assignment]
        record_type.__ne__ = unequal  # type: ignore[assignment]
        record_type.__hash__ = tuple.__hash__  # type: ignore[assignment]
        return record_type

    return make


@command_value("place")
class PlaceOrder(NamedTuple):
    """A new order: quantity in lots, prices in ticks, quote_quantity (MARKET buys) in quote units."""

    account: str
    symbol: str
    side: str
    order_type: str
    quantity: int | None
    price: int | None
    ts: int
    time_in_force: str | None = None
    stop_price: int | None = None
    quote_quantity: int | None = None
    client_order_id: str | None = None
    stp: str = SelfTradePrevention.NONE
    client_id_scope: str = ClientIdScope.KEPT


@command_value("cancel")
class CancelOrder(NamedTuple):
    """Cancel an open order of the account, by order id or client order id (the other one None)."""

    account: str
    order_id: int | None
    client_order_id: str | None
    ts: int


@command_value("cancel_all")
class CancelAll(NamedTuple):
    """Cancel every open order of the account (in one symbol, or everywhere: None)."""

    account: str
    symbol: str | None
    ts: int


@command_value("replace")
class ReplaceOrder(NamedTuple):
    """Amend a resting limit order's total quantity (lots) and/or price (ticks) (None: unchanged),
    keeping its id."""

    account: str
    order_id: int | None
    client_order_id: str | None
    quantity: int | None
    price: int | None
    ts: int


@command_value("deposit")
class Deposit(NamedTuple):
    """Credit ``amount`` units of ``asset`` to the account's available balance."""

    account: str
    asset: str
    amount: int
    ts: int


@command_value("withdraw")
class Withdraw(NamedTuple):
    """Debit ``amount`` units of ``asset`` from the account's available balance."""

    account: str
    asset: str
    amount: int
    ts: int


@command_value("open_account")
class OpenAccount(NamedTuple):
    """Open an empty account; ``fee_tier`` overrides every instrument's fee rates for it."""

    name: str
    fee_tier: FeeTier | None = None


@command_value("close_account")
class CloseAccount(NamedTuple):
    """Close an account that holds nothing (no open order, every balance zero)."""

    name: str


@command_value("set_fee_tier")
class SetFeeTier(NamedTuple):
    """Move an account to another fee tier (None: the instruments' own rates)."""

    account: str
    fee_tier: FeeTier | None


@command_value("add_instrument")
class AddInstrument(NamedTuple):
    """List a new instrument (its book starts empty)."""

    instrument: Instrument


@command_value("open_market")
class OpenMarket(NamedTuple):
    """Give a market nothing has traded in yet its reference price, in ticks."""

    symbol: str
    price: int


@command_value("set_trading")
class SetTrading(NamedTuple):
    """Halt a market (False) or let it trade again (True)."""

    symbol: str
    trading: bool


Command = (
    PlaceOrder
    | CancelOrder
    | CancelAll
    | ReplaceOrder
    | Deposit
    | Withdraw
    | OpenAccount
    | CloseAccount
    | SetFeeTier
    | AddInstrument
    | OpenMarket
    | SetTrading
)
COMMANDS: tuple[type[Command], ...] = get_args(Command)
"""Every command type, in the order of ``Command``."""


class Executor(Protocol):
    """Runs the commands an Exchange is given (a journal does, see ``Exchange.set_executor``)."""

    def execute(self, command: Command) -> CommandResult | None: ...
