"""``Feed`` against a scripted fake server: seq gaps and duplicates noted (duplicates not handed on), and
a connection the server ends is reopened and resubscribed."""

from exchangesim.client import ExchangeClient
from exchangesim.client.feed import Feed
from exchangesim.client.observations import Observations

from ..asyncio_runner import asyncio_test
from .fake_exchange import FakeExchange

STREAM = ("TICKER", "BTC/USD")


def tick(seq, snapshot=False):
    message = {"type": "MARKET_DATA", "channel": "TICKER", "symbol": "BTC/USD", "seq": seq, "ts": 1}
    return {**message, "snapshot": True} if snapshot else message


async def accept_subscription(ws):
    op = await ws.receive_json()
    await ws.send_json({"type": "SUBSCRIBED", "channel": op["channel"], "symbol": op["symbol"]})


@asyncio_test
async def test_gaps_and_duplicates_are_noted_and_a_duplicate_is_not_handed_on():
    async def script(ws):
        await accept_subscription(ws)
        for message in (tick(1, snapshot=True), tick(2), tick(2), tick(5), tick(4), tick(6)):
            await ws.send_json(message)

    observations = Observations()
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        async with Feed(client, observations, [STREAM]) as feed:
            handed_on = [(await feed.next(5))["seq"] for _ in range(5)]
    assert handed_on == [1, 2, 5, 4, 6]  # 4 came late: not lost after all
    assert observations.seen["gap"] == {("TICKER", "BTC/USD", 3): 1}
    assert observations.seen["duplicate"] == {("TICKER", "BTC/USD", 2): 1}
    assert observations.where("TICKER", "BTC/USD", 3) == "read"
    assert observations.where("TICKER", "BTC/USD", 6) == "maybe"
    assert observations.where("TICKER", "BTC/USD", 7) is None


@asyncio_test
async def test_a_connection_the_server_ends_is_reopened_and_resubscribed():
    connections = []

    async def script(ws):
        connections.append(ws)
        await accept_subscription(ws)
        if len(connections) == 1:
            await ws.send_json(tick(1, snapshot=True))
            await ws.send_json(tick(2))
            await ws.close()
        else:
            await ws.send_json(tick(7, snapshot=True))
            await ws.send_json(tick(8))

    observations = Observations()
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        async with Feed(client, observations, [STREAM]) as feed:
            handed_on = [await feed.next(5) for _ in range(4)]
    assert [(m["seq"], m.get("snapshot", False)) for m in handed_on] == [
        (1, True),
        (2, False),
        (7, True),
        (8, False),
    ]
    assert (feed.connections, observations.count("disconnect")) == (2, 1)
    assert observations.summary() == {"disconnect": 1}  # the jump from 2 to 7 is a new connection, no gap
    assert observations.where("TICKER", "BTC/USD", 5) is None  # between the connections: in no span


@asyncio_test
async def test_a_connection_ended_before_its_subscription_was_answered_counts_as_one():
    connections = []

    async def script(ws):
        connections.append(ws)
        if len(connections) == 1:
            await ws.receive_json()
            await ws.close()  # the subscribe is never answered
        else:
            await accept_subscription(ws)
            await ws.send_json(tick(1, snapshot=True))

    observations = Observations()
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        async with Feed(client, observations, [STREAM], retry_delay=0.001) as feed:
            assert (await feed.next(5))["seq"] == 1
    assert (feed.connections, observations.count("disconnect")) == (2, 1)
