"""An Exchange's state as plain data (``Exchange.state``) and the Exchange rebuilt from it (``restore``).

Plain data: dicts, lists, tuples, ints, strings, bools, Decimals and None, no engine object, so a
snapshot outlives changes to the engine's classes. Orders and trades are kept once each, in tables by
id, and referred to by id: an order as its record (``orders.py``) with its account and symbol in place
of its seat, a trade as its TRADE record (``events.py``) without the kind, with its symbol in place of
its instrument and its orders' ids in place of the orders. What can be derived is rebuilt rather than
kept: the assets, each seat's fee rates, the stop watch lists, the books' indexes (from the resting
orders in time priority).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .accounts import Account, FeeTier
from .events import T_ID, T_INSTRUMENT, T_MAKER, T_TAKER, TRADE
from .instruments import Instrument, instrument_fields
from .orders import ID, OPEN_STATUSES, PRICE, SEAT, SIDE, STATUS, WORKING, remaining

if TYPE_CHECKING:
    from .exchange import Exchange
    from .market import Market

__all__ = ["capture", "rebuild"]


def capture(exchange: Exchange) -> dict[str, Any]:
    """The state of ``exchange`` as plain data (between two commands: a command's matches in flight are
    not state)."""
    if any(market._matches for market in exchange._markets.values()):
        raise RuntimeError("the exchange's state cannot be taken in the middle of a command")
    trades: dict[int, tuple] = {}
    for market in exchange._markets.values():
        trades.update((trade[T_ID], trade) for trade in market.trades)
    for account in exchange._accounts.values():
        for history in (account.maker_fills, account.taker_fills):
            trades.update((trade[T_ID], trade) for trade in history)
    orders = dict(exchange._orders)
    for trade in trades.values():  # a trade may outlive its orders' history (or their account)
        for order in (trade[T_MAKER], trade[T_TAKER]):
            orders.setdefault(order[ID], order)
    return {
        "fee_account": exchange._fees.name,
        "next_order_id": exchange._next_id,
        "next_trade_id": exchange._trade_ids[0],
        "instruments": [instrument_fields(instrument) for instrument in exchange._instruments.values()],
        "accounts": [_account_state(account) for account in exchange._accounts.values()],
        "orders": [_order_row(orders[oid]) for oid in sorted(orders)],
        "trades": [_trade_row(trades[tid]) for tid in sorted(trades)],
        "markets": [_market_state(market) for market in exchange._markets.values()],
    }


def rebuild(exchange: Exchange, state: dict[str, Any]) -> None:
    """Make ``exchange`` hold ``state`` (from ``capture``) and nothing else."""
    exchange._empty(state["fee_account"])
    exchange._next_id = state["next_order_id"]
    exchange._trade_ids[0] = state["next_trade_id"]
    markets = {}
    for fields in state["instruments"]:
        instrument = Instrument(**fields)
        markets[instrument.symbol] = exchange._list(instrument)
    accounts = exchange._accounts
    for saved in state["accounts"]:
        account = accounts.setdefault(saved["name"], Account(saved["name"]))
        tier = saved["fee_tier"]
        account.set_fee_tier(None if tier is None else FeeTier(*tier), exchange._instruments)
        for asset, cell in saved["balances"].items():
            account.cell(asset)[:] = cell  # in place: the fee account's seats hold its cells already
        for symbol, position in saved["positions"]:
            account.seat(markets[symbol]).position = list(position)
    owners = {
        oid: accounts[saved["name"]]
        for saved in state["accounts"]
        for oid in (*saved["open"], *saved["closed"])
    }
    gone: dict[str, Account] = {}  # accounts closed since, whose orders a kept trade names

    def seat(oid: int, name: str, symbol: str) -> Any:
        account = owners.get(oid) or gone.setdefault(name, Account(name))
        return account.seat(markets[symbol])

    orders = {row[0]: [row[0], seat(*row[:3]), *row[3:]] for row in state["orders"]}
    trades = {
        row[0]: (
            TRADE,
            row[0],
            markets[row[1]].instrument,
            *row[2:6],
            orders[row[6]],
            orders[row[7]],
            *row[8:],
        )
        for row in state["trades"]
    }
    for saved in state["accounts"]:
        account = accounts[saved["name"]]
        account.open.update((oid, orders[oid]) for oid in saved["open"])
        account.closed.extend(orders[oid] for oid in saved["closed"])
        account.by_client.update((cid, orders[oid]) for cid, oid in saved["by_client"].items())
        account.maker_fills.extend(trades[tid] for tid in saved["maker_fills"])
        account.taker_fills.extend(trades[tid] for tid in saved["taker_fills"])
    exchange._orders.update((oid, orders[oid]) for oid in sorted(owners))
    for saved in state["markets"]:
        _restore_market(markets[saved["symbol"]], saved, orders, trades)
    for order in exchange._orders.values():  # the untriggered stops
        if not order[WORKING] and order[STATUS] in OPEN_STATUSES:
            order[SEAT].market.stops.add(order)


def _account_state(account: Account) -> dict[str, Any]:
    tier = account.fee_tier
    return {
        "name": account.name,
        "fee_tier": None if tier is None else (tier.name, tier.maker_fee, tier.taker_fee),
        "balances": {asset: tuple(cell) for asset, cell in account.balances.items()},
        "positions": [(symbol, tuple(seat.position)) for symbol, seat in account.seats.items()],
        "open": list(account.open),
        "closed": [order[ID] for order in account.closed],
        "by_client": {cid: order[ID] for cid, order in account.by_client.items()},
        "maker_fills": [trade[T_ID] for trade in account.maker_fills],
        "taker_fills": [trade[T_ID] for trade in account.taker_fills],
    }


def _market_state(market: Market) -> dict[str, Any]:
    book = market.book
    return {
        "symbol": market.instrument.symbol,
        "last_price": market.last_price,
        "halted": market.halted,
        "trade_count": market.trade_count,
        "volume": market.volume,
        "quote_volume": market.quote_volume,
        "sequence": book.sequence,
        "resting": [  # each level's orders in time priority; worst levels first, so each one restored is
            # appended to its side's price index
            oid
            for side in (0, 1)
            for price in reversed(book.side_prices(side))
            for oid, _ in book.level_orders(price)
        ],
        "trades": [trade[T_ID] for trade in market.trades],
    }


def _restore_market(market: Market, saved: dict[str, Any], orders: dict, trades: dict) -> None:
    market.last_price = saved["last_price"]
    market.halted = saved["halted"]
    market.trade_count = saved["trade_count"]
    market.volume = saved["volume"]
    market.quote_volume = saved["quote_volume"]
    market.trades.extend(trades[tid] for tid in saved["trades"])
    book = market.book
    for oid in saved["resting"]:
        order = orders[oid]
        book.add_limit(oid, order[SIDE], order[PRICE], remaining(order))
    book.sequence = saved["sequence"]


def _order_row(order: list) -> tuple:
    seat = order[SEAT]
    return (order[ID], seat.account.name, seat.instrument.symbol, *order[SEAT + 1 :])


def _trade_row(trade: tuple) -> tuple:
    return (
        trade[T_ID],
        trade[T_INSTRUMENT].symbol,
        *trade[T_INSTRUMENT + 1 : T_MAKER],
        trade[T_MAKER][ID],
        trade[T_TAKER][ID],
        *trade[T_TAKER + 1 :],
    )
