"""``ExchangeClient`` over REST, against a scripted fake server on loopback."""

import re
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from exchangesim.client import (
    AuthenticationError,
    Conflict,
    DuplicateClientOrderId,
    ExchangeClient,
    InsufficientBalance,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
)
from exchangesim.signing import sign

from ..asyncio_runner import asyncio_test
from .fake_exchange import FakeExchange, error_reply, raw_reply, reply

ORDER = {"order_id": "7", "client_order_id": "mine-1", "status": "NEW", "price": "49000.00", "fills": []}


@asyncio_test
async def test_the_seed_calls_work_as_written():
    async with FakeExchange() as fake:
        fake.route("GET", "/api/v1/ticker", reply({"symbol": "BTC/USD", "last_price": "50000.00"}))
        fake.route("POST", "/api/v1/orders", reply(ORDER, 201))
        fake.route("GET", "/api/v1/balance", reply({"account": "default", "balances": {}}))
        async with ExchangeClient(base_url=fake.base_url) as client:
            assert (await client.get_ticker("BTC/USD"))["last_price"] == "50000.00"
            assert (await client.place_order("BTC/USD", "BUY", "LIMIT", "0.5", "49000"))["order_id"] == "7"
            assert (await client.get_balance())["account"] == "default"
    ticker, order, balance = fake.received
    assert (ticker.method, ticker.target) == ("GET", "/api/v1/ticker?symbol=BTC%2FUSD")
    assert (order.method, order.target) == ("POST", "/api/v1/orders")
    assert (balance.method, balance.target) == ("GET", "/api/v1/balance")
    assert order.headers["Content-Type"] == "application/json"
    body = order.json()
    assert body == {
        "symbol": "BTC/USD",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.5",
        "price": "49000",
        "client_order_id": body["client_order_id"],
    }
    for request in fake.received:
        assert not {"X-API-Key", "X-Signature", "X-Timestamp"} & set(request.headers)


@asyncio_test
async def test_a_client_with_a_secret_signs_exactly_what_it_sends():
    async with FakeExchange(default=reply({})) as fake:
        async with ExchangeClient(fake.base_url, api_key="k1", api_secret="s3cret") as client:
            before = int(time.time() * 1000)
            await client.get_orders("BTC/USD", status="ALL")
            await client.place_order(
                "BTC/USD", "SELL", "LIMIT", Decimal("0.25"), "51000.5", time_in_force="GTC"
            )
            await client.cancel_all_orders("BTC/USD")
            after = int(time.time() * 1000)
    assert [(r.method, r.target) for r in fake.received] == [
        ("GET", "/api/v1/orders?symbol=BTC%2FUSD&status=ALL"),
        ("POST", "/api/v1/orders"),
        ("DELETE", "/api/v1/orders?symbol=BTC%2FUSD"),
    ]
    timestamps = [int(request.headers["X-Timestamp"]) for request in fake.received]
    assert before <= timestamps[0] < timestamps[1] < timestamps[2] <= after + 2  # rising, 1 ms at least
    for request in fake.received:
        assert request.headers["X-API-Key"] == "k1"
        timestamp = int(request.headers["X-Timestamp"])
        expected = sign("s3cret", timestamp, request.method, request.target, request.body)
        assert request.headers["X-Signature"] == expected
    assert fake.received[1].body.startswith(b'{"symbol":"BTC/USD"')


@asyncio_test
async def test_identical_requests_in_one_millisecond_get_distinct_timestamps_and_signatures(monkeypatch):
    """The server accepts a signature once: a repeat of the same call must not reuse one."""
    frozen = SimpleNamespace(time=lambda: 1_700_000_000.0, perf_counter=time.perf_counter)
    monkeypatch.setattr("exchangesim.client._client.time", frozen)
    async with FakeExchange(default=reply({})) as fake:
        async with ExchangeClient(fake.base_url, api_key="k1", api_secret="s3cret") as client:
            await client.get_balance()
            await client.get_balance()
            await client.get_balance()
    assert [request.headers["X-Timestamp"] for request in fake.received] == [
        "1700000000000",
        "1700000000001",
        "1700000000002",
    ]
    assert len({request.headers["X-Signature"] for request in fake.received}) == 3


@asyncio_test
async def test_a_key_without_a_secret_selects_the_account_unsigned():
    async with FakeExchange(default=reply({})) as fake, ExchangeClient(fake.base_url, api_key="k1") as client:
        await client.get_balance()
    (request,) = fake.received
    assert request.headers["X-API-Key"] == "k1"
    assert "X-Signature" not in request.headers and "X-Timestamp" not in request.headers


def test_a_secret_without_a_key_is_refused():
    with pytest.raises(ValueError, match="api_key"):
        ExchangeClient(api_secret="s3cret")


@asyncio_test
async def test_each_method_sends_its_request_target_encoded_once():
    async with FakeExchange(default=reply({})) as fake, ExchangeClient(fake.base_url) as client:
        await client.get_health()
        await client.get_symbols()
        await client.get_orderbook("BTC/USD", depth=5)
        await client.get_trades("ETH/USD")
        await client.get_candles("BTC/USD", interval="5m", limit=3)
        await client.get_open_orders()
        await client.get_open_orders("ETH/USD")
        await client.get_orders()
        await client.get_orders(status="FILLED")
        await client.get_order("42")
        await client.get_order_by_client_id("bot 1/a")
        await client.cancel_order("42")
        await client.cancel_all_orders()
        await client.replace_order("42", quantity=Decimal("0.250"))
        await client.replace_order("42", price="48000", quantity="1")
        await client.get_positions()
        await client.get_fills()
        await client.get_fills("BTC/USD", limit=10)
    assert [(r.method, r.target, r.body) for r in fake.received] == [
        ("GET", "/api/v1/health", b""),
        ("GET", "/api/v1/symbols", b""),
        ("GET", "/api/v1/orderbook?symbol=BTC%2FUSD&depth=5", b""),
        ("GET", "/api/v1/trades?symbol=ETH%2FUSD&limit=50", b""),
        ("GET", "/api/v1/candles?symbol=BTC%2FUSD&interval=5m&limit=3", b""),
        ("GET", "/api/v1/orders", b""),
        ("GET", "/api/v1/orders?symbol=ETH%2FUSD", b""),
        ("GET", "/api/v1/orders?status=ALL", b""),
        ("GET", "/api/v1/orders?status=FILLED", b""),
        ("GET", "/api/v1/orders/42", b""),
        ("GET", "/api/v1/orders/by-client-id/bot%201%2Fa", b""),
        ("DELETE", "/api/v1/orders/42", b""),
        ("DELETE", "/api/v1/orders", b""),
        ("POST", "/api/v1/orders/42/replace", b'{"quantity":"0.250"}'),
        ("POST", "/api/v1/orders/42/replace", b'{"quantity":"1","price":"48000"}'),
        ("GET", "/api/v1/positions", b""),
        ("GET", "/api/v1/fills?limit=100", b""),
        ("GET", "/api/v1/fills?symbol=BTC%2FUSD&limit=10", b""),
    ]


@asyncio_test
async def test_a_base_url_with_a_path_keeps_it_and_signs_it():
    async with FakeExchange(default=reply({})) as fake:
        async with ExchangeClient(f"{fake.base_url}/sim/", api_key="k", api_secret="s") as client:
            await client.get_health()
    (request,) = fake.received
    assert request.target == "/sim/api/v1/health"
    assert request.headers["X-Signature"] == sign(
        "s", int(request.headers["X-Timestamp"]), "GET", "/sim/api/v1/health"
    )


@asyncio_test
async def test_place_order_generates_a_client_order_id_unless_given():
    async with FakeExchange(default=reply(ORDER, 201)) as fake, ExchangeClient(fake.base_url) as client:
        await client.place_order("BTC/USD", "BUY", "MARKET", quote_quantity="100")
        await client.place_order("BTC/USD", "BUY", "MARKET", quote_quantity="100")
        await client.place_order(
            "BTC/USD", "BUY", "LIMIT", "1", "1", client_order_id="mine-1", stp="CANCEL_NEWEST"
        )
    first, second, given = (request.json() for request in fake.received)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", first["client_order_id"])
    assert first["client_order_id"] != second["client_order_id"]
    assert "quantity" not in first and first["quote_quantity"] == "100"
    assert (given["client_order_id"], given["stp"]) == ("mine-1", "CANCEL_NEWEST")


@asyncio_test
async def test_amounts_are_sent_as_plain_decimal_strings_and_floats_are_refused():
    async with FakeExchange(default=reply(ORDER, 201)) as fake, ExchangeClient(fake.base_url) as client:
        await client.place_order(
            "BTC/USD", "BUY", "STOP_LIMIT", Decimal("1E+1"), Decimal("49000.10"), stop_price=49500
        )
        with pytest.raises(TypeError, match="float"):
            await client.place_order("BTC/USD", "BUY", "LIMIT", 0.1, "49000")
        with pytest.raises(TypeError, match="float"):
            await client.replace_order("7", price=49000.0)
    (sent,) = fake.received
    assert (sent.json()["quantity"], sent.json()["price"], sent.json()["stop_price"]) == (
        "10",
        "49000.10",
        "49500",
    )


@asyncio_test
async def test_numbers_in_responses_decode_as_decimal_never_float():
    body = b'{"price": 0.1, "timestamp": 1700000000000, "levels": [[49999.5, 1e-3]]}'
    async with FakeExchange(default=raw_reply(body)) as fake, ExchangeClient(fake.base_url) as client:
        ticker = await client.get_ticker("BTC/USD")
    assert ticker == {
        "price": Decimal("0.1"),
        "timestamp": 1700000000000,
        "levels": [[Decimal("49999.5"), Decimal("0.001")]],
    }
    assert type(ticker["timestamp"]) is int


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "PRICE_OFF_TICK", InvalidRequest),
        (400, "INVALID_JSON", InvalidRequest),
        (401, "INVALID_SIGNATURE", AuthenticationError),
        (401, "TIMESTAMP_OUTSIDE_WINDOW", AuthenticationError),
        (403, "FORBIDDEN", PermissionDenied),
        (404, "UNKNOWN_ORDER", NotFound),
        (405, "METHOD_NOT_ALLOWED", InvalidRequest),
        (409, "ORDER_NOT_OPEN", Conflict),
        (409, "DUPLICATE_CLIENT_ORDER_ID", DuplicateClientOrderId),
        (413, "BODY_TOO_LARGE", InvalidRequest),
        (415, "UNSUPPORTED_MEDIA_TYPE", InvalidRequest),
        (422, "INSUFFICIENT_BALANCE", InsufficientBalance),
        (422, "WOULD_TAKE", OrderRejected),
        (422, "WOULD_TRIGGER_IMMEDIATELY", OrderRejected),
        (429, "RATE_LIMITED", RateLimited),
        (500, "INTERNAL", ServerError),
        (503, "INJECTED_FAULT", ServerError),
        # A code whose class disagrees with the status keeps the status's class.
        (400, "INSUFFICIENT_BALANCE", InvalidRequest),
    ],
)
@asyncio_test
async def test_error_responses_raise_the_class_of_their_status_refined_by_code(status, code, expected):
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.route("POST", "/api/v1/orders", error_reply(status, code, "nope", "price", hint="h"))
        with pytest.raises(expected) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "1", "1")
    error = raised.value
    assert type(error) is expected
    assert (error.status, error.code, error.message, error.field) == (status, code, "nope", "price")
    assert error.body == {"error": {"code": code, "message": "nope", "field": "price", "hint": "h"}}
    assert error.extra == {"hint": "h"}
    assert error.client_order_id == fake.received[0].json()["client_order_id"]
    assert code in str(error) and str(status) in str(error)


@asyncio_test
async def test_a_duplicate_client_order_id_names_the_existing_order():
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.route(
            "POST",
            "/api/v1/orders",
            error_reply(409, "DUPLICATE_CLIENT_ORDER_ID", "taken", "client_order_id", order_id="17"),
        )
        with pytest.raises(DuplicateClientOrderId) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "1", "1", client_order_id="again")
    assert (raised.value.order_id, raised.value.client_order_id) == ("17", "again")


@pytest.mark.parametrize(
    ("status", "body", "content_type", "text"),
    [
        (502, b"<html>Bad Gateway</html>", "text/html", "<html>Bad Gateway</html>"),
        (503, b"", "text/plain", ""),
        (500, b'{"error": "boom"}', "application/json", None),
        (
            500,
            b'{"error": {"code": "INTERNAL", "message": "oops"',
            "application/json",
            '{"error": {"code": "INTERNAL", "message": "oops"',
        ),
    ],
)
@asyncio_test
async def test_a_server_error_without_an_error_object_is_still_a_server_error(
    status, body, content_type, text
):
    async with FakeExchange(default=raw_reply(body, status, content_type)) as fake:
        async with ExchangeClient(fake.base_url) as client:
            with pytest.raises(ServerError) as raised:
                await client.get_health()
    error = raised.value
    assert (error.status, error.code, error.field) == (status, None, None)
    assert error.body == (text if text is not None else {"error": "boom"})
    assert str(status) in str(error)


@pytest.mark.parametrize(
    "handler",
    [
        error_reply(429, "RATE_LIMITED", "slow down", headers={"Retry-After": "2"}),
        raw_reply(b"Too Many Requests", 429, "text/plain", headers={"Retry-After": "2"}),
    ],
)
@asyncio_test
async def test_429_carries_retry_after_in_seconds(handler):
    async with FakeExchange(default=handler) as fake, ExchangeClient(fake.base_url) as client:
        with pytest.raises(RateLimited) as raised:
            await client.get_ticker("BTC/USD")
    assert (raised.value.status, raised.value.retry_after) == (429, 2.0)


@asyncio_test
async def test_429_without_retry_after_has_none():
    async with FakeExchange(default=error_reply(429, "RATE_LIMITED")) as fake:
        async with ExchangeClient(fake.base_url) as client:
            with pytest.raises(RateLimited) as raised:
                await client.get_ticker("BTC/USD")
    assert raised.value.retry_after is None


@pytest.mark.parametrize("body", [b"not json", b'["a", "list"]', b'{"order_id": "7"'])
@asyncio_test
async def test_a_success_status_with_a_body_that_is_not_an_object_is_an_invalid_response(body):
    async with FakeExchange(default=raw_reply(body, 201)) as fake, ExchangeClient(fake.base_url) as client:
        with pytest.raises(InvalidResponse) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "1", "1", client_order_id="c-1")
    assert isinstance(raised.value, TransportError)
    assert raised.value.client_order_id == "c-1"


@asyncio_test
async def test_a_lost_response_times_out_with_the_client_order_id_to_reconcile():
    async with FakeExchange() as fake, ExchangeClient(fake.base_url, timeout=0.2) as client:
        fake.route("POST", "/api/v1/orders", fake.hang)
        with pytest.raises(RequestTimeout) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "1", "1")
    error = raised.value
    assert isinstance(error, TimeoutError) and isinstance(error, TransportError)
    assert error.status is None and error.client_order_id == fake.received[0].json()["client_order_id"]
    assert error.client_order_id in str(error)


@asyncio_test
async def test_a_dropped_connection_is_a_transport_error():
    async with FakeExchange() as fake, ExchangeClient(fake.base_url) as client:
        fake.route("POST", "/api/v1/orders", fake.abort)
        with pytest.raises(TransportError) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "1", "1", client_order_id="c-2")
    assert not isinstance(raised.value, RequestTimeout)
    assert raised.value.client_order_id == "c-2"


@asyncio_test
async def test_a_refused_connection_is_a_transport_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ExchangeClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(TransportError, match="GET /api/v1/health"):
            await client.get_health()


@asyncio_test
async def test_replace_order_needs_something_to_change():
    async with ExchangeClient() as client:
        with pytest.raises(ValueError, match="quantity"):
            await client.replace_order("7")


def test_the_client_does_not_import_twisted():
    code = (
        "import sys, exchangesim.client; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'twisted'))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
