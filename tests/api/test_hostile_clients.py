"""Clients that try to take the daemon down, through the whole service on a memory reactor: request
heads sent a byte at a time (slowloris), one address holding every connection, request lines and
headers too large, bodies declared too large, and JSON nested thousands deep in every dialect."""

from urllib.parse import quote

from twisted.internet.address import IPv4Address
from twisted.trial.unittest import SynchronousTestCase

from ..memory_service import HttpClient, MemoryService, memory_config, request_bytes, status_and_json

SLOW = IPv4Address("TCP", "10.0.0.1", 40000)
OTHER = IPv4Address("TCP", "10.0.0.2", 40000)
SLOW_HEAD = b"GET /api/v1/health HTTP/1.1\r\nHost: sim\r\nX-Slow: "  # never finished
UPGRADE_HEAD = (
    b"GET /ws HTTP/1.1\r\nHost: sim\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Slow: "
)
DEEP_ARRAY = b"[" * 30000 + b"]" * 30000  # under ws_max_message_bytes: only its depth is wrong


def get(path, *headers):
    return request_bytes("GET", path, *headers)


def error_code(raw):
    """The status and the native error code of one raw answer."""
    status, body, _ = status_and_json(raw)
    return status, body["error"]["code"]


class HostileCase(SynchronousTestCase):
    def start(self, failures=False, **server):
        config = memory_config()
        config.failures.enabled = failures
        for key, value in server.items():
            setattr(config.server, key, value)
        self.sim = MemoryService(config)
        return self.sim

    def open(self, first_bytes=b"", peer=SLOW):
        """A raw connection from ``peer`` that has sent ``first_bytes``."""
        client = HttpClient()
        self.sim.connect(client, peer)
        if first_bytes:
            client.transport.write(first_bytes)
        self.sim.settle()
        return client

    def put_fault(self, name, **keys):
        faults = self.sim.service.venue.faults
        faults.put(faults.parse(name, keys))


class RequestHeadTimeoutTests(HostileCase):
    def test_a_head_trickled_a_byte_at_a_time_is_answered_408_at_request_head_timeout_s(self):
        sim = self.start(request_head_timeout_s=10, idle_timeout_s=120)
        request, upgrade, silent = self.open(SLOW_HEAD), self.open(UPGRADE_HEAD), self.open()
        for _ in range(9):  # a byte a second: each would restart the idle timeout
            for client in (request, upgrade):
                client.transport.write(b"x")
            sim.settle(1)
        assert not any(client.lost for client in (request, upgrade, silent))
        sim.settle(1)
        for client in (request, upgrade, silent):
            assert client.lost
            status, body, head = status_and_json(client.received)
            assert (status, body["error"]["code"]) == (408, "REQUEST_HEAD_TIMEOUT")
            assert "within 10 s" in body["error"]["message"] and b"Connection: close" in head
        assert sim.service.site.answers[408] == 3

    def test_each_request_of_a_keep_alive_connection_has_the_deadline_from_its_first_byte(self):
        sim = self.start(request_head_timeout_s=10, idle_timeout_s=120)
        client = self.open(get("/api/v1/health"))
        assert status_and_json(client.received)[0] == 200
        sim.settle(60)  # idle between requests: idle_timeout_s governs, not the head deadline
        client.received = b""
        sim.http(get("/api/v1/health"), client)
        assert status_and_json(client.received)[0] == 200 and not client.lost
        sim.settle(60)
        client.received = b""
        client.transport.write(SLOW_HEAD)
        sim.settle()  # delivered: the deadline runs from here
        sim.settle(9.5)
        assert not client.lost
        sim.settle(0.5)
        assert client.lost and error_code(client.received) == (408, "REQUEST_HEAD_TIMEOUT")


class PerAddressLimitTests(HostileCase):
    def test_connections_past_max_connections_per_address_are_refused_503_naming_the_limit(self):
        sim = self.start(max_connections_per_address=2)
        first, _ = self.open(), self.open()
        refused = self.open()
        assert refused.lost
        status, body, head = status_and_json(refused.received)
        assert status == 503 and b"Retry-After: 1" in head
        assert body["error"]["code"] == "TOO_MANY_CONNECTIONS"
        assert body["error"]["limit"] == "max_connections_per_address"
        assert "at most 2 connections at once from one address" in body["error"]["message"]
        # Every address counts alone, loopback ones too.
        for host in ("10.0.0.2", "127.0.0.1", "127.0.0.2"):
            answer = sim.http(get("/api/v1/health"), peer=IPv4Address("TCP", host, 40000))
            assert status_and_json(answer.received)[0] == 200, host
        first.transport.loseConnection()
        sim.settle()
        assert status_and_json(sim.http(get("/api/v1/health"), peer=SLOW).received)[0] == 200

    def test_the_max_connections_refusal_names_its_limit(self):
        sim = self.start(max_connections=1)
        self.open()
        status, body, _ = status_and_json(sim.http(get("/api/v1/health"), peer=OTHER).received)
        assert (status, body["error"]["limit"]) == (503, "max_connections")


class SlowlorisTests(HostileCase):
    def test_two_hundred_slow_heads_from_one_address_never_keep_another_address_out(self):
        sim = self.start(max_connections=200, request_head_timeout_s=10, idle_timeout_s=120)
        slow = [self.open(SLOW_HEAD) for _ in range(200)]
        held = [client for client in slow if not client.lost]
        assert len(held) == 128  # max_connections_per_address: the rest were refused at once
        for client in slow:
            if client.lost:
                assert status_and_json(client.received)[1]["error"]["limit"] == "max_connections_per_address"
        for second in range(0, 30, 5):  # a header byte from each every 5 s, for three head timeouts
            answer = sim.http(get("/api/v1/health"), peer=OTHER)
            assert status_and_json(answer.received)[0] == 200, second
            assert all(client.lost for client in held) == (second >= 10), second
            for client in held:
                if not client.lost:
                    client.transport.write(b"x")
            sim.settle(5)
        assert {error_code(client.received) for client in held} == {(408, "REQUEST_HEAD_TIMEOUT")}


class OversizedHeadTests(HostileCase):
    def test_a_request_line_past_16_kib_is_answered_414(self):
        sim = self.start()
        client = sim.http(get("/api/v3/ticker/price?symbol=" + "A" * 17000))
        assert client.lost and error_code(client.received) == (414, "URI_TOO_LONG")
        unterminated = self.open(b"GET /" + b"a" * 17000)  # no end of line in sight: the same
        assert unterminated.lost and error_code(unterminated.received) == (414, "URI_TOO_LONG")

    def test_headers_past_16_kib_or_500_are_answered_431(self):
        sim = self.start()
        one_long = sim.http(get("/api/v1/health", "X-Long: " + "a" * 17000))
        many_long = sim.http(get("/api/v1/health", *(f"X-Pad-{n}: {'a' * 1000}" for n in range(20))))
        too_many = sim.http(get("/api/v1/health", *(f"X-{n}: 1" for n in range(501))))
        assert error_code(one_long.received) == (431, "HEADERS_TOO_LARGE")
        assert error_code(many_long.received) == (431, "HEADERS_TOO_LARGE")
        assert error_code(too_many.received) == (431, "TOO_MANY_HEADERS")
        assert one_long.lost and many_long.lost and too_many.lost
        fine = sim.http(get("/api/v1/health", *(f"X-{n}: 1" for n in range(400))))
        assert status_and_json(fine.received)[0] == 200

    def test_a_declared_body_past_max_body_bytes_is_answered_413_before_it_is_sent(self):
        sim = self.start(max_body_bytes=256)
        declared = ("Content-Type: application/json", "Content-Length: 1000000", "Expect: 100-continue")
        native = self.open(request_bytes("POST", "/api/v1/orders", *declared))
        assert native.received.startswith(b"HTTP/1.1 413 ") and native.lost  # no 100 Continue first
        _, body, head_sent = status_and_json(native.received)
        assert body["error"] == {
            "code": "BODY_TOO_LARGE",
            "message": "the body is larger than 256 bytes",
            "field": "body",
        }
        assert b"Connection: close" in head_sent
        form = ("Content-Type: application/x-www-form-urlencoded", "Content-Length: 1000000")
        binance = self.open(request_bytes("POST", "/api/v3/order", *form))
        assert binance.lost
        assert status_and_json(binance.received)[:2] == (
            413,
            {"code": -1000, "msg": "the body is larger than 256 bytes"},
        )
        assert sim.service.site.answers[413] == 2


class DeepJsonTests(HostileCase):
    def test_binance_symbols_nested_2000_deep_is_a_bad_parameter_not_a_500(self):
        sim = self.start()
        symbols = quote("[" * 2000 + "]" * 2000)
        answer = sim.http(get(f"/api/v3/ticker/price?symbols={symbols}"))
        assert status_and_json(answer.received)[:2] == (
            400,
            {"code": -1100, "msg": "Illegal characters found in parameter 'symbols'."},
        )

    def test_a_message_nested_30000_deep_is_answered_in_each_websockets_dialect(self):
        sim = self.start()
        websockets = {path: sim.websocket(path) for path in ("/ws", "/ws/0", "/ws-api/v3")}
        native = sim.send_json(websockets["/ws"], DEEP_ARRAY)
        assert [(m["type"], m["error"]["code"], m["error"]["field"]) for m in native] == [
            ("ERROR", "INVALID_JSON", "message")
        ]
        streams = sim.send_json(websockets["/ws/0"], DEEP_ARRAY)
        assert streams == [
            {"error": {"code": 3, "msg": "Invalid JSON: nested more than 20 levels deep"}, "id": None}
        ]
        (ws_api,) = sim.send_json(websockets["/ws-api/v3"], DEEP_ARRAY)
        assert (ws_api["status"], ws_api["error"]["code"]) == (400, -1100)
        pings = {
            "/ws": {"op": "ping"},
            "/ws/0": {"method": "LIST_SUBSCRIPTIONS", "id": 1},
            "/ws-api/v3": {"method": "ping", "id": 1},
        }
        for path, websocket in websockets.items():
            assert websocket.closed is None, path
            assert len(sim.send_json(websocket, pings[path])) == 1, path  # and it still answers

    def test_deep_json_is_refused_while_faults_read_the_clients_messages_and_bodies(self):
        sim = self.start(failures=True)
        websocket = sim.websocket("/ws")
        faults = {  # each reads what a client sends: to match it, to audit it, to corrupt it
            "targeted": {
                "mode": "delay",
                "layer": "ws",
                "direction": "in",
                "channel": "TRADES",
                "base_ms": "5",
            },
            "audited": {"mode": "duplicate", "layer": "ws", "direction": "in"},
            "mangled": {"mode": "corrupt", "layer": "ws", "direction": "in", "kind": "drop_key"},
        }
        for name, keys in faults.items():
            self.put_fault(name, **keys)
            replies = sim.send_json(websocket, DEEP_ARRAY)
            sim.settle(1)
            replies += sim.send_json(websocket)
            assert replies and {m["error"]["code"] for m in replies} == {"INVALID_JSON"}, name
            assert websocket.closed is None, name
            sim.service.venue.faults.remove(name)
        self.put_fault("lag", mode="delay", layer="rest", base_ms="5")
        deep_body = b'{"a":' * 3000 + b"1" + b"}" * 3000
        answer = sim.http(
            request_bytes("POST", "/api/v1/orders", "Content-Type: application/json", body=deep_body)
        )
        sim.settle(1)
        assert error_code(answer.received) == (400, "INVALID_JSON")
