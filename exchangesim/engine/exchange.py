"""The engine facade: the one object the services call. Commands in, CommandResult (events) out.

Every command takes ``ts`` (int epoch ms) and either raises EngineError (nothing changed) or returns
a CommandResult whose events are built once, on first use; subscribers are called synchronously
with each command's events after it completes. Numbers are engine units: prices in ticks,
quantities in lots, asset amounts in units of 10**-18 (``Instrument`` and ``units`` convert).
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account, FeeTier, Seat
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
    CLIENT_ID_SCOPES,
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
    TimeInForce,
    check_client_order_id,
    check_enum,
)
from .queries import Queries
from .stops import is_triggered
from .validation import (
    check_lots,
    check_notional,
    check_side,
    check_ticks,
    check_ts,
    check_units,
    order_fields,
)

Subscriber = Callable[[CommandResult], object]


class Exchange(Queries):
    """Instruments, accounts, books and orders of one simulated exchange."""

    def __init__(self, fee_account: str = "fees") -> None:
        self._instruments: dict[str, Instrument] = {}
        self._markets: dict[str, Market] = {}
        self._accounts: dict[str, Account] = {}
        self._orders: dict[int, list] = {}  # open orders and the kept closed ones, by id
        self._assets: set[str] = set()
        self._next_id = 1
        self._trade_ids = [1]  # the next trade id, shared by every market
        self._subscribers: list[Subscriber] = []
        self._fees = self._accounts[fee_account] = Account(fee_account)

    @property
    def fee_account(self) -> str:
        """Name of the account that collects every fee."""
        return self._fees.name

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

    def _publish(self, result: CommandResult) -> CommandResult:
        for callback in tuple(self._subscribers):
            callback(result)
        return result

    # -- administration ------------------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        """List a new instrument (its book starts empty)."""
        if not isinstance(instrument, Instrument):
            raise TypeError("add_instrument takes an Instrument")
        if instrument.symbol in self._instruments:
            raise EngineError(ErrorCode.DUPLICATE_SYMBOL, f"{instrument.symbol} is already listed", "symbol")
        self._instruments[instrument.symbol] = instrument
        market = self._markets[instrument.symbol] = Market(instrument, self._orders, self._trade_ids)
        market.collect_fees_in(self._fees.seat(market))
        self._assets.update((instrument.base, instrument.quote))

    def set_trading(self, symbol: str, trading: bool) -> None:
        """Halt a market (new orders and amends are refused with MARKET_HALTED; cancels go through, and
        resting orders stay) or let it trade again."""
        if type(trading) is not bool:
            raise TypeError("trading is true or false")
        self._market(symbol).halted = not trading

    def open_market(self, symbol: str, price: int) -> None:
        """Give a market nothing has traded in yet its reference price (``last_price``), as a venue
        opens with one; a market that has traded keeps its last trade's price."""
        market = self._market(symbol)
        if type(price) is not int or price < 1:
            raise EngineError(
                ErrorCode.NOT_POSITIVE, "a reference price is a positive number of ticks", "price"
            )
        if market.last_price is None:
            market.last_price = price

    def open_account(self, name: str, fee_tier: FeeTier | None = None) -> None:
        """Open an empty account; ``fee_tier`` overrides every instrument's fee rates for it."""
        if type(name) is str and name in self._accounts:
            raise EngineError(ErrorCode.DUPLICATE_ACCOUNT, f"account {name!r} already exists", "account")
        self._accounts[name] = Account(name, fee_tier)

    def close_account(self, name: str) -> None:
        """Close an account that holds nothing (no open order, every balance zero): it goes with its
        order history, and the name may be opened again."""
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

    def set_fee_tier(self, account: str, fee_tier: FeeTier | None) -> None:
        """Move an account to another fee tier (None: the instruments' own rates)."""
        self._account(account).set_fee_tier(fee_tier, self._instruments)

    def deposit(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        """Credit ``amount`` units of ``asset`` to the account's available balance."""
        check_ts(ts)
        cell = self._account(account).cell(self._asset(asset))
        amount = check_units(amount)
        cell[0] += amount
        records = [(TRANSFER, account, asset, amount), (BALANCE, account, asset, cell[0], cell[1])]
        return self._publish(CommandResult(None, None, records))

    def withdraw(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        """Debit ``amount`` units of ``asset`` from the account's available balance."""
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
        return self._publish(CommandResult(None, None, records))

    # -- orders --------------------------------------------------------------------------------
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
        acct = self._accounts.get(account) if type(account) is str else None
        market = self._markets.get(symbol) if type(symbol) is str else None
        try:
            # The common shapes (LIMIT good-till-cancel, MARKET by quantity) are checked inline here;
            # anything else, and anything failing these checks, goes through _admit, which applies
            # every rule and raises the precise error.
            instrument = market.instrument if market is not None else None
            if (
                acct is not None
                and instrument is not None
                and not market.halted  # type: ignore[union-attr]
                and type(ts) is int
                and ts >= 0
                and type(quantity) is int
                and instrument.min_lots <= quantity <= instrument.max_lots
                and (side == "BUY" or side == "SELL")
                and time_in_force is None
                and stop_price is None
                and quote_quantity is None
                and client_order_id is None
                and stp == SelfTradePrevention.NONE
                and (
                    (order_type == "MARKET" and price is None)
                    or (
                        order_type == "LIMIT"
                        and type(price) is int
                        and 0 < price <= instrument.max_ticks
                        and price * quantity >= instrument.min_notional_steps
                    )
                )
            ):
                tif, stop = (None if price is None else TimeInForce.GTC), None
            else:
                tif, price, quantity, quote_quantity, stop = self._admit(
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
                acct, market = self._accounts[account], self._markets[symbol]
                instrument = market.instrument
            buy = side == "BUY"
            seat = acct.seats.get(symbol) or acct.seat(market)  # type: ignore[union-attr,arg-type]
            if buy:
                cell = seat.quote
                if price is not None:
                    lock = price * quantity * instrument.quote_per_step  # type: ignore[operator,union-attr]
                elif quote_quantity is not None:
                    lock = quote_quantity
                else:  # market buy by quantity: all available quote; a stop one: nothing until triggered
                    lock = cell[0] if stop is None else 0
            else:
                cell = seat.base
                lock = quantity * instrument.base_per_lot  # type: ignore[operator,union-attr]
            if cell[0] < lock or (not lock and stop is None):
                asset = instrument.quote if buy else instrument.base  # type: ignore[union-attr]
                raise EngineError(
                    ErrorCode.INSUFFICIENT_BALANCE,
                    f"order needs {lock or 'some'} units of {asset}, {cell[0]} available",
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
        acct.open[oid] = order  # type: ignore[union-attr]
        if client_order_id is not None:
            acct.by_client[client_order_id] = order  # type: ignore[union-attr]
        records: list[tuple] = [(ACCEPTED, order, price, quantity)]
        touched: dict[Seat, None] = {}
        if stop is None:
            market.execute(order, ts, records, touched)  # type: ignore[union-attr]
            if market.stops.pending:  # type: ignore[union-attr]
                self._trigger_stops(market, ts, records, touched)  # type: ignore[arg-type]
        else:
            market.stops.add(order)  # type: ignore[union-attr]
        if touched:
            self._record_balances(touched, records)
        elif lock:
            asset = instrument.quote if buy else instrument.base  # type: ignore[union-attr]
            records.append((BALANCE, acct.name, asset, cell[0], cell[1]))  # type: ignore[union-attr]
        result = CommandResult(order, order[STATE:] if order[STATUS] in OPEN_STATUSES else None, records)
        if self._subscribers:
            self._publish(result)
        return result

    def _admit(
        self,
        account: object,
        symbol: object,
        side: object,
        order_type: object,
        quantity: object,
        price: object,
        ts: object,
        time_in_force: object,
        stop_price: object,
        quote_quantity: object,
        client_order_id: object,
        stp: object,
        client_id_scope: object,
    ) -> tuple[str | None, int | None, int | None, int | None, int | None]:
        """Apply every rule of a new order (not its balance); return (tif, price, qty, quote_qty, stop)."""
        check_ts(ts)
        acct = self._account(account)
        market = self._market(symbol)
        check_trading(market)
        buy = check_side(side) == BUY
        fields = order_fields(
            market.instrument, order_type, buy, quantity, price, time_in_force, stop_price, quote_quantity
        )
        _, price, quantity, quote_quantity, stop = fields
        check_enum(stp, STP_MODES, "stp")
        if client_order_id is not None:
            scope = check_enum(client_id_scope, CLIENT_ID_SCOPES, "client_id_scope")
            existing = acct.by_client.get(check_client_order_id(client_order_id))
            if existing is not None and (scope == ClientIdScope.KEPT or existing[STATUS] in OPEN_STATUSES):
                raise EngineError(
                    ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
                    f"client_order_id {client_order_id!r} is used by order {existing[ID]}",
                    "client_order_id",
                    existing[ID],
                )
        side_code = 0 if buy else 1
        if order_type == OrderType.LIMIT_MAKER and market.book.would_take(side_code, price):  # type: ignore[arg-type]
            raise EngineError(ErrorCode.WOULD_TAKE, "LIMIT_MAKER order would trade immediately", "price")
        last = market.last_price
        if stop is not None and last is not None and is_triggered(order_type, side_code, stop, last):  # type: ignore[arg-type]
            raise EngineError(
                ErrorCode.WOULD_TRIGGER_IMMEDIATELY,
                "the last trade price already reaches stop_price",
                "stop_price",
            )
        return fields

    def cancel(
        self, account: str, order_id: int | None = None, *, client_order_id: str | None = None, ts: int
    ) -> CommandResult:
        """Cancel an open order of this account, by order id or client order id."""
        acct = self._accounts.get(account) if type(account) is str else None
        order = (
            acct.open.get(order_id)
            if acct is not None and type(order_id) is int and client_order_id is None
            else None
        )
        if order is None or type(ts) is not int or ts < 0:  # not the plain case: find the precise error
            check_ts(ts)
            order = self._open_order(self._account(account), order_id, client_order_id)
        records: list[tuple] = []
        touched: dict[Seat, None] = {}
        self._cancel(order, ts, records, touched)
        self._record_balances(touched, records)
        return self._publish(CommandResult(order, None, records))

    def cancel_all(self, account: str, symbol: str | None = None, *, ts: int) -> CommandResult:
        """Cancel every open order of this account (in one symbol, or everywhere)."""
        check_ts(ts)
        acct = self._account(account)
        if symbol is not None:
            self._market(symbol)
        records: list[tuple] = []
        touched: dict[Seat, None] = {}
        for order in list(acct.open.values()):
            if symbol is None or order[SEAT].instrument.symbol == symbol:
                self._cancel(order, ts, records, touched)
        self._record_balances(touched, records)
        return self._publish(CommandResult(None, None, records))

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
        if not kept and order[TYPE] == OrderType.LIMIT_MAKER and book.would_take(order[SIDE], new_price):
            raise EngineError(ErrorCode.WOULD_TAKE, "LIMIT_MAKER order would trade immediately", "price")
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
        return self._publish(
            CommandResult(order, order[STATE:] if order[STATUS] in OPEN_STATUSES else None, records)
        )

    # -- command internals ---------------------------------------------------------------------
    def _cancel(self, order: list, ts: int, records: list, touched: dict) -> None:
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
            self._publish(CommandResult.of_events((event,)))


def check_trading(market: Market) -> None:
    """Refuse a new order or an amend in a halted market."""
    if market.halted:
        symbol = market.instrument.symbol
        raise EngineError(
            ErrorCode.MARKET_HALTED, f"{symbol} is halted: new orders and amends are refused", "symbol"
        )
