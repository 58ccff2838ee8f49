"""Resilience scenarios, each paired with the fault kinds it observes (see ``Observations``):

- lost-ack (``lost_ack``): orders whose acknowledgement is lost are found by client order id, never
  placed twice.
- book-resync (``gap``): a gap in the BOOK stream's seq is repaired from a REST snapshot; the kept book
  equals the exchange's at the same sequence.
- backoff-retry (``throttled``, ``unavailable``): 429 and 503 answers are retried after Retry-After or an
  exponential backoff, and every request ends answered.
- reconnect (``disconnect``): after the server ends the WebSocket the client reconnects, resubscribes
  and streams on from fresh snapshots.
- duplicates (``duplicate``): a message that comes twice is handed on once.

With no fault of its kind injected a scenario still does its work, and sees nothing of that kind. When
the profile injects its kind, it carries on until it has seen one (within ``context.patience``).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from .._client import ExchangeClient
from ..book import LocalBook
from ..feed import Feed
from ..observations import Observations
from ._base import Figures, ScenarioContext, check
from ._market import Market, cancel_each, churn, follow_book, own_open_orders

__all__ = ["backoff_retry", "book_resync", "duplicates", "lost_ack", "reconnect"]

LOST_ACK_ORDERS = 20
BOOK_MESSAGES = 120  # BOOK messages on one run: more than 2 of every 50 (book-gaps) are then lost
COMPARED_LEVELS = 20
RETRY_BURST = 100  # more than exchange-overload lets through at once, even from a slow daemon
STREAM_MESSAGES = 30


def _waiting_for(kinds: tuple[str, ...], context: ScenarioContext, observations: Observations) -> list[str]:
    """The kinds the profile injects that this run has not seen yet."""
    return [kind for kind in kinds if kind in context.expected and not observations.count(kind)]


def _deadline(context: ScenarioContext) -> float:
    return time.monotonic() + context.patience


async def lost_ack(context: ScenarioContext, observations: Observations) -> Figures:
    """Place 20 resting bids with client order ids; each one rests exactly once."""
    symbol = context.symbol
    async with context.client(observations) as client:
        market = await Market.of(client, symbol)
        price = market.price(await market.reference_price(client) * Decimal("0.8"))
        prefix = f"lost-ack-{int(time.time() * 1000)}"
        placed = {}
        for index in range(LOST_ACK_ORDERS):
            client_order_id = f"{prefix}-{index}"
            order = await client.place_order(
                symbol, "BUY", "LIMIT", market.quantity(price), price, client_order_id=client_order_id
            )
            check(order["client_order_id"] == client_order_id, f"placed {client_order_id}, got {order}")
            placed[client_order_id] = order["order_id"]
        found = sorted(await own_open_orders(client, symbol, prefix))
        check(found == sorted(placed), f"resting orders {found} are not the {len(placed)} placed once each")
        for client_order_id, order_id in placed.items():
            looked_up = await client.get_order_by_client_id(client_order_id)
            check(looked_up["order_id"] == order_id, f"{client_order_id} names {looked_up['order_id']}")
        await cancel_each(client, placed.values())
    return {
        "orders": len(placed),
        "acks_lost": observations.count("lost_ack"),
        "requests_lost": observations.count("lost_request"),
    }


async def book_resync(context: ScenarioContext, observations: Observations) -> Figures:
    """Keep the book from BOOK while own orders churn it; after every gap, resynchronize from REST; end
    by comparing the kept book with ``GET /api/v1/orderbook`` at the same sequence."""
    symbol, book = context.symbol, LocalBook()
    resyncs = received = 0
    async with context.client(observations) as client:
        market = await Market.of(client, symbol)
        async with Feed(client, observations, [("BOOK", symbol)]) as feed:
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as tasks:
                churning = tasks.create_task(churn(client, market, stop, inside_spread=False))
                deadline = _deadline(context)
                while received < BOOK_MESSAGES or _waiting_for(("gap",), context, observations):
                    check(time.monotonic() < deadline, f"no gap in BOOK after {received} messages")
                    message = await feed.next(context.wait)
                    received += 1
                    resyncs += await follow_book(client, book, symbol, message)
                stop.set()
            check(resyncs or not observations.count("gap"), "a gap in BOOK went without a resync")
            sequence = await _compare_with_exchange(feed, client, book, symbol, context)
    return {
        "book_messages": received,
        "gaps": observations.count("gap"),
        "resyncs": resyncs,
        "orders_churned": churning.result(),
        "compared_at_sequence": sequence,
    }


async def _compare_with_exchange(
    feed: Feed, client: ExchangeClient, book: LocalBook, symbol: str, context: ScenarioContext
) -> int:
    """Read the exchange's book, follow the stream to its sequence, and compare the best levels."""
    deadline = _deadline(context)
    while True:
        check(time.monotonic() < deadline, "the kept book never met the exchange's at one sequence")
        snapshot = await client.get_orderbook(symbol, depth=COMPARED_LEVELS)
        target = snapshot["sequence"]
        while book.sequence is not None and book.sequence < target:
            check(time.monotonic() < deadline, f"the stream did not reach sequence {target}")
            message = await feed.next(context.wait)
            await follow_book(client, book, symbol, message)
        if book.sequence == target:
            break  # else a resync or the stream went past it: read the exchange again
    kept = book.top(COMPARED_LEVELS)
    exchange = {side: [(Decimal(p), Decimal(q)) for p, q in snapshot[side]] for side in ("bids", "asks")}
    check(
        kept == exchange, f"at sequence {target} the kept book {kept} differs from the exchange's {exchange}"
    )
    return target


async def backoff_retry(context: ScenarioContext, observations: Observations) -> Figures:
    """Bursts of 100 requests at once; every one is answered in the end, and no retry comes before the
    server's Retry-After.

    After the first burst it goes on until it has met the 429s and 503s the profile injects: with more
    bursts while a 429 is awaited (a rate limit shows only to a burst), else one request every 50 ms
    (a venue that is down comes back on its own schedule).
    """
    kinds = ("throttled", "unavailable")
    sent = 0

    async def burst() -> None:
        nonlocal sent
        async with asyncio.TaskGroup() as tasks:
            asked = [tasks.create_task(client.get_ticker(context.symbol)) for _ in range(RETRY_BURST)]
        answers = [task.result() for task in asked]
        check(all(a["symbol"] == context.symbol for a in answers), "a ticker answered for another symbol")
        sent += RETRY_BURST

    async with context.client(observations) as client:
        deadline = _deadline(context)
        await burst()
        while waiting := _waiting_for(kinds, context, observations):
            check(time.monotonic() < deadline, f"no {' nor '.join(waiting)} answer in {sent} requests")
            if "throttled" in waiting:
                await burst()
            else:
                await client.get_ticker(context.symbol)
                sent += 1
                await asyncio.sleep(0.05)
    return {
        "requests": sent,
        "retries": observations.retries,
        "rate_limited": observations.rate_limited,
        "throttled": observations.count("throttled"),
        "unavailable": observations.count("unavailable"),
        "waited_s": round(observations.waited_s, 3),
    }


async def reconnect(context: ScenarioContext, observations: Observations) -> Figures:
    """Stream TICKER and BOOK; after each disconnect, streaming resumes from fresh snapshots."""
    subscriptions = [("TICKER", context.symbol), ("BOOK", context.symbol)]
    book, received, after_snapshots = LocalBook(), 0, 0
    snapshots: set[str] = set()  # the streams that sent their snapshot on the current connection
    async with context.client(observations) as client:
        market = await Market.of(client, context.symbol)
        async with Feed(client, observations, subscriptions) as feed:
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(churn(client, market, stop, inside_spread=True))
                deadline = _deadline(context)
                connection = feed.connections
                # Until the connection in use has resubscribed both streams and moved on from them.
                while (
                    received < STREAM_MESSAGES
                    or _waiting_for(("disconnect",), context, observations)
                    or len(snapshots) < len(subscriptions)
                    or after_snapshots < 3
                ):
                    check(time.monotonic() < deadline, f"{received} messages, {feed.connections} connections")
                    message = await feed.next(context.wait)
                    received += 1
                    if feed.connections != connection:  # a new connection: its streams start over
                        connection, snapshots, after_snapshots = feed.connections, set(), 0
                    if message.get("snapshot"):
                        snapshots.add(message["channel"])
                    elif len(snapshots) == len(subscriptions):
                        after_snapshots += 1
                    if message["channel"] == "BOOK":
                        await follow_book(client, book, context.symbol, message)
                    check(not book.crossed(), f"the book crossed after a reconnect: {book.top(1)}")
                stop.set()
    check(
        feed.connections == observations.count("disconnect") + 1,
        f"{feed.connections} connections for {observations.count('disconnect')} disconnects",
    )
    return {
        "messages": received,
        "connections": feed.connections,
        "disconnects": observations.count("disconnect"),
    }


async def duplicates(context: ScenarioContext, observations: Observations) -> Figures:
    """Stream TICKER while own bids move it; a repeated message is handed on once, in seq order."""
    received = 0
    last_seq: tuple[int, int] | None = None  # (connection, seq) handed on last
    async with context.client(observations) as client:
        market = await Market.of(client, context.symbol)
        async with Feed(client, observations, [("TICKER", context.symbol)]) as feed:
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(churn(client, market, stop, inside_spread=True))
                deadline = _deadline(context)
                while received < STREAM_MESSAGES or _waiting_for(("duplicate",), context, observations):
                    check(time.monotonic() < deadline, f"no duplicate in {received} TICKER messages")
                    message = await feed.next(context.wait)
                    position = (feed.connections, message["seq"])
                    check(
                        last_seq is None or position > last_seq,
                        f"TICKER seq {message['seq']} handed on after {last_seq}",
                    )
                    last_seq, received = position, received + 1
                stop.set()
    return {
        "ticker_messages": received,
        "duplicates_dropped": observations.count("duplicate"),
    }
