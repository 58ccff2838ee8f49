"""Immutable query results: orders, balances, positions, fills and depth, in engine units.

Prices are ticks, quantities lots and asset amounts units of 10**-18 (see units.py); adapters render
them with ``Instrument.format_price`` / ``format_quantity`` and ``units.format_amount``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import attrs


@attrs.frozen
class OrderView:
    """An order as of one moment."""

    order_id: int
    client_order_id: str | None
    account: str
    symbol: str
    side: str
    type: str
    time_in_force: str | None
    price: int | None  # ticks; None for market orders
    quantity: int | None  # lots; None for a market buy by quote amount
    quote_quantity: int | None  # quote units of a market buy by quote amount
    stop_price: int | None
    stp: str
    status: str
    filled: int  # lots
    cum_quote: int  # quote units traded
    fee: int  # units of fee_asset
    fee_asset: str
    is_working: bool  # False while a stop order waits for its trigger
    created: int  # ts, epoch ms
    updated: int
    reason: str | None  # why it expired (orders.ExpireReason)

    @property
    def remaining(self) -> int | None:
        """Lots still to fill (None for a market buy by quote amount)."""
        return None if self.quantity is None else self.quantity - self.filled


class OrderProgress(NamedTuple):
    """How far an order has come: what a caller asking every tick needs of ``OrderView`` (a tuple, since
    the market's agents ask for each of their quotes at every tick they requote)."""

    price: int | None
    quantity: int | None
    filled: int
    status: str
    is_working: bool


@attrs.frozen
class BalanceView:
    """One asset of one account."""

    asset: str
    available: int
    locked: int

    @property
    def total(self) -> int:
        return self.available + self.locked


@attrs.frozen
class PositionView:
    """Net traded position in one symbol (gross of fees), with PnL in quote units."""

    symbol: str
    quantity: int  # lots, negative when net short
    average_price: Decimal  # average entry price (not ticks: it is generally off the grid)
    realized_pnl: int
    unrealized_pnl: int  # marked to the last trade price


@attrs.frozen
class FillView:
    """One account's side of one trade."""

    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: int
    quantity: int
    quote: int  # quote units traded
    fee: int
    fee_asset: str
    liquidity: str  # "MAKER" or "TAKER"
    ts: int


@attrs.frozen
class DepthView:
    """Top of the book: ``[(price, lots)]`` best first, and the book's sequence at that moment."""

    symbol: str
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]
    sequence: int


@attrs.frozen
class MarketStats:
    """Trading totals of one symbol since it was listed."""

    symbol: str
    trades: int  # maker fills
    volume: int  # lots
    quote_volume: int  # quote units
