"""``ExchangeClient`` over the WebSocket, against a scripted fake server on loopback."""

import asyncio
from decimal import Decimal

import pytest
from aiohttp import WSMsgType

from exchangesim.client import (
    MALFORMED,
    AuthenticationError,
    ExchangeClient,
    InvalidRequest,
    RequestTimeout,
    ServerError,
    WebSocketClosed,
)
from exchangesim.signing import signature_matches

from ..asyncio_runner import asyncio_test
from .fake_exchange import FakeExchange


def tick(price, seq, symbol="BTC/USD"):
    return {
        "type": "MARKET_DATA",
        "channel": "TICKER",
        "symbol": symbol,
        "seq": seq,
        "ts": 1,
        "last_price": price,
    }


def subscribed(channel, symbol="BTC/USD"):
    return {"type": "SUBSCRIBED", "channel": channel, "symbol": symbol}


@asyncio_test
async def test_the_seed_flow_subscribe_then_ticker_messages():
    ops = []

    async def script(ws):
        ops.append(await ws.receive_json())
        await ws.send_json(tick("50000.00", 1))  # data may come before the ack: it must not be lost
        await ws.send_json(subscribed("TICKER"))
        await ws.send_json(tick("50001.00", 2))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        ack = await client.subscribe("TICKER", "BTC/USD")
        first = await client.receive_ws_message(timeout=5)
        second = await client.receive_ws_message(timeout=5)
    assert ops == [{"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"}]
    assert ack == subscribed("TICKER")
    assert (first["type"], first["last_price"], second["last_price"]) == (
        "MARKET_DATA",
        "50000.00",
        "50001.00",
    )


@asyncio_test
async def test_batch_frames_are_delivered_one_message_at_a_time():
    ops = []

    async def script(ws):
        ops.append(await ws.receive_json())
        await ws.send_json(subscribed("TICKER"))
        await ws.send_json({"type": "BATCH", "messages": [tick("1", 1), tick("2", 2), tick("3", 3)]})
        await ws.send_json(tick("4", 4))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        await client.subscribe("TICKER", "BTC/USD", batch=True)
        received = [await client.receive_ws_message(timeout=5) for _ in range(4)]
    assert ops[0]["batch"] is True
    assert [message["seq"] for message in received] == [1, 2, 3, 4]


@asyncio_test
async def test_an_ack_inside_a_batch_answers_the_subscribe():
    async def script(ws):
        await ws.receive_json()
        await ws.send_json({"type": "BATCH", "messages": [tick("1", 1), subscribed("TICKER"), tick("2", 2)]})

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        assert (await client.subscribe("TICKER", "BTC/USD"))["type"] == "SUBSCRIBED"
        received = [await client.receive_ws_message(timeout=5) for _ in range(2)]
    assert [message["seq"] for message in received] == [1, 2]


@pytest.mark.parametrize("echo_inside_error", [False, True])
@asyncio_test
async def test_a_refused_subscribe_raises_its_typed_error_and_only_its_own(echo_inside_error):
    async def script(ws):
        btc, xxx = await ws.receive_json(), await ws.receive_json()
        assert (btc["symbol"], xxx["symbol"]) == ("BTC/USD", "XXX/USD")
        echo = {"op": "subscribe", "channel": "TICKER", "symbol": "XXX/USD"}
        error = {"code": "UNKNOWN_SYMBOL", "message": "no such symbol", "field": "symbol"}
        # Answered in reverse order: each answer must reach the op it names.
        await ws.send_json(tick("1", 1))
        if echo_inside_error:
            await ws.send_json({"type": "ERROR", "error": {**error, **echo}})
        else:
            await ws.send_json({"type": "ERROR", "error": error, **echo})
        await ws.send_json(subscribed("TICKER"))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        accepted, refused = await asyncio.gather(
            client.subscribe("TICKER", "BTC/USD"),
            client.subscribe("TICKER", "XXX/USD"),
            return_exceptions=True,
        )
        buffered = await client.receive_ws_message(timeout=5)
    assert isinstance(refused, InvalidRequest)
    assert (refused.code, refused.field, refused.status) == ("UNKNOWN_SYMBOL", "symbol", None)
    assert accepted == subscribed("TICKER")
    assert buffered["seq"] == 1


@asyncio_test
async def test_an_error_that_names_no_op_answers_the_oldest_op_waiting():
    async def script(ws):
        await ws.receive_json()
        await ws.send_json({"type": "ERROR", "error": {"code": "INTERNAL", "message": "the server failed"}})

    async with FakeExchange() as fake, ExchangeClient(fake.base_url, timeout=5) as client:
        fake.ws_script = script
        await client.connect_ws()
        with pytest.raises(ServerError, match="INTERNAL"):
            await client.subscribe("TICKER", "BTC/USD")


@asyncio_test
async def test_connect_ws_authenticates_with_a_signature_and_private_channels_need_no_symbol():
    ops = []

    async def script(ws):
        auth = await ws.receive_json()
        ops.append(auth)
        if signature_matches(auth["signature"], "s3cret", auth["timestamp"], "GET", "/ws"):
            await ws.send_json({"type": "AUTHENTICATED", "account": "alice"})
        ops.append(await ws.receive_json())
        await ws.send_json({"type": "SUBSCRIBED", "channel": "ORDERS"})

    async with (
        FakeExchange() as fake,
        ExchangeClient(fake.base_url, api_key="k1", api_secret="s3cret") as client,
    ):
        fake.ws_script = script
        await client.connect_ws()
        await client.subscribe("ORDERS")
    auth, subscribe = ops
    assert (auth["op"], auth["api_key"], type(auth["timestamp"])) == ("auth", "k1", int)
    assert subscribe == {"op": "subscribe", "channel": "ORDERS"}


@asyncio_test
async def test_a_refused_auth_raises_and_closes_the_websocket():
    async def script(ws):
        await ws.receive_json()
        await ws.send_json(
            {
                "type": "ERROR",
                "op": "auth",
                "error": {"code": "INVALID_SIGNATURE", "message": "bad", "field": "signature"},
            }
        )

    async with (
        FakeExchange() as fake,
        ExchangeClient(fake.base_url, api_key="k1", api_secret="wrong") as client,
    ):
        fake.ws_script = script
        with pytest.raises(AuthenticationError) as raised:
            await client.connect_ws()
        with pytest.raises(WebSocketClosed):
            await client.receive_ws_message(timeout=5)
    assert raised.value.code == "INVALID_SIGNATURE"


@asyncio_test
async def test_ping_returns_the_round_trip_and_the_pong_is_not_delivered_as_data():
    async def script(ws):
        assert await ws.receive_json() == {"op": "ping"}
        await ws.send_json({"type": "PONG", "ts": 5})
        await ws.send_json(tick("1", 1))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        round_trip = await client.ping_ws()
        message = await client.receive_ws_message(timeout=5)
    assert isinstance(round_trip, float) and round_trip >= 0
    assert message["type"] == "MARKET_DATA"


@asyncio_test
async def test_receive_times_out_when_nothing_arrives():
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        await client.connect_ws()
        with pytest.raises(asyncio.TimeoutError):
            await client.receive_ws_message(timeout=0.05)


@asyncio_test
async def test_an_unanswered_subscribe_times_out():
    async with FakeExchange() as fake, ExchangeClient(fake.base_url, timeout=0.1) as client:
        await client.connect_ws()
        with pytest.raises(RequestTimeout, match="subscribe"):
            await client.subscribe("TICKER", "BTC/USD")


@asyncio_test
async def test_a_close_by_the_server_comes_after_the_messages_before_it():
    async def script(ws):
        await ws.send_json(tick("1", 1))
        await ws.send_json(tick("2", 2))
        await ws.close(code=1008, message=b"consumer too slow")

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        received = []
        with pytest.raises(WebSocketClosed) as raised:
            async for message in client.ws_messages():
                received.append(message["seq"])
        with pytest.raises(WebSocketClosed):
            await client.receive_ws_message()
        with pytest.raises(WebSocketClosed):
            await client.subscribe("TICKER", "BTC/USD")
    assert received == [1, 2]
    assert (raised.value.close_code, raised.value.reason) == (1008, "consumer too slow")


@asyncio_test
async def test_a_close_while_waiting_for_an_ack_fails_the_wait():
    async def script(ws):
        await ws.receive_json()
        await ws.close(code=1013, message=b"try again later")

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        with pytest.raises(WebSocketClosed) as raised:
            await client.subscribe("TICKER", "BTC/USD")
    assert raised.value.close_code == 1013


@asyncio_test
async def test_the_iterator_ends_after_close_ws_and_connect_ws_reconnects():
    connections = []

    async def script(ws):
        connections.append(ws)
        await ws.send_json(tick("1", len(connections)))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        received = []
        async for message in client.ws_messages():
            received.append(message["seq"])
            await client.close_ws()
        await client.connect_ws()
        received.append((await client.receive_ws_message(timeout=5))["seq"])
    assert received == [1, 2]


@asyncio_test
async def test_a_consumer_task_and_subscribes_share_one_connection():
    async def script(ws):
        for seq in (1, 2):
            op = await ws.receive_json()
            await ws.send_json(tick("1", seq, op["symbol"]))
            await ws.send_json(subscribed(op["channel"], op["symbol"]))

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()

        consumer = asyncio.create_task(_first(client, 2))
        await client.subscribe("TICKER", "BTC/USD")
        await client.subscribe("TICKER", "ETH/USD")
        received = await consumer
    assert [(message["symbol"], message["seq"]) for message in received] == [("BTC/USD", 1), ("ETH/USD", 2)]


async def _first(client, count):
    received = []
    async for message in client.ws_messages(timeout=5):
        received.append(message)
        if len(received) == count:
            return received
    return received


@asyncio_test
async def test_malformed_frames_are_delivered_and_the_stream_goes_on():
    async def script(ws):
        await ws.send_str('{"type": "MARKET_DATA", "last_price": "5')
        await ws.send_frame(b'{"type": "MARKET_DATA", "last_price": "\xff"}', WSMsgType.TEXT)
        await ws.send_str("[1, 2]")
        await ws.send_json({"type": "BATCH", "messages": [7]})
        await ws.send_str('{"type": "MARKET_DATA", "last_price": 50000.5}')

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        received = [await client.receive_ws_message(timeout=5) for _ in range(5)]
    assert [message["type"] for message in received] == [MALFORMED] * 4 + ["MARKET_DATA"]
    assert received[1]["raw"] == b'{"type": "MARKET_DATA", "last_price": "\xff"}'
    assert received[3]["raw"] == 7
    assert received[4]["last_price"] == Decimal("50000.5")


@asyncio_test
async def test_an_error_that_answers_no_op_is_delivered_as_a_message():
    async def script(ws):
        await ws.send_json({"type": "ERROR", "error": {"code": "SLOW_CONSUMER", "message": "dropping"}})

    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.ws_script = script
        await client.connect_ws()
        message = await client.receive_ws_message(timeout=5)
    assert message["error"]["code"] == "SLOW_CONSUMER"


@asyncio_test
async def test_websocket_calls_before_connect_ws_say_so():
    async with ExchangeClient() as client:
        with pytest.raises(WebSocketClosed, match="connect_ws"):
            await client.receive_ws_message()
