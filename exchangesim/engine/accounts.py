"""Accounts: per-asset available/locked cells, fee tiers, open and recently closed orders, fills."""

from __future__ import annotations

import re
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .errors import EngineError, ErrorCode
from .instruments import Instrument, fee_rate
from .orders import CLIENT_ID, ID

if TYPE_CHECKING:
    from .market import Market

#: Closed orders kept per account for queries and client-order-id uniqueness (DESIGN §10.21).
CLOSED_KEPT = 10_000
#: Fills kept per account for the fills query.
FILLS_KEPT = 1_000
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


@attrs.frozen
class FeeTier:
    """Maker/taker fee rates that override every instrument's rates for the accounts on this tier."""

    name: str
    maker_fee: Decimal
    taker_fee: Decimal
    maker_rate: int = attrs.field(init=False)
    taker_rate: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "maker_rate", fee_rate(self.maker_fee, "maker_fee"))
        object.__setattr__(self, "taker_rate", fee_rate(self.taker_fee, "taker_fee"))


class Seat:
    """An account's place at one symbol: its market, two balance cells, position and fee rates."""

    __slots__ = ("account", "base", "instrument", "maker_rate", "market", "position", "quote", "taker_rate")

    def __init__(self, account: Account, market: Market) -> None:
        instrument = market.instrument
        self.account = account
        self.market = market
        self.instrument = instrument
        self.base = account.cell(instrument.base)
        self.quote = account.cell(instrument.quote)
        self.position = [0, 0, 0]  # see positions.py
        tier = account.fee_tier
        self.maker_rate = instrument.maker_rate if tier is None else tier.maker_rate
        self.taker_rate = instrument.taker_rate if tier is None else tier.taker_rate


class Account:
    """One trading account. Balance cells are ``[available, locked]`` lists in asset units."""

    __slots__ = (
        "balances",
        "by_client",
        "closed",
        "fee_tier",
        "maker_fills",
        "name",
        "open",
        "seats",
        "taker_fills",
    )

    def __init__(self, name: str, fee_tier: FeeTier | None = None) -> None:
        if not (type(name) is str and _NAME.match(name)):
            raise EngineError(
                ErrorCode.INVALID_NAME,
                f"account name must be 1-64 of [A-Za-z0-9_.-], got {name!r}",
                "account",
            )
        self.name = name
        self.balances: dict[str, list[int]] = {}
        self.fee_tier = fee_tier
        self.open: dict[int, list] = {}  # order id -> record, open orders (incl. untriggered stops)
        self.closed: deque[list] = deque()  # closed records, oldest first, trimmed to CLOSED_KEPT
        self.by_client: dict[str, list] = {}  # client order id -> record, open and kept closed ones
        self.seats: dict[str, Seat] = {}
        # trade records (events.TRADE tuples) this account took part in, by role; fills() merges them
        self.maker_fills: deque[tuple] = deque(maxlen=FILLS_KEPT)
        self.taker_fills: deque[tuple] = deque(maxlen=FILLS_KEPT)

    def cell(self, asset: str) -> list[int]:
        """The ``[available, locked]`` cell of an asset (created empty on first use)."""
        cell = self.balances.get(asset)
        if cell is None:
            cell = self.balances[asset] = [0, 0]
        return cell

    def seat(self, market: Market) -> Seat:
        """This account's seat at a market (created on first use)."""
        seat = self.seats.get(market.instrument.symbol)
        if seat is None:
            seat = self.seats[market.instrument.symbol] = Seat(self, market)
        return seat

    def set_fee_tier(self, tier: FeeTier | None, instruments: dict[str, Instrument]) -> None:
        """Switch tier; fills from now on (resting orders included) use the new rates."""
        self.fee_tier = tier
        for symbol, seat in self.seats.items():
            instrument = instruments[symbol]
            seat.maker_rate = instrument.maker_rate if tier is None else tier.maker_rate
            seat.taker_rate = instrument.taker_rate if tier is None else tier.taker_rate

    def retire(self, order: list, orders: dict[int, list]) -> None:
        """Move a closed order from the open set to the kept history (the newest CLOSED_KEPT of them)."""
        del self.open[order[ID]]
        closed = self.closed
        closed.append(order)
        if len(closed) > CLOSED_KEPT:
            old = closed.popleft()
            del orders[old[ID]]
            client_id = old[CLIENT_ID]
            if client_id is not None and self.by_client.get(client_id) is old:
                del self.by_client[client_id]
