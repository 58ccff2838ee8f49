"""The engine facade: the one object the services call. Commands in, CommandResult (events) out.

A command is a value (``commands.py``); ``execute`` runs one, and the method of its name (``place``,
``cancel``, ...) builds and runs it. A command either raises EngineError (nothing changed) or returns
a CommandResult whose events are built once, on first use; subscribers are called synchronously with
each result after its command completes. An executor (the journal) may stand between the commands and
the engine: it runs each with ``apply`` and hands the result to ``publish``. Numbers are engine units:
prices in ticks, quantities in lots, asset amounts in units of 10**-18 (``Instrument`` and ``units``
convert); ``ts`` is int epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from . import state as _state
from .accounts import Account, FeeTier, Seat
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
from .errors import EngineError, ErrorCode
from .events import (
    ACCEPTED,
    BALANCE,
    BALANCES,
    CANCELED,
    LEVEL,
    REPLACED,
    TRANSFER,
    TRIGGERED,
    CommandResult,
    OrderRejected,
)
from .instruments import Instrument
from .market import Market
from .orderbook import BUY
from .orders import (
    FILLED,
    ID,
    LOCKED,
    OPEN_STATUSES,
    PRICE,
    QTY,
    SEAT,
    SIDE,
    STATE,
    STATUS,
    STP_MODES,
    TYPE,
    UPDATED,
    WORKING,
    ClientIdScope,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    check_enum,
)
from .queries import Queries
from .validation import (
    check_lots,
    check_maker,
    check_notional,
    check_ticks,
    check_trading,
    check_ts,
    check_units,
    check_untriggered,
    check_unused_client_id,
    order_fields,
)

Subscriber = Callable[[CommandResult], object]
_NO_STP = SelfTradePrevention.NONE
_LIMIT_MAKER = OrderType.LIMIT_MAKER


class Exchange(Queries):
    """Instruments, accounts, books and orders of one simulated exchange."""

    def __init__(self, fee_account: str = "fees") -> None:
        self._subscribers: list[Subscriber] = []
        self._executor: Executor | None = None
        self._empty(fee_account)

    def _empty(self, fee_account: str) -> None:
        """Hold nothing: no instrument, and only the fee account."""
        self._instruments: dict[str, Instrument] = {}
        self._markets: dict[str, Market] = {}
        self._accounts: dict[str, Account] = {}
        self._orders: dict[int, list] = {}  # open orders and the kept closed ones, by id
        self._assets: set[str] = set()
        self._next_id = 1
        self._trade_ids = [1]  # the next trade id, shared by every market
        self._fees = self._accounts[fee_account] = Account(fee_account)

    @property
    def fee_account(self) -> str:
        """Name of the account that collects every fee."""
        return self._fees.name

    @property
    def next_order_id(self) -> int:
        """The id the next accepted order gets."""
        return self._next_id

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything the exchange holds, as plain data (what a snapshot keeps; see ``state.py``).
        Subscribers and the executor are not part of it. Call it between two commands."""
        return _state.capture(self)

    def restore(self, saved: dict[str, Any]) -> None:
        """Replace everything the exchange holds by ``saved`` (from ``state()``), keeping its
        subscribers and executor."""
        _state.rebuild(self, saved)

    # -- listeners -----------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(result)`` synchronously after every command (rejections included).

        ``result.events`` builds the event objects on first use, so a subscriber that needs none
        of them this time (nobody is listening downstream) costs next to nothing.
        """
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback``."""
        self._subscribers.remove(callback)

    def publish(self, result: CommandResult) -> None:
        """Call every subscriber with a command's result (an executor's last step)."""
        for callback in tuple(self._subscribers):
            callback(result)

    # -- running commands ----------------------------------------------------------------------
    @property
    def executor(self) -> Executor | None:
        """What runs the commands given to this exchange (None: the exchange itself)."""
        return self._executor

    def set_executor(self, executor: Executor | None) -> None:
        """Send every command from now on to ``executor``, which runs it with ``apply`` and tells the
        subscribers with ``publish`` (a journal records it between the two); None: run them here."""
        self._executor = executor

    def execute(self, command: Command) -> CommandResult | None:
        """Run one command (through the executor, if one is set); its result goes to the subscribers.
        Administration (accounts, instruments, markets) returns None."""
        if self._executor is not None:
            return self._executor.execute(command)
        result = self.apply(command)
        if result is not None and self._subscribers:
            self.publish(result)
        return result

    def apply(self, command: Command) -> CommandResult | None:
        """Run one command on the state and return its result, not yet published (an executor's step).
        A refused order is announced to the subscribers (OrderRejected) before its EngineError."""
        run = _RULES.get(type(command))
        if run is None:
            raise TypeError(f"not an engine command: {command!r}")
        return run(self, *command)

    # -- commands, each built from its arguments and executed ----------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        """List a new instrument (its book starts empty)."""
        self.execute(AddInstrument(instrument))

    def set_trading(self, symbol: str, trading: bool) -> None:
        """Halt a market (new orders and amends are refused with MARKET_HALTED; cancels go through, and
        resting orders stay) or let it trade again."""
        self.execute(SetTrading(symbol, trading))

    def open_market(self, symbol: str, price: int) -> None:
        """Give a market nothing has traded in yet its reference price (``last_price``), as a venue
        opens with one; a market that has traded keeps its last trade's price."""
        self.execute(OpenMarket(symbol, price))

    def open_account(self, name: str, fee_tier: FeeTier | None = None) -> None:
        """Open an empty account; ``fee_tier`` overrides every instrument's fee rates for it."""
        self.execute(OpenAccount(name, fee_tier))

    def close_account(self, name: str) -> None:
        """Close an account that holds nothing (no open order, every balance zero): it goes with its
        order history, and the name may be opened again."""
        self.execute(CloseAccount(name))

    def set_fee_tier(self, account: str, fee_tier: FeeTier | None) -> None:
        """Move an account to another fee tier (None: the instruments' own rates)."""
        self.execute(SetFeeTier(account, fee_tier))

    def deposit(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        """Credit ``amount`` units of ``asset`` to the account's available balance."""
        return cast(CommandResult, self.execute(Deposit(account, asset, amount, ts)))

    def withdraw(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        """Debit ``amount`` units of ``asset`` from the account's available balance."""
        return cast(CommandResult, self.execute(Withdraw(account, asset, amount, ts)))

    def cancel_all(self, account: str, symbol: str | None = None, *, ts: int) -> CommandResult:
        """Cancel every open order of this account (in one symbol, or everywhere)."""
        return cast(CommandResult, self.execute(CancelAll(account, symbol, ts)))

    # The order commands below run their rule directly when no executor is set (_run_order_command).
    def place(
        self,
        account: str,
        symbol: str,
        side: str,
        order_type: str,
        quantity: int | None = None,
        price: int | None = None,
        *,
        ts: int,
        time_in_force: str | None = None,
        stop_price: int | None = None,
        quote_quantity: int | None = None,
        client_order_id: str | None = None,
        stp: str = SelfTradePrevention.NONE,
        client_id_scope: str = ClientIdScope.KEPT,
    ) -> CommandResult:
        """Place an order: quantity in lots, prices in ticks, quote_quantity (MARKET buys) in quote units.

        ``client_order_id`` must be unique among the account's orders ``client_id_scope`` names.

        Locks what the order can spend: price x quantity of quote for limit buys, the quantity of
        base for sells, quote_quantity for market buys by quote amount, and all available quote for
        a market buy by base quantity (released after it ran). A stop market buy locks nothing
        until it triggers, then all available quote. Fees come out of what each side receives.
        """
        args = (
            account,
            symbol,
            side,
            order_type,
            quantity,
            price,
            ts,
            time_in_force,
            stop_price,
            quote_quantity,
            client_order_id,
            stp,
            client_id_scope,
        )
        return self._run_order_command(PlaceOrder, Exchange._place, args)

    def cancel(
        self, account: str, order_id: int | None = None, *, client_order_id: str | None = None, ts: int
    ) -> CommandResult:
        """Cancel an open order of this account, by order id or client order id."""
        args = (account, order_id, client_order_id, ts)
        return self._run_order_command(CancelOrder, Exchange._cancel, args)

    def replace(
        self,
        account: str,
        order_id: int | None = None,
        *,
        client_order_id: str | None = None,
        quantity: int | None = None,
        price: int | None = None,
        ts: int,
    ) -> CommandResult:
        """Amend a resting limit order's total quantity (lots) and/or price (ticks), keeping its id.

        Lowering the quantity at the same price keeps the order's place in its queue; a price change
        or a larger quantity sends it to the back of its (new) level, where it trades if it crosses.
        """
        args = (account, order_id, client_order_id, quantity, price, ts)
        return self._run_order_command(ReplaceOrder, Exchange._replace, args)

    def _run_order_command(
        self, command: Callable[..., Command], rule: Callable[..., CommandResult], args: tuple
    ) -> CommandResult:
        """``execute`` for the order commands: with no executor set, ``rule`` runs on ``args`` without
        building the command value first (a NamedTuple per order costs the matching path measurably)."""
        if self._executor is not None:
            return cast(CommandResult, self._executor.execute(command(*args)))
        result = rule(self, *args)
        if self._subscribers:
            self.publish(result)
        return result

    # -- the rules: one per command, its arguments in the command's field order ------------------
    def _add_instrument(self, instrument: Instrument) -> None:
        if not isinstance(instrument, Instrument):
            raise TypeError("add_instrument takes an Instrument")
        if instrument.symbol in self._instruments:
            raise EngineError(ErrorCode.DUPLICATE_SYMBOL, f"{instrument.symbol} is already listed", "symbol")
        self._list(instrument)

    def _list(self, instrument: Instrument) -> Market:
        """Open the market of an instrument, its fees collected in the fee account."""
        self._instruments[instrument.symbol] = instrument
        market = self._markets[instrument.symbol] = Market(instrument, self._orders, self._trade_ids)
        market.collect_fees_in(self._fees.seat(market))
        self._assets.update((instrument.base, instrument.quote))
        return market

    def _set_trading(self, symbol: str, trading: bool) -> None:
        if type(trading) is not bool:
            raise TypeError("trading is true or false")
        self._market(symbol).halted = not trading

    def _open_market(self, symbol: str, price: int) -> None:
        market = self._market(symbol)
        price = check_ticks(price, market.instrument)
        if market.last_price is None:
            market.last_price = price

    def _open_account(self, name: str, fee_tier: FeeTier | None) -> None:
        if type(name) is str and name in self._accounts:
            raise EngineError(ErrorCode.DUPLICATE_ACCOUNT, f"account {name!r} already exists", "account")
        self._accounts[name] = Account(name, fee_tier)

    def _close_account(self, name: str) -> None:
        acct = self._account(name)
        if acct is self._fees:
            raise EngineError(ErrorCode.INVALID_NAME, "the fee account cannot be closed", "account")
        if acct.open or any(available or locked for available, locked in acct.balances.values()):
            raise EngineError(
                ErrorCode.ACCOUNT_NOT_EMPTY,
                f"account {name!r} still has open orders or balances: cancel and withdraw them first",
                "account",
            )
        for order in acct.closed:
            self._orders.pop(order[ID], None)
        del self._accounts[name]

    def _set_fee_tier(self, account: str, fee_tier: FeeTier | None) -> None:
        self._account(account).set_fee_tier(fee_tier, self._instruments)

    def _deposit(self, account: str, asset: str, amount: int, ts: int) -> CommandResult:
        check_ts(ts)
        cell = self._account(account).cell(self._asset(asset))
        amount = check_units(amount)
        cell[0] += amount
        records = [(TRANSFER, account, asset, amount), (BALANCE, account, asset, cell[0], cell[1])]
        return CommandResult(None, None, records)

    def _withdraw(self, account: str, asset: str, amount: int, ts: int) -> CommandResult:
        check_ts(ts)
        acct = self._account(account)
        self._asset(asset)
        amount = check_units(amount)
        cell = acct.balances.get(asset, [0, 0])
        if cell[0] < amount:
            raise EngineError(
                ErrorCode.INSUFFICIENT_BALANCE, f"only {cell[0]} units of {asset} available", "amount"
            )
        cell[0] -= amount
        records = [(TRANSFER, account, asset, -amount), (BALANCE, account, asset, cell[0], cell[1])]
        return CommandResult(None, None, records)

    def _place(
        self,
        account: str,
        symbol: str,
        side: str,
        order_type: str,
        quantity: int | None,
        price: int | None,
        ts: int,
        time_in_force: str | None,
        stop_price: int | None,
        quote_quantity: int | None,
        client_order_id: str | None,
        stp: str,
        client_id_scope: str,
    ) -> CommandResult:
        try:
            check_ts(ts)
            try:
                acct, market = self._accounts[account], self._markets[symbol]
            except (KeyError, TypeError):  # not both found: the lookups say which, precisely
                acct, market = self._account(account), self._market(symbol)
            side_code, tif, price, quantity, quote_quantity, stop = order_fields(
                market, side, order_type, quantity, price, time_in_force, stop_price, quote_quantity
            )
            if stp is not _NO_STP:  # the default is valid
                check_enum(stp, STP_MODES, "stp")
            if client_order_id is not None:
                check_unused_client_id(acct, client_order_id, client_id_scope)
            if order_type == _LIMIT_MAKER:
                check_maker(market.book, side_code, price)  # type: ignore[arg-type]
            if stop is not None:
                check_untriggered(market, order_type, side_code, stop)
            buy = side_code == BUY
            instrument = market.instrument
            seat = acct.seats.get(symbol) or acct.seat(market)
            if buy:
                cell = seat.quote
                if price is not None:
                    lock = price * quantity * instrument.quote_per_step  # type: ignore[operator]
                elif quote_quantity is not None:
                    lock = quote_quantity
                else:  # market buy by quantity: all available quote; a stop one: nothing until triggered
                    lock = cell[0] if stop is None else 0
            else:
                cell = seat.base
                lock = quantity * instrument.base_per_lot  # type: ignore[operator]
            if cell[0] < lock or (not lock and stop is None):
                raise EngineError(
                    ErrorCode.INSUFFICIENT_BALANCE,
                    f"order needs {lock or 'some'} units of {instrument.quote if buy else instrument.base},"
                    f" {cell[0]} available",
                    "quantity" if quote_quantity is None else "quote_quantity",
                )
        except EngineError as error:
            self._publish_rejection(error, account, symbol, client_order_id, ts)
            raise
        oid = self._next_id
        self._next_id = oid + 1
        order = [
            oid,
            seat,
            0 if buy else 1,
            order_type,
            tif,
            quote_quantity,
            stop,
            stp,
            client_order_id,
            ts,
            price,
            quantity,
            0,
            0,
            0,
            OrderStatus.NEW,
            stop is None,
            lock,
            ts,
            None,
        ]
        cell[0] -= lock
        cell[1] += lock
        self._orders[oid] = order
        acct.open[oid] = order
        if client_order_id is not None:
            acct.by_client[client_order_id] = order
        records: list[tuple] = [(ACCEPTED, order, price, quantity)]
        touched: dict[Seat, None] = {}
        if stop is None:
            market.execute(order, ts, records, touched)
            if market.stops.pending:
                self._trigger_stops(market, ts, records, touched)
        else:
            market.stops.add(order)
        if touched:
            self._record_balances(touched, records)
        elif lock:
            records.append((BALANCE, acct.name, instrument.quote if buy else instrument.base, *cell))
        return CommandResult(order, order[STATE:] if order[STATUS] in OPEN_STATUSES else None, records)

    def _cancel(
        self, account: str, order_id: int | None, client_order_id: str | None, ts: int
    ) -> CommandResult:
        check_ts(ts)
        acct = self._accounts.get(account) if type(account) is str else None
        order = None
        if acct is not None and type(order_id) is int and client_order_id is None:
            order = acct.open.get(order_id)  # an open order of the account: nothing else to check
        if order is None:
            order = self._open_order(self._account(account), order_id, client_order_id)
        records: list[tuple] = []
        touched: dict[Seat, None] = {}
        self._take_off(order, ts, records, touched)
        self._record_balances(touched, records)
        return CommandResult(order, None, records)

    def _cancel_all(self, account: str, symbol: str | None, ts: int) -> CommandResult:
        check_ts(ts)
        acct = self._account(account)
        if symbol is not None:
            self._market(symbol)
        records: list[tuple] = []
        touched: dict[Seat, None] = {}
        for order in list(acct.open.values()):
            if symbol is None or order[SEAT].instrument.symbol == symbol:
                self._take_off(order, ts, records, touched)
        self._record_balances(touched, records)
        return CommandResult(None, None, records)

    def _replace(
        self,
        account: str,
        order_id: int | None,
        client_order_id: str | None,
        quantity: int | None,
        price: int | None,
        ts: int,
    ) -> CommandResult:
        check_ts(ts)
        order = self._open_order(self._account(account), order_id, client_order_id)
        seat = order[SEAT]
        instrument, market = seat.instrument, seat.market
        check_trading(market)
        book = market.book
        if order[PRICE] is None or order[ID] not in book:
            raise EngineError(
                ErrorCode.ORDER_NOT_AMENDABLE, "only resting limit orders can be amended", "order_id"
            )
        old_price, old_qty, filled = order[PRICE], order[QTY], order[FILLED]
        new_price = old_price if price is None else check_ticks(price, instrument)
        new_qty = old_qty if quantity is None else check_lots(quantity, instrument)
        if new_price == old_price and new_qty == old_qty:
            raise EngineError(
                ErrorCode.NOTHING_TO_AMEND, "replace changes neither price nor quantity", "quantity"
            )
        if new_qty <= filled:
            raise EngineError(
                ErrorCode.QUANTITY_TOO_SMALL, f"quantity must exceed the {filled} lots filled", "quantity"
            )
        check_notional(instrument, new_price, new_qty)
        buy = order[SIDE] == BUY
        left = new_qty - filled
        lock = new_price * left * instrument.quote_per_step if buy else left * instrument.base_per_lot
        cell = seat.quote if buy else seat.base
        extra = lock - order[LOCKED]
        if extra > cell[0]:
            raise EngineError(
                ErrorCode.INSUFFICIENT_BALANCE,
                f"amend needs {extra} more units, {cell[0]} available",
                "quantity",
            )
        kept = new_price == old_price and new_qty < old_qty
        if not kept and order[TYPE] == _LIMIT_MAKER:
            check_maker(book, order[SIDE], new_price)
        cell[0] -= extra
        cell[1] += extra
        order[LOCKED] = lock
        if kept:  # amend down at the same price keeps time priority: only the size changed
            book.reduce(order[ID], left)
        else:
            book.cancel(order[ID])
        records: list[tuple] = [
            (LEVEL, instrument.symbol, order[SIDE], old_price, book.level_qty(old_price), book.sequence)
        ]
        order[PRICE], order[QTY], order[UPDATED] = new_price, new_qty, ts
        records.append((REPLACED, order, order[STATE:], old_price, old_qty, kept))
        touched: dict[Seat, None] = {seat: None}
        if not kept:
            market.execute(order, ts, records, touched)
            if market.stops.pending:
                self._trigger_stops(market, ts, records, touched)
        self._record_balances(touched, records)
        return CommandResult(order, order[STATE:] if order[STATUS] in OPEN_STATUSES else None, records)

    # -- command internals ---------------------------------------------------------------------
    def _take_off(self, order: list, ts: int, records: list, touched: dict) -> None:
        """Take an open order off the book (or the stop watch list) and release its lock."""
        seat = order[SEAT]
        market = seat.market
        if order[WORKING]:
            book, price = market.book, order[PRICE]
            book.cancel(order[ID])
            records.append(
                (LEVEL, seat.instrument.symbol, order[SIDE], price, book.level_qty(price), book.sequence)
            )
        else:
            market.stops.remove(order[ID])
        market.release(order, touched)
        order[STATUS] = OrderStatus.CANCELED
        order[UPDATED] = ts
        records.append((CANCELED, order))
        seat.account.retire(order, self._orders)

    def _trigger_stops(self, market: Market, ts: int, records: list, touched: dict) -> None:
        """Work the stops the last trade price reached, until trading triggers no more."""
        while market.last_price is not None:
            triggered = market.stops.pop_triggered(market.last_price)
            if not triggered:
                return
            for order in triggered:
                order[WORKING] = True
                order[UPDATED] = ts
                if order[PRICE] is None and order[SIDE] == BUY:  # stop market buy: lock its quote now
                    seat = order[SEAT]
                    order[LOCKED] = available = seat.quote[0]
                    seat.quote[0] = 0
                    seat.quote[1] += available
                    touched[seat] = None
                records.append((TRIGGERED, order, order[STATE:]))
                market.execute(order, ts, records, touched)

    @staticmethod
    def _record_balances(touched: dict[Seat, None], records: list) -> None:
        """Append the balances of every seat a command touched (BalanceChanged per account and asset)."""
        for seat in touched:
            base, quote = seat.base, seat.quote
            records.append((BALANCES, seat, base[0], base[1], quote[0], quote[1]))

    def _publish_rejection(
        self, error: EngineError, account: object, symbol: object, client_order_id: object, ts: object
    ) -> None:
        """Tell subscribers about a refused place command."""
        if self._subscribers:
            event = OrderRejected(
                str(account),
                str(symbol),
                client_order_id if isinstance(client_order_id, str) else None,
                error.code,
                error.message,
                error.field,
                ts if type(ts) is int else 0,
            )
            self.publish(CommandResult.of_events((event,)))


_RULES: dict[type, Callable[..., CommandResult | None]] = {
    PlaceOrder: Exchange._place,
    CancelOrder: Exchange._cancel,
    CancelAll: Exchange._cancel_all,
    ReplaceOrder: Exchange._replace,
    Deposit: Exchange._deposit,
    Withdraw: Exchange._withdraw,
    OpenAccount: Exchange._open_account,
    CloseAccount: Exchange._close_account,
    SetFeeTier: Exchange._set_fee_tier,
    AddInstrument: Exchange._add_instrument,
    OpenMarket: Exchange._open_market,
    SetTrading: Exchange._set_trading,
}
"""The rule that runs each command, called with the command's values."""
