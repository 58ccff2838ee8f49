"""The format of the persistence folder's files, and reading the snapshots of the format before.

Every journal segment and snapshot header says its ``format``. Format 2 snapshots hold the engine as
``Exchange.state()``, plain data; format 1 snapshots held the engine's own objects, pickled as they
were. Journal records are alike in both. This version writes format 2 and reads both: a format-1
snapshot's engine is turned into the plain state as it is read (``format1_state``), after which a
start writes its snapshot in format 2. A file of a format this version does not know is refused.
"""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

from .. import __version__
from ..engine.instruments import INSTRUMENT_FIELDS
from .directory import PersistenceError

__all__ = ["FORMAT", "READABLE", "FormatError", "check_format", "format1_state"]

FORMAT = 2
"""The format this version writes."""
READABLE = (1, 2)
"""The formats this version reads."""


class FormatError(PersistenceError):
    """A file of a format this version cannot read."""


def check_format(header: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Refuse a file whose header names a format this version does not read."""
    found = header.get("format")
    if found not in READABLE:
        written = header.get("version")
        by = f" by exchangesim {written}" if isinstance(written, str) else ""
        raise FormatError(
            f"{path} was written{by} in format {found!r}; this exchangesim ({__version__}) reads formats"
            f" {', '.join(map(str, READABLE))} and writes {FORMAT}: start the folder with the version that"
            " wrote it (or a newer one), or move it away to start afresh"
        )


def format1_state(payload: bytes) -> dict[str, Any]:
    """The state of a format-1 snapshot, its engine as ``Exchange.state()`` gives it."""
    state = _Format1Unpickler(io.BytesIO(payload)).load()
    state["exchange"] = _engine_state(state["exchange"])
    return state


# -- format 1 -------------------------------------------------------------------------------------------
# The engine as format 1 pickled it: the Exchange's fields by name; each Market as its own fields and its
# book's (a pair of dicts, rebuilt by two functions of the snapshots module); Account, Seat, StopBook,
# Instrument and FeeTier as their attributes. They load into stand-ins holding those attributes, so
# they read the same whatever the engine's classes have become since.
class _Held:
    """A format-1 engine object: its attributes only."""


class _Market(_Held):
    def __init__(self, instrument: _Held) -> None:
        self.instrument = instrument


def _set_market_state(market: _Market, state: tuple[dict[str, Any], dict[str, Any]]) -> None:
    market.own, market.book = state


_STAND_INS = {
    ("exchangesim.persistence.snapshots", "_new_market"): _Market,
    ("exchangesim.persistence.snapshots", "_set_market_state"): _set_market_state,
    **{
        (module, name): type(name, (_Held,), {})
        for module, names in (
            ("exchangesim.engine.accounts", ("Account", "Seat", "FeeTier")),
            ("exchangesim.engine.instruments", ("Instrument",)),
            ("exchangesim.engine.stops", ("StopBook",)),
        )
        for name in names
    },
}


class _Format1Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return _STAND_INS.get((module, name)) or super().find_class(module, name)


# The format-1 reader below copies engine/state.py's format-2 output on purpose: it reads the stand-ins
# above, and must not follow later changes to the engine's classes.
# format-1 order records: id, seat, then the fields the plain state keeps as they are; trade records:
# kind, id, instrument, price, quantity, quote, taker side, maker, taker, then fees, filled and ts
_SEAT, _MAKER, _TAKER = 1, 7, 8


def _engine_state(engine: dict[str, Any]) -> dict[str, Any]:
    markets, accounts = engine["_markets"], engine["_accounts"]
    trades: dict[int, tuple] = {}
    for market in markets.values():
        trades.update((trade[1], trade) for trade in market.own["trades"])
    for account in accounts.values():
        for history in (account.maker_fills, account.taker_fills):
            trades.update((trade[1], trade) for trade in history)
    orders = dict(engine["_orders"])
    for trade in trades.values():
        for order in (trade[_MAKER], trade[_TAKER]):
            orders.setdefault(order[0], order)
    return {
        "fee_account": engine["_fees"].name,
        "next_order_id": engine["_next_id"],
        "next_trade_id": engine["_trade_ids"][0],
        "instruments": [
            {name: value for name, value in vars(instrument).items() if name in INSTRUMENT_FIELDS}
            for instrument in engine["_instruments"].values()
        ],
        "accounts": [_account_state(account) for account in accounts.values()],
        "orders": [_order_row(orders[oid]) for oid in sorted(orders)],
        "trades": [_trade_row(trades[tid]) for tid in sorted(trades)],
        "markets": [_market_state(market) for market in markets.values()],
    }


def _account_state(account: Any) -> dict[str, Any]:
    tier = account.fee_tier
    return {
        "name": account.name,
        "fee_tier": None if tier is None else (tier.name, tier.maker_fee, tier.taker_fee),
        "balances": {asset: tuple(cell) for asset, cell in account.balances.items()},
        "positions": [(symbol, tuple(seat.position)) for symbol, seat in account.seats.items()],
        "open": list(account.open),
        "closed": [order[0] for order in account.closed],
        "by_client": {cid: order[0] for cid, order in account.by_client.items()},
        "maker_fills": [trade[1] for trade in account.maker_fills],
        "taker_fills": [trade[1] for trade in account.taker_fills],
    }


def _market_state(market: _Market) -> dict[str, Any]:
    own, book = market.own, market.book
    levels = book["_levels"]
    return {
        "symbol": market.instrument.symbol,
        "last_price": own["last_price"],
        "halted": own["halted"],
        "trade_count": own["trade_count"],
        "volume": own["volume"],
        "quote_volume": own["quote_volume"],
        "sequence": book["sequence"],
        "resting": [  # bids ascending, then asks descending (kept negated), each level in time priority
            *(oid for price in book["_bids"] for oid in levels[price][1]),
            *(oid for negated in book["_asks"] for oid in levels[-negated][1]),
        ],
        "trades": [trade[1] for trade in own["trades"]],
    }


def _order_row(order: list) -> tuple:
    seat = order[_SEAT]
    return (order[0], seat.account.name, seat.instrument.symbol, *order[_SEAT + 1 :])


def _trade_row(trade: tuple) -> tuple:
    return (
        trade[1],
        trade[2].symbol,
        *trade[3:_MAKER],
        trade[_MAKER][0],
        trade[_TAKER][0],
        *trade[_TAKER + 1 :],
    )
