"""The seed's four scenarios: basic trading, market data streaming, rapid order placement, REST + WS.

They meet whatever faults the active profile injects through the same resilient client (retries,
reconciliation by client order id, reconnects, seq checks) and must still do their work."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from .._client import ExchangeClient
from ..book import LocalBook
from ..feed import Feed
from ..observations import Observations
from ._base import Figures, ScenarioContext, check
from ._market import Market, cancel_each, follow_book, own_open_orders

__all__ = ["basic_trading", "market_data", "rapid_orders", "rest_and_ws"]

RAPID_CONCURRENCY = 10


async def basic_trading(context: ScenarioContext, observations: Observations) -> Figures:
    """A resting bid is listed and locks its quote, is canceled, and a market buy fills."""
    symbol = context.symbol
    async with context.client(observations) as client:
        market = await Market.of(client, symbol)
        base, quote = symbol.split("/")
        price = market.price(await market.reference_price(client) * Decimal("0.9"))
        quantity = market.quantity(price)
        before = (await client.get_balance())["balances"].get(quote, {"locked": "0"})
        order = await client.place_order(symbol, "BUY", "LIMIT", quantity, price)
        check(order["status"] == "NEW", f"a bid below the market should rest (NEW), not {order['status']}")
        listed = [found["order_id"] for found in (await client.get_open_orders(symbol))["orders"]]
        check(order["order_id"] in listed, f"order {order['order_id']} is not among the open orders")
        after = (await client.get_balance())["balances"][quote]
        locked = Decimal(after["locked"]) - Decimal(before["locked"])
        check(locked == price * quantity, f"the bid should lock {price * quantity} {quote}, not {locked}")
        canceled = await client.cancel_order(order["order_id"])
        check(canceled["status"] == "CANCELED", f"cancel answered {canceled['status']}")
        bought = await client.place_order(symbol, "BUY", "MARKET", quantity)
        check(
            bought["status"] == "FILLED",
            f"a market buy of {quantity} {base} should fill, it ended {bought['status']} (no asks?)",
        )
    return {
        "limit_order": order["order_id"],
        "locked": f"{locked} {quote}",
        "market_fill_price": bought["average_price"],
    }


async def market_data(context: ScenarioContext, observations: Observations) -> Figures:
    """TICKER, TRADES and BOOK stream; the book kept from them stays uncrossed."""
    want = {"TICKER": 3, "TRADES": 2, "BOOK": 20}
    got = dict.fromkeys(want, 0)
    book, resyncs = LocalBook(), 0
    subscriptions = [(channel, context.symbol) for channel in want]
    started = time.monotonic()
    async with context.client(observations) as client, Feed(client, observations, subscriptions) as feed:
        deadline = started + context.patience
        while any(got[channel] < count for channel, count in want.items()):
            check(time.monotonic() < deadline, f"in {context.patience:g} s the streams sent only {got}")
            message = await feed.next(context.wait)
            got[message["channel"]] += 1
            if message["channel"] == "BOOK":
                resyncs += await follow_book(client, book, context.symbol, message)
            check(not book.crossed(), f"the book kept from BOOK crossed: {book.top(1)}")
    elapsed = time.monotonic() - started
    return {
        **{f"{channel.lower()}_messages": count for channel, count in got.items()},
        "messages_per_s": round(sum(got.values()) / elapsed, 1),
        "book_resyncs": resyncs,
        "best_bid": str(book.best_bid()),
        "best_ask": str(book.best_ask()),
    }


async def rapid_orders(context: ScenarioContext, observations: Observations) -> Figures:
    """Place ``context.orders`` resting bids from 10 tasks at once; each one rests once; cancel them all."""
    symbol, count = context.symbol, context.orders
    async with context.client(observations) as client:
        market = await Market.of(client, symbol)
        price = market.price(await market.reference_price(client) * Decimal("0.5"))
        quantity = market.quantity(price)
        prefix = f"rapid-{int(time.time() * 1000)}"
        latencies: list[float] = []
        order_ids: list[str] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(count):
            queue.put_nowait(index)

        async def place() -> None:
            while not queue.empty():
                client_order_id = f"{prefix}-{queue.get_nowait()}"
                sent = time.perf_counter()
                order = await client.place_order(
                    symbol, "BUY", "LIMIT", quantity, price, client_order_id=client_order_id
                )
                latencies.append((time.perf_counter() - sent) * 1000)
                order_ids.append(order["order_id"])

        started = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:
            for _ in range(min(RAPID_CONCURRENCY, count)):
                tasks.create_task(place())
        elapsed = time.perf_counter() - started
        resting = await own_open_orders(client, symbol, prefix)
        check(len(resting) == count, f"{count} orders placed, {len(resting)} rest on the book")
        await cancel_each(client, order_ids)
        left = await own_open_orders(client, symbol, prefix)
        check(not left, f"{len(left)} orders still rest after canceling each")
    percentiles = statistics.quantiles(latencies, n=100, method="inclusive") if count > 1 else latencies * 99
    return {
        "orders": count,
        "orders_per_s": round(count / elapsed, 1),
        "latency_p50_ms": round(percentiles[49], 2),
        "latency_p95_ms": round(percentiles[94], 2),
        "latency_p99_ms": round(percentiles[98], 2),
    }


async def rest_and_ws(context: ScenarioContext, observations: Observations) -> Figures:
    """An order placed over REST shows on the BOOK stream at its price, and leaves it when canceled."""
    symbol = context.symbol
    async with context.client(observations) as client:
        market = await Market.of(client, symbol)
        # Below the market maker's levels and off their grid: a level of its own.
        price = market.price(await market.reference_price(client) * Decimal("0.95")) + market.tick * 7
        quantity = market.quantity(price)
        book = LocalBook()
        async with Feed(client, observations, [("BOOK", symbol)]) as feed:
            await _until_book(feed, client, book, symbol, lambda: book.sequence is not None, context)
            resting = book.bids.get(price, Decimal(0))
            sent = time.perf_counter()
            order = await client.place_order(symbol, "BUY", "LIMIT", quantity, price)
            shown = resting + quantity
            await _until_book(feed, client, book, symbol, lambda: book.bids.get(price) == shown, context)
            shown_ms = (time.perf_counter() - sent) * 1000
            sent = time.perf_counter()
            await client.cancel_order(order["order_id"])
            await _until_book(
                feed, client, book, symbol, lambda: book.bids.get(price, Decimal(0)) == resting, context
            )
            gone_ms = (time.perf_counter() - sent) * 1000
    return {
        "order": order["order_id"],
        "rest_to_ws_ms": round(shown_ms, 2),
        "cancel_to_ws_ms": round(gone_ms, 2),
    }


async def _until_book(
    feed: Feed,
    client: ExchangeClient,
    book: LocalBook,
    symbol: str,
    condition: Callable[[], bool],
    context: ScenarioContext,
) -> None:
    """Apply BOOK messages (resynchronizing after a gap) until ``condition()`` holds."""
    deadline = time.monotonic() + context.patience
    while not condition():
        check(time.monotonic() < deadline, f"the BOOK stream did not show it within {context.patience:g} s")
        await follow_book(client, book, symbol, await feed.next(context.wait))
