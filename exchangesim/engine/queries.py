"""Read-only side of the Exchange facade: lookups shared by commands, and queries returning views."""

from __future__ import annotations

import heapq

from .accounts import Account
from .errors import EngineError, ErrorCode
from .events import T_ID, T_INSTRUMENT, Trade, fill_view, order_view, trade_event
from .instruments import Instrument
from .market import Market
from .orders import FILLED, ID, OPEN_STATUSES, ORDER_STATUSES, PRICE, QTY, SEAT, STATUS, WORKING, check_enum
from .positions import view as position_view
from .views import BalanceView, DepthView, FillView, MarketStats, OrderProgress, OrderView, PositionView


class Queries:
    """Lookups and queries over the Exchange's state (the Exchange subclasses this)."""

    _instruments: dict[str, Instrument]
    _markets: dict[str, Market]
    _accounts: dict[str, Account]
    _orders: dict[int, list]
    _assets: set[str]

    # -- lookups (raise the engine's errors) ---------------------------------------------------
    def _account(self, name: object) -> Account:
        account = self._accounts.get(name) if type(name) is str else None  # type: ignore[arg-type]
        if account is None:
            raise EngineError(ErrorCode.UNKNOWN_ACCOUNT, f"no account {name!r}", "account")
        return account

    def _market(self, symbol: object) -> Market:
        market = self._markets.get(symbol) if type(symbol) is str else None  # type: ignore[arg-type]
        if market is None:
            raise EngineError(ErrorCode.UNKNOWN_SYMBOL, f"no instrument {symbol!r}", "symbol")
        return market

    def _asset(self, asset: object) -> str:
        if type(asset) is str and asset in self._assets:
            return asset
        raise EngineError(ErrorCode.UNKNOWN_ASSET, f"no instrument uses asset {asset!r}", "asset")

    def _order(self, account: Account, order_id: object, client_order_id: object = None) -> list:
        """An order of this account by id or client id; another account's order is unknown too."""
        if (order_id is None) == (client_order_id is None):
            raise EngineError(
                ErrorCode.MISSING_FIELD, "give exactly one of order_id and client_order_id", "order_id"
            )
        if order_id is not None:
            order = self._orders.get(order_id) if type(order_id) is int else None  # type: ignore[arg-type]
            if order is None or order[SEAT].account is not account:
                raise EngineError(
                    ErrorCode.UNKNOWN_ORDER, f"no order {order_id!r} for this account", "order_id"
                )
            return order
        order = account.by_client.get(client_order_id) if type(client_order_id) is str else None  # type: ignore[arg-type]
        if order is None:
            raise EngineError(
                ErrorCode.UNKNOWN_ORDER,
                f"no order with client_order_id {client_order_id!r}",
                "client_order_id",
            )
        return order

    def _open_order(self, account: Account, order_id: object, client_order_id: object) -> list:
        order = self._order(account, order_id, client_order_id)
        if order[STATUS] not in OPEN_STATUSES:
            raise EngineError(
                ErrorCode.ORDER_NOT_OPEN, f"order {order[ID]} is {order[STATUS]}", "order_id", order[ID]
            )
        return order

    # -- reference data ------------------------------------------------------------------------
    def instruments(self) -> list[Instrument]:
        """Every listed instrument, in listing order."""
        return list(self._instruments.values())

    def instrument(self, symbol: str) -> Instrument:
        """One instrument (UNKNOWN_SYMBOL if not listed)."""
        return self._market(symbol).instrument

    def assets(self) -> list[str]:
        """Every asset some instrument uses, sorted."""
        return sorted(self._assets)

    def account_names(self) -> list[str]:
        """Every account, the fee account included."""
        return list(self._accounts)

    # -- an account's orders, balances, positions and fills ------------------------------------
    def get_order(self, account: str, order_id: int) -> OrderView:
        """One order of this account, open or recently closed."""
        return order_view(self._order(self._account(account), order_id))

    def order_progress(self, account: str, order_id: int) -> OrderProgress:
        """Price, quantity, filled lots, status and whether it works, of one order of this account (open
        or recently closed): ``get_order``'s figures of its progress without building the whole view."""
        order = self._order(self._account(account), order_id)
        return OrderProgress(order[PRICE], order[QTY], order[FILLED], order[STATUS], order[WORKING])

    def get_order_by_client_id(self, account: str, client_order_id: str) -> OrderView:
        """One order of this account by its client order id (open or among the last 10,000 closed)."""
        return order_view(self._order(self._account(account), None, client_order_id))

    def open_orders(self, account: str, symbol: str | None = None) -> list[OrderView]:
        """Open orders (untriggered stops included), oldest first."""
        if symbol is not None:
            self._market(symbol)
        return [
            order_view(o)
            for o in self._account(account).open.values()
            if symbol is None or o[SEAT].instrument.symbol == symbol
        ]

    def orders(
        self, account: str, symbol: str | None = None, status: str | None = None, limit: int | None = None
    ) -> list[OrderView]:
        """Open and recently closed orders, oldest first; the newest ``limit`` if given."""
        acct = self._account(account)
        if symbol is not None:
            self._market(symbol)
        if status is not None:
            check_enum(status, ORDER_STATUSES, "status")
        found = [
            o
            for o in heapq.merge(acct.closed, acct.open.values(), key=lambda o: o[ID])
            if (symbol is None or o[SEAT].instrument.symbol == symbol)
            and (status is None or o[STATUS] == status)
        ]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return [order_view(o) for o in found]

    def balances(self, account: str) -> dict[str, BalanceView]:
        """Available and locked units of every asset of the exchange, by asset."""
        cells = self._account(account).balances
        return {asset: BalanceView(asset, *cells.get(asset, (0, 0))) for asset in sorted(self._assets)}

    def balance(self, account: str, asset: str) -> BalanceView:
        """Available and locked units of one asset of the account (``balances`` for one asset)."""
        return BalanceView(asset, *self._account(account).balances.get(self._asset(asset), (0, 0)))

    def positions(self, account: str) -> list[PositionView]:
        """Positions in every symbol the account has traded."""
        return [
            position_view(seat.instrument, seat.position, self._markets[symbol].last_price)
            for symbol, seat in self._account(account).seats.items()
            if seat.position != [0, 0, 0]
        ]

    def fills(self, account: str, symbol: str | None = None, limit: int = 100) -> list[FillView]:
        """The account's most recent fills (maker and taker), oldest first."""
        acct = self._account(account)
        if symbol is not None:
            self._market(symbol)
        found = [
            (record, maker)
            for maker, history in ((True, acct.maker_fills), (False, acct.taker_fills))
            for record in history
            if symbol is None or record[T_INSTRUMENT].symbol == symbol
        ]
        found.sort(key=lambda pair: (pair[0][T_ID], not pair[1]))
        return [fill_view(record, maker) for record, maker in found[-limit:]] if limit > 0 else []

    # -- market data ---------------------------------------------------------------------------
    def recent_trades(self, symbol: str, limit: int = 100) -> list[Trade]:
        """The symbol's most recent trades, oldest first."""
        trades = self._market(symbol).trades
        return [trade_event(t) for t in list(trades)[-limit:]] if limit > 0 else []

    def depth(self, symbol: str, n: int = 20) -> DepthView:
        """Top ``n`` levels per side and the book sequence they correspond to."""
        book = self._market(symbol).book
        bids, asks = book.depth(n)
        return DepthView(symbol, tuple(bids), tuple(asks), book.sequence)

    def best_bid_ask(self, symbol: str) -> tuple[int | None, int | None]:
        """Best bid and ask in ticks (None for an empty side)."""
        book = self._market(symbol).book
        return book.best_bid(), book.best_ask()

    def is_trading(self, symbol: str) -> bool:
        """Whether the symbol takes new orders (not halted by a market condition)."""
        return not self._market(symbol).halted

    def last_price(self, symbol: str) -> int | None:
        """Price of the symbol's last trade in ticks (None before the first)."""
        return self._market(symbol).last_price

    def level_orders(self, symbol: str, price: int) -> list[tuple[int, int]]:
        """L3: ``[(order_id, lots)]`` resting at one price, in time priority."""
        return self._market(symbol).book.level_orders(price)

    def stats(self, symbol: str) -> MarketStats:
        """Trade count and volumes of the symbol since it was listed."""
        market = self._market(symbol)
        return MarketStats(symbol, market.trade_count, market.volume, market.quote_volume)
