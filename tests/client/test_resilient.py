"""``ResilientClient`` against a scripted fake server: retries after Retry-After or a backoff, and orders
placed exactly once whatever happens to their answer, each fault noted in the ``Observations``."""

import pytest
from aiohttp import web

from exchangesim.client import ServerError
from exchangesim.client.observations import Observations
from exchangesim.client.resilient import ResilientClient

from ..asyncio_runner import asyncio_test
from .fake_exchange import FakeExchange, error_reply, reply

TICKER = {"symbol": "BTC/USD", "last_price": "50000.00"}


def answers(*handlers):
    """A handler answering with each of ``handlers`` in turn, the last one for ever after."""
    queue = list(handlers)

    async def handle(request: web.Request) -> web.StreamResponse:
        handler = queue.pop(0) if len(queue) > 1 else queue[0]
        return await handler(request)

    return handle


def client(fake, observations, **options):
    return ResilientClient(fake.base_url, observations=observations, base_delay=0.001, **options)


@asyncio_test
async def test_a_429_and_a_503_are_retried_and_noted_by_route():
    observations = Observations()
    async with FakeExchange() as fake, client(fake, observations) as resilient:
        fake.route(
            "GET",
            "/api/v1/ticker",
            answers(
                error_reply(429, "THROTTLED", headers={"Retry-After": "0"}),
                error_reply(503, "SERVICE_UNAVAILABLE"),
                reply(TICKER),
            ),
        )
        assert await resilient.get_ticker("BTC/USD") == TICKER
    assert len(fake.received) == 3
    assert observations.summary() == {"throttled": 1, "unavailable": 1}
    assert observations.seen["throttled"] == {"GET /api/v1/ticker": 1}
    assert observations.retries == 2


@asyncio_test
async def test_the_wait_honors_retry_after_even_when_the_backoff_is_shorter():
    observations, waits = Observations(), []

    async def sleep(seconds):
        waits.append(seconds)

    async with FakeExchange() as fake, client(fake, observations, sleep=sleep) as resilient:
        fake.route(
            "GET",
            "/api/v1/ticker",
            answers(error_reply(503, "SERVICE_UNAVAILABLE", headers={"Retry-After": "7"}), reply(TICKER)),
        )
        await resilient.get_ticker("BTC/USD")
    assert waits == [7.0] and observations.waited_s == 7.0


@asyncio_test
async def test_after_the_last_attempt_the_refusal_is_raised_and_a_500_is_not_retried():
    observations = Observations()
    async with FakeExchange() as fake, client(fake, observations, max_attempts=3) as resilient:
        fake.route("GET", "/api/v1/ticker", error_reply(503, "SERVICE_UNAVAILABLE"))
        fake.route("GET", "/api/v1/trades", error_reply(500, "INTERNAL"))
        with pytest.raises(ServerError):
            await resilient.get_ticker("BTC/USD")
        with pytest.raises(ServerError):
            await resilient.get_trades("BTC/USD")
    assert [r.target.split("?")[0] for r in fake.received] == ["/api/v1/ticker"] * 3 + ["/api/v1/trades"]
    assert observations.count("unavailable") == 3


@asyncio_test
async def test_a_lost_ack_is_reconciled_by_client_order_id_without_placing_twice():
    observations = Observations()
    order = {"order_id": "7", "client_order_id": "bot-1", "status": "NEW"}
    async with FakeExchange() as fake, client(fake, observations) as resilient:
        fake.route("POST", "/api/v1/orders", fake.abort)
        fake.route("GET", "/api/v1/orders/by-client-id/bot-1", reply(order))
        placed = await resilient.place_order("BTC/USD", "BUY", "LIMIT", "1", "100", client_order_id="bot-1")
    assert placed == order
    assert [r.method for r in fake.received] == ["POST", "GET"]
    assert observations.seen["lost_ack"] == {"bot-1": 1}


@asyncio_test
async def test_a_request_that_never_reached_the_engine_is_sent_again_with_the_same_id():
    observations = Observations()
    order = {"order_id": "8", "client_order_id": "bot-2", "status": "NEW"}
    async with FakeExchange() as fake, client(fake, observations) as resilient:
        fake.route("POST", "/api/v1/orders", answers(fake.abort, reply(order)))
        fake.route("GET", "/api/v1/orders/by-client-id/bot-2", error_reply(404, "UNKNOWN_ORDER"))
        placed = await resilient.place_order("BTC/USD", "BUY", "LIMIT", "1", "100", client_order_id="bot-2")
    assert placed == order
    posts = [r.json()["client_order_id"] for r in fake.received if r.method == "POST"]
    assert posts == ["bot-2", "bot-2"]
    assert observations.summary() == {"lost_request": 1}


@asyncio_test
async def test_a_duplicate_id_after_a_retried_503_means_the_first_attempt_got_through():
    observations = Observations()
    order = {"order_id": "9", "client_order_id": "bot-3", "status": "NEW"}
    async with FakeExchange() as fake, client(fake, observations) as resilient:
        fake.route(
            "POST",
            "/api/v1/orders",
            answers(
                error_reply(503, "SERVICE_UNAVAILABLE"),
                error_reply(409, "DUPLICATE_CLIENT_ORDER_ID", order_id="9"),
            ),
        )
        fake.route("GET", "/api/v1/orders/by-client-id/bot-3", reply(order))
        placed = await resilient.place_order("BTC/USD", "BUY", "LIMIT", "1", "100", client_order_id="bot-3")
    assert placed == order
    assert observations.summary() == {"unavailable": 1}
