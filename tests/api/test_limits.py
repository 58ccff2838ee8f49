"""Each protective limit of ``[server]``, refused clearly, on every path it guards (DESIGN §10.20),
through the whole service on a memory reactor."""

from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import AccountConfig
from exchangesim.signing import sign_payload

from ..memory_service import MemoryService, memory_config, request_bytes, status_and_json

ALICE_KEY, ALICE_SECRET = "alice-key-0001", "alice-secret"
WEBSOCKET_PATHS = ("/ws", "/ws/0", "/ws-api/v3")  # native, Binance market streams, Binance WS-API


def get(path, *headers):
    return request_bytes("GET", path, *headers)


def binance_signed(sim, path, query):
    """A GET signed by alice as ccxt signs it, timestamped by the service's clock."""
    text = f"{query}&timestamp={int(sim.reactor.seconds() * 1000)}"
    signature = sign_payload(ALICE_SECRET, text.encode())
    return get(f"{path}?{text}&signature={signature}", f"X-MBX-APIKEY: {ALICE_KEY}")


def upgrade(path):
    return get(
        path,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    )


class LimitCase(SynchronousTestCase):
    def start(self, **server):
        config = memory_config()
        config.named_accounts["alice"] = AccountConfig(api_key=ALICE_KEY, api_secret=ALICE_SECRET)
        for key, value in server.items():
            setattr(config.server, key, value)
        self.sim = MemoryService(config)
        return self.sim


class ConnectionLimitTests(LimitCase):
    def test_a_connection_past_max_connections_is_answered_503_and_closed(self):
        sim = self.start(max_connections=2)
        first = sim.http(get("/api/v1/health"))
        sim.websocket("/ws")
        refused = sim.http(get("/api/v1/health"))
        status, body, head = status_and_json(refused.received)
        assert status == 503 and b"Retry-After: 1" in head
        assert body["error"]["code"] == "TOO_MANY_CONNECTIONS"
        assert "at most 2 connections" in body["error"]["message"]
        assert refused.lost
        first.transport.loseConnection()
        sim.settle()
        assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 200  # room again


class BodyLimitTests(LimitCase):
    def test_a_body_past_max_body_bytes_is_refused_413_by_both_dialects(self):
        sim = self.start(max_body_bytes=256)
        native = sim.http(
            request_bytes(
                "POST",
                "/api/v1/orders",
                "Content-Type: application/json",
                body=b'{"symbol": "' + b"x" * 300 + b'"}',
            )
        )
        status, body, _ = status_and_json(native.received)
        assert (status, body["error"]["code"], body["error"]["field"]) == (413, "BODY_TOO_LARGE", "body")
        form = b"symbol=BTCUSD&side=BUY&pad=" + b"x" * 300
        binance = sim.http(
            request_bytes(
                "POST", "/api/v3/order", "Content-Type: application/x-www-form-urlencoded", body=form
            )
        )
        status, body, _ = status_and_json(binance.received)
        assert status == 413 and body["code"] == -1000 and "256 bytes" in body["msg"]


class WebSocketMessageLimitTests(LimitCase):
    def test_a_message_past_ws_max_message_bytes_closes_with_1009_on_every_websocket(self):
        sim = self.start(ws_max_message_bytes=256)
        for path in WEBSOCKET_PATHS:
            websocket = sim.websocket(path)
            sim.send_json(websocket, {"pad": "x" * 300})
            code, reason = websocket.closed
            assert code == 1009 and "256" in reason, path

    def test_a_client_past_ws_max_messages_per_second_is_closed_with_1008_on_every_websocket(self):
        sim = self.start(ws_max_messages_per_second=5)
        for path in WEBSOCKET_PATHS:
            websocket = sim.websocket(path)
            sim.send_json(websocket, *[{"op": "ping"}] * 5)
            assert websocket.closed is None, path
            sim.send_json(websocket, {"op": "ping"})
            assert websocket.closed == (1008, "too many messages per second"), path


class SubscriptionLimitTests(LimitCase):
    def test_native_subscriptions_past_ws_max_subscriptions_are_refused(self):
        sim = self.start(ws_max_subscriptions=2)
        websocket = sim.websocket("/ws")
        replies = sim.send_json(
            websocket,
            {"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"},
            {"op": "subscribe", "channel": "TICKER", "symbol": "ETH/USD"},
            {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"},
        )
        errors = [reply["error"]["code"] for reply in replies if reply["type"] == "ERROR"]
        assert errors == ["TOO_MANY_SUBSCRIPTIONS"]

    def test_binance_streams_past_ws_max_subscriptions_are_refused_by_subscribe_and_by_path(self):
        sim = self.start(ws_max_subscriptions=2)
        websocket = sim.websocket("/ws/0")
        streams = ["btcusd@trade", "ethusd@trade", "btcusd@bookTicker"]
        (reply,) = sim.send_json(websocket, {"method": "SUBSCRIBE", "params": streams, "id": 1})
        assert reply["error"] == {
            "code": 2,
            "msg": "Invalid request: too many subscriptions: at most 2 streams per connection",
        }
        refused = sim.http(upgrade("/stream?streams=" + "/".join(streams)))
        assert refused.received.startswith(b"HTTP/1.1 400 ")
        assert b"too many streams: at most 2 per connection" in refused.received


class RequestRateLimitTests(LimitCase):
    def test_native_requests_past_request_rate_limit_get_429_with_retry_after_and_the_limit_named(self):
        sim = self.start(request_rate_limit=3)
        sim.reactor.advance(60 - sim.reactor.seconds() % 60)  # the start of a minute
        for _ in range(3):
            assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 200
        status, body, head = status_and_json(sim.http(get("/api/v1/health")).received)
        assert status == 429 and b"Retry-After: 60" in head
        assert (body["error"]["code"], body["error"]["limit"]) == ("RATE_LIMITED", "request_rate_limit")
        sim.settle(60)
        assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 200

    def test_both_dialects_spend_one_budget_per_key(self):
        sim = self.start(request_rate_limit=20)
        sim.reactor.advance(60 - sim.reactor.seconds() % 60)
        for _ in range(2):  # weight 6 each, signed: charged to alice's key
            assert (
                status_and_json(
                    sim.http(binance_signed(sim, "/api/v3/openOrders", "symbol=BTCUSD")).received
                )[0]
                == 200
            )
        for _ in range(8):
            assert (
                status_and_json(sim.http(get("/api/v1/health", f"X-API-Key: {ALICE_KEY}")).received)[0] == 200
            )
        refused = sim.http(get("/api/v1/health", f"X-API-Key: {ALICE_KEY}"))
        assert status_and_json(refused.received)[0] == 429
        binance = sim.http(binance_signed(sim, "/api/v3/openOrders", "symbol=BTCUSD"))
        assert status_and_json(binance.received)[1]["code"] == -1003  # banned on Binance's side too
        assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 200  # another budget

    def test_someone_elses_key_without_its_secret_spends_the_senders_address_budget(self):
        sim = self.start(request_rate_limit=40)
        sim.reactor.advance(60 - sim.reactor.seconds() % 60)
        unsigned = [
            sim.http(get("/api/v3/account?timestamp=1", f"X-MBX-APIKEY: {ALICE_KEY}")) for _ in range(3)
        ]
        assert [status_and_json(answer.received)[0] for answer in unsigned] == [400, 400, 429]  # weight 20
        assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 429  # no way round it
        assert status_and_json(sim.http(get("/api/v1/health", f"X-API-Key: {ALICE_KEY}")).received)[0] == 200

    def test_invented_keys_spend_their_address_budget(self):
        sim = self.start(request_rate_limit=3)
        sim.reactor.advance(60 - sim.reactor.seconds() % 60)
        answers = [sim.http(get("/api/v1/health", f"X-API-Key: made-up-{n}")).received for n in range(4)]
        assert [status_and_json(answer)[0] for answer in answers] == [200, 200, 200, 429]

    def test_admin_requests_are_not_charged(self):
        sim = self.start(request_rate_limit=1, admin_token="admin-token-0001")
        sim.reactor.advance(60 - sim.reactor.seconds() % 60)
        assert status_and_json(sim.http(get("/api/v1/health")).received)[0] == 200
        for _ in range(3):
            answer = sim.http(get("/api/v1/admin/accounts", "X-Admin-Token: admin-token-0001"))
            assert status_and_json(answer.received)[0] == 200


class IdleTimeoutTests(LimitCase):
    def test_an_idle_keep_alive_connection_is_closed_after_idle_timeout_s(self):
        sim = self.start(idle_timeout_s=10)
        client = sim.http(get("/api/v1/health"))
        sim.settle(9)
        sim.http(get("/api/v1/health"), client)  # a request restarts the wait
        sim.settle(9)
        assert not client.lost
        sim.settle(1)
        assert client.lost

    def test_a_websocket_that_sends_nothing_and_holds_no_subscription_is_closed_with_1000(self):
        sim = self.start(idle_timeout_s=10)
        idle = {path: sim.websocket(path) for path in WEBSOCKET_PATHS}
        subscribed = sim.websocket("/ws")
        sim.send_json(subscribed, {"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"})
        pinging = sim.websocket("/ws/0")
        for _ in range(5):
            sim.settle(2.5)
            pinging.client.sendPing()
        sim.settle(2.5)
        for path, websocket in idle.items():
            assert websocket.closed == (1000, "idle: nothing sent and no subscription for 10 s"), path
        assert subscribed.closed is None and pinging.closed is None


class OutgoingSizeTests(LimitCase):
    def test_ws_max_message_bytes_bounds_what_clients_send_not_what_the_server_sends(self):
        sim = self.start(ws_max_message_bytes=256)
        engine = sim.service.venue.exchange
        for step in range(40):  # a book deeper than 256 bytes of snapshot
            engine.place(
                "alice", "BTC/USD", "BUY", "LIMIT", 10, 4_000_000 - step, ts=sim.service.venue.now_ms()
            )
        ws = sim.websocket("/ws")
        received = sim.send_json(ws, {"op": "subscribe", "channel": "BOOK", "symbol": "BTC/USD"})
        snapshots = [m for m in received if m.get("snapshot")]
        assert snapshots and len(snapshots[0]["bids"]) == 40  # about 1.3 KB in one message
        assert ws.closed is None
