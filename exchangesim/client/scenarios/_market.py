"""The market as scenarios see it: the instrument's steps, valid prices and sizes, and own orders that
keep a stream busy (``churn``), so a scenario need not wait for the agents to move."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

from .._client import ExchangeClient
from ..book import LocalBook
from ..errors import Conflict, NotFound
from ._base import ScenarioCheckError

__all__ = ["Market", "cancel_each", "churn", "follow_book", "own_open_orders"]

CANCEL_CONCURRENCY = 10


@attrs.frozen
class Market:
    """One instrument's steps and limits, from ``GET /api/v1/symbols``."""

    symbol: str
    tick: Decimal
    lot: Decimal
    min_quantity: Decimal
    min_notional: Decimal

    @classmethod
    async def of(cls, client: ExchangeClient, symbol: str) -> Market:
        for found in (await client.get_symbols())["symbols"]:
            if found["symbol"] == symbol:
                return cls(
                    symbol,
                    Decimal(found["tick_size"]),
                    Decimal(found["lot_size"]),
                    Decimal(found["min_qty"]),
                    Decimal(found["min_notional"]),
                )
        raise ScenarioCheckError(f"the exchange does not list {symbol}")

    def price(self, value: Decimal) -> Decimal:
        """``value`` rounded down to a multiple of the tick size."""
        return (value / self.tick).to_integral_value(ROUND_FLOOR) * self.tick

    def quantity(self, price: Decimal) -> Decimal:
        """The smallest valid quantity worth at least the minimum notional at ``price``."""
        lots = (self.min_notional / price / self.lot).to_integral_value(ROUND_CEILING)
        return max(self.min_quantity, lots * self.lot)

    async def reference_price(self, client: ExchangeClient) -> Decimal:
        """The middle of the best bid and ask, else the last price."""
        ticker = await client.get_ticker(self.symbol)
        bid, ask, last = ticker.get("best_bid"), ticker.get("best_ask"), ticker.get("last_price")
        if bid is not None and ask is not None:
            return (Decimal(bid) + Decimal(ask)) / 2
        if last is not None:
            return Decimal(last)
        raise ScenarioCheckError(f"{self.symbol} has no bid, ask nor trade yet (are the agents on?)")


async def churn(client: ExchangeClient, market: Market, stop: asyncio.Event, *, inside_spread: bool) -> int:
    """Place and cancel one small bid after another until ``stop`` is set; returns how many.

    Far below the market (90% of the reference price and down) each bid is a BOOK level of its own;
    ``inside_spread``, each is the new best bid, so TICKER moves too.
    """
    far = market.price(await market.reference_price(client) * Decimal("0.9"))
    placed = 0
    while not stop.is_set():
        price = far - market.tick * (placed % 50)
        if inside_spread:
            ticker = await client.get_ticker(market.symbol)
            bid, ask = ticker.get("best_bid"), ticker.get("best_ask")
            if bid is not None and ask is not None and Decimal(bid) + market.tick < Decimal(ask):
                price = Decimal(bid) + market.tick
        order = await client.place_order(market.symbol, "BUY", "LIMIT", market.quantity(price), price)
        placed += 1
        try:
            await client.cancel_order(order["order_id"])
        except (Conflict, NotFound):
            pass  # filled by the market meanwhile
    return placed


async def follow_book(client: ExchangeClient, book: LocalBook, symbol: str, message: dict[str, Any]) -> bool:
    """Apply a BOOK message to ``book``; when it cannot follow (a gap), reload the book from
    ``GET /api/v1/orderbook`` (stream messages up to its sequence are then skipped) and return True."""
    if book.apply(message):
        return False
    snapshot = await client.get_orderbook(symbol, depth=1000)
    book.load(snapshot["bids"], snapshot["asks"], snapshot["sequence"])
    return True


async def own_open_orders(client: ExchangeClient, symbol: str, prefix: str) -> list[str]:
    """The client order ids of the account's open orders on ``symbol`` that start with ``prefix``."""
    orders = (await client.get_open_orders(symbol))["orders"]
    return [
        order["client_order_id"] for order in orders if (order["client_order_id"] or "").startswith(prefix)
    ]


async def cancel_each(client: ExchangeClient, order_ids: Iterable[str]) -> None:
    """Cancel these orders (and no other of the account), a few at a time."""
    pending = list(order_ids)

    async def cancel() -> None:
        while pending:
            await client.cancel_order(pending.pop())

    async with asyncio.TaskGroup() as tasks:
        for _ in range(min(CANCEL_CONCURRENCY, len(pending))):
            tasks.create_task(cancel())
