"""What a command did: compact event records, published as they are, and the attrs events built from them.

Commands append plain tuples (the record kinds below) while they run, as DESIGN §10.1 asks. The records
are the published form: ``CommandResult.records`` hands them to subscribers, which read the fields they
need by unpacking (the feeds, the statistics and the journal do, per command, so a command's events cost
no object per event or field). The frozen attrs events (``result.events``) are a convenience built on
first use, for tests, tools and plugins; ``order_of``, ``maker_filled``, ``account_of`` and
``balance_changes`` read what the records hold by reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .orders import (
    CLIENT_ID,
    CREATED,
    ID,
    QTY,
    QUOTE_QTY,
    SEAT,
    SIDE,
    SIDE_NAMES,
    STATE,
    STOP,
    STP,
    TIF,
    TYPE,
    OrderStatus,
)
from .views import FillView, OrderView

# -- record kinds: the first item of each record tuple -------------------------------------------
# ``order`` is the engine's order record, read through ``order_of`` and ``account_of``. A closed order's
# record never changes again, so terminal records hold the record itself; the others capture what may
# still change (``record[STATE:]`` is a snapshot of the mutable fields).
ACCEPTED = 0  # (ACCEPTED, order, price, quantity): the state at acceptance is otherwise fixed
TRIGGERED = 1  # (TRIGGERED, order, snapshot)
CANCELED = 2  # (CANCELED, order)
EXPIRED = 3  # (EXPIRED, order)
FILLED = 4  # (FILLED, order): takers; a maker filled by a TRADE has no record of its own (maker_filled)
REPLACED = 5  # (REPLACED, order, snapshot, old price, old quantity, kept priority)
TRADE = 6  # (TRADE, ...): fields T_* below
LEVEL = 7  # (LEVEL, symbol, side code, price, lots, sequence)
BALANCE = 8  # (BALANCE, account, asset, available, locked)
BALANCES = 9  # (BALANCES, seat, base available, base locked, quote available, quote locked)
TRANSFER = 10  # (TRANSFER, account, asset, signed amount): a deposit or a withdrawal

ORDER_KINDS = {
    ACCEPTED: "ACCEPTED",
    TRIGGERED: "TRIGGERED",
    CANCELED: "CANCELED",
    EXPIRED: "EXPIRED",
    FILLED: "FILLED",
    REPLACED: "REPLACED",
}
"""The kinds of record about one order (its second item), by name."""

# fields of a TRADE record (also kept as fill history by accounts and markets); the side is a code
# (0 buy, 1 sell), the maker and taker are order records, fees are in the asset each side received
(
    T_KIND,
    T_ID,
    T_INSTRUMENT,
    T_PRICE,
    T_QTY,
    T_QUOTE,
    T_TAKER_SIDE,
    T_MAKER,
    T_TAKER,
    T_MAKER_FEE,
    T_TAKER_FEE,
    T_MAKER_FILLED,
    T_TAKER_FILLED,
    T_TS,
) = range(14)


@attrs.frozen
class OrderAccepted:
    """An order entered the engine (the view shows it as accepted, before any fill)."""

    order: OrderView


@attrs.frozen
class OrderRejected:
    """A place command was refused; nothing changed."""

    account: str
    symbol: str
    client_order_id: str | None
    code: str
    message: str
    field: str | None
    ts: int


@attrs.frozen
class OrderTriggered:
    """A stop order's trigger price was reached by the last trade price; it now works as a market or limit."""

    order: OrderView


@attrs.frozen
class OrderCanceled:
    """An order was canceled by its account."""

    order: OrderView


@attrs.frozen
class OrderExpired:
    """An order ended unfilled or partly filled without a cancel; ``order.reason`` says why."""

    order: OrderView


@attrs.frozen
class OrderFilled:
    """An order filled completely (the last of its Trades came just before)."""

    order: OrderView


@attrs.frozen
class OrderReplaced:
    """An order's price or quantity was amended (same order id)."""

    order: OrderView
    old_price: int | None
    old_quantity: int
    kept_priority: bool


@attrs.frozen
class Trade:
    """One maker fill: the taker traded ``quantity`` lots with one resting order at its price."""

    symbol: str
    trade_id: int
    price: int
    quantity: int
    quote: int  # quote units
    taker_side: str
    maker_order_id: int
    taker_order_id: int
    maker_account: str
    taker_account: str
    maker_fee: int
    maker_fee_asset: str
    taker_fee: int
    taker_fee_asset: str
    maker_filled: int  # the maker order's filled lots after this trade
    taker_filled: int
    ts: int

    def fills(self) -> tuple[FillView, FillView]:
        """The maker's and the taker's side of this trade."""
        maker_side = "SELL" if self.taker_side == "BUY" else "BUY"
        return (
            FillView(
                self.trade_id,
                self.maker_order_id,
                self.symbol,
                maker_side,
                self.price,
                self.quantity,
                self.quote,
                self.maker_fee,
                self.maker_fee_asset,
                "MAKER",
                self.ts,
            ),
            FillView(
                self.trade_id,
                self.taker_order_id,
                self.symbol,
                self.taker_side,
                self.price,
                self.quantity,
                self.quote,
                self.taker_fee,
                self.taker_fee_asset,
                "TAKER",
                self.ts,
            ),
        )


@attrs.frozen
class BookLevelChanged:
    """A price level's aggregated quantity changed (0: the level is gone); ``sequence`` is the book's."""

    symbol: str
    side: str
    price: int
    quantity: int
    sequence: int


@attrs.frozen
class BalanceChanged:
    """An account's balance of one asset after a command."""

    account: str
    asset: str
    available: int
    locked: int


@attrs.frozen
class BalanceTransferred:
    """Asset units deposited into (``amount`` > 0) or withdrawn from (< 0) an account."""

    account: str
    asset: str
    amount: int


Event = (
    OrderAccepted
    | OrderRejected
    | OrderTriggered
    | OrderCanceled
    | OrderExpired
    | OrderFilled
    | OrderReplaced
    | Trade
    | BookLevelChanged
    | BalanceChanged
    | BalanceTransferred
)


def order_view(order: list, state: Sequence | None = None) -> OrderView:
    """The OrderView of an order record, in its current state or in a snapshot ``state`` of it."""
    if state is None:
        state = order[STATE:]
    price, quantity, filled, cum_quote, fee, status, working, _, updated, reason = state
    seat = order[SEAT]
    instrument = seat.instrument
    return OrderView(
        order_id=order[ID],
        client_order_id=order[CLIENT_ID],
        account=seat.account.name,
        symbol=instrument.symbol,
        side=SIDE_NAMES[order[SIDE]],
        type=order[TYPE],
        time_in_force=order[TIF],
        price=price,
        quantity=quantity,
        quote_quantity=order[QUOTE_QTY],
        stop_price=order[STOP],
        stp=order[STP],
        status=status,
        filled=filled,
        cum_quote=cum_quote,
        fee=fee,
        fee_asset=instrument.base if order[SIDE] == 0 else instrument.quote,
        is_working=working,
        created=order[CREATED],
        updated=updated,
        reason=reason,
    )


def accepted_view(order: list, price: int | None, quantity: int | None) -> OrderView:
    """The view of an order as it was accepted (nothing filled yet)."""
    working = order[STOP] is None
    return order_view(order, (price, quantity, 0, 0, 0, OrderStatus.NEW, working, 0, order[CREATED], None))


# -- reading records -------------------------------------------------------------------------------
def account_of(order: list) -> str:
    """The account that owns an order record (the maker or taker of a TRADE, an order kind's order)."""
    return order[SEAT].account.name


def order_of(record: tuple) -> OrderView:
    """The view of the order a record of ``ORDER_KINDS`` is about, as that record left it."""
    kind = record[0]
    if kind == ACCEPTED:
        return accepted_view(record[1], record[2], record[3])
    return order_view(record[1], record[2] if kind == TRIGGERED or kind == REPLACED else None)


def maker_filled(record: tuple) -> list | None:
    """The maker order a TRADE record filled completely, else None (it has no FILLED record)."""
    maker = record[T_MAKER]
    return maker if record[T_MAKER_FILLED] == maker[QTY] else None


def balance_changes(records: list[tuple]) -> list[tuple[str, str, int, int]]:
    """(account, asset, available, locked) of each balance the records changed, once each, in the
    order they first appear (two seats of one account share its quote: cancel_all)."""
    changes: dict[tuple[str, str], tuple[int, int]] = {}
    for record in records:
        for account, asset, available, locked in _balance_rows(record):
            changes[account, asset] = available, locked
    return [(account, asset, *amounts) for (account, asset), amounts in changes.items()]


def _balance_rows(record: tuple) -> tuple[tuple[str, str, int, int], ...]:
    """(account, asset, available, locked) of each balance a record holds (none: not a balance record)."""
    kind = record[0]
    if kind == BALANCE:
        return (record[1:],)
    if kind == BALANCES:
        _, seat, base_available, base_locked, quote_available, quote_locked = record
        name, instrument = seat.account.name, seat.instrument
        base = (name, instrument.base, base_available, base_locked)
        return base, (name, instrument.quote, quote_available, quote_locked)
    return ()


def trade_event(record: tuple) -> Trade:
    """The Trade event of a TRADE record."""
    instrument = record[T_INSTRUMENT]
    taker_buys = record[T_TAKER_SIDE] == 0
    maker, taker = record[T_MAKER], record[T_TAKER]
    return Trade(
        symbol=instrument.symbol,
        trade_id=record[T_ID],
        price=record[T_PRICE],
        quantity=record[T_QTY],
        quote=record[T_QUOTE],
        taker_side=SIDE_NAMES[record[T_TAKER_SIDE]],
        maker_order_id=maker[ID],
        taker_order_id=taker[ID],
        maker_account=account_of(maker),
        taker_account=account_of(taker),
        maker_fee=record[T_MAKER_FEE],
        maker_fee_asset=instrument.quote if taker_buys else instrument.base,
        taker_fee=record[T_TAKER_FEE],
        taker_fee_asset=instrument.base if taker_buys else instrument.quote,
        maker_filled=record[T_MAKER_FILLED],
        taker_filled=record[T_TAKER_FILLED],
        ts=record[T_TS],
    )


_ORDER_EVENTS = {
    ACCEPTED: OrderAccepted,
    TRIGGERED: OrderTriggered,
    CANCELED: OrderCanceled,
    EXPIRED: OrderExpired,
    FILLED: OrderFilled,
}


def materialize(records: list[tuple]) -> tuple[Event, ...]:
    """Build the attrs events of a command's records, in order (each balance once, where the first
    record of it stood)."""
    events: list[Event] = []
    add = events.append
    balances = {(name, asset): amounts for name, asset, *amounts in balance_changes(records)}
    for record in records:
        kind = record[0]
        if kind == TRADE:
            add(trade_event(record))
            maker = maker_filled(record)
            if maker is not None:
                add(OrderFilled(order_view(maker)))
        elif kind == LEVEL:
            _, symbol, side, price, lots, sequence = record
            add(BookLevelChanged(symbol, SIDE_NAMES[side], price, lots, sequence))
        elif kind == BALANCE or kind == BALANCES:
            for account, asset, _, _ in _balance_rows(record):
                amounts = balances.pop((account, asset), None)
                if amounts is not None:
                    add(BalanceChanged(account, asset, *amounts))
        elif kind == TRANSFER:
            add(BalanceTransferred(*record[1:]))
        elif kind == REPLACED:
            _, order, state, old_price, old_quantity, kept = record
            add(OrderReplaced(order_view(order, state), old_price, old_quantity, kept))
        else:
            add(_ORDER_EVENTS[kind](order_of(record)))
    return tuple(events)


class CommandResult:
    """What one command did: its subject order as it ended up, its event ``records`` (the published
    form), and the attrs events built from them once, on first use."""

    __slots__ = ("_events", "_order", "_state", "_subject", "_trades", "order_id", "records")

    def __init__(self, subject: list | None, state: Sequence | None, records: list[tuple]) -> None:
        self.order_id = None if subject is None else subject[ID]
        self._subject = subject
        self._state = state  # snapshot of the subject's state, None once it is closed (final)
        self.records = records
        self._order: OrderView | None = None
        self._events: tuple[Event, ...] | None = None
        self._trades: tuple[Trade, ...] | None = None

    @property
    def order(self) -> OrderView | None:
        """The subject order as the command left it (None for commands without one)."""
        if self._order is None and self._subject is not None:
            self._order = order_view(self._subject, self._state)
        return self._order

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event of the command, in the order things happened."""
        if self._events is None:
            self._events = materialize(self.records)
        return self._events

    @property
    def trades(self) -> tuple[Trade, ...]:
        """The command's Trade events, built without the other events (an order's answer lists them)."""
        if self._trades is None:
            self._trades = tuple(trade_event(record) for record in self.records if record[0] == TRADE)
        return self._trades

    @classmethod
    def of_events(cls, events: tuple[Event, ...]) -> CommandResult:
        """A result made of ready events and no records (a rejection: record readers hear nothing)."""
        result = cls(None, None, [])
        result._events = events
        return result

    def __repr__(self) -> str:
        return f"<CommandResult order_id={self.order_id} records={len(self.records)}>"


def fill_view(record: tuple, maker: bool) -> FillView:
    """One side of a TRADE record as a FillView."""
    return trade_event(record).fills()[0 if maker else 1]
