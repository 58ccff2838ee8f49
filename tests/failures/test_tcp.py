"""Connection-level faults around the daemon's site: bytes paced, held, refused and reset on the Clock."""

import json

from autobahn.twisted.websocket import WebSocketClientFactory
from twisted.internet.address import IPv4Address
from twisted.test import iosim
from twisted.web.server import Site

from exchangesim.failures.tcp import FaultyFactory

from .wiring import BOB_KEY, FaultCase, WsClient, http_request, raw_http

EPSILON = 1e-4  # the Clock reads epoch seconds: timers land within a microsecond of their ms


class TcpCase(FaultCase):
    def setUp(self):
        super().setUp()
        self.factory = FaultyFactory(Site(self.root), self.controller)

    def get(self, path="/api/v1/symbols", **headers):
        return raw_http(self.factory, http_request("GET", path, headers))

    def assert_complete_response(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        assert head.startswith(b"HTTP/1.1 200 ") and len(body) == length
        json.loads(body)


class PacingTests(TcpCase):
    def test_bandwidth_paces_the_response_and_closes_only_after_it(self):
        self.put_fault("thin", mode="bandwidth", layer="tcp", bytes_per_second="1000", burst_bytes="100")
        _, transport = self.get()
        queued = self.audit(action="bandwidth_queue")
        head_bytes, body_bytes = (event["bytes"] for event in queued)
        head_due, body_due = ((event["wait_ms"] - EPSILON) / 1000 for event in queued)
        assert transport.value() == b""
        self.clock.advance(head_due)
        assert len(transport.value()) == head_bytes and not transport.disconnecting
        self.clock.advance(body_due - head_due - EPSILON)
        assert len(transport.value()) == head_bytes and not transport.disconnecting
        self.clock.advance(2 * EPSILON)
        assert len(transport.value()) == head_bytes + body_bytes
        assert transport.disconnecting, "Connection: close once the whole response is out"
        self.assert_complete_response(transport.value())
        assert [event["wait_ms"] for event in queued] == [head_bytes - 100, head_bytes + body_bytes - 100]

    def test_delay_holds_every_byte_then_closes(self):
        self.put_fault("far", mode="delay", layer="tcp", direction="out", base_ms="200")
        _, transport = self.get()
        self.clock.advance(0.2 - EPSILON)
        assert transport.value() == b"" and not transport.disconnecting
        self.clock.advance(2 * EPSILON)
        self.assert_complete_response(transport.value())
        assert transport.disconnecting and not transport.disconnected
        assert {event["direction"] for event in self.audit(action="delay")} == {"out"}

    def test_an_inbound_delay_holds_the_request_before_the_engine(self):
        self.put_fault("far", mode="delay", layer="tcp", direction="in", base_ms="300")
        order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}
        body = json.dumps(order).encode()
        headers = {"X-API-Key": BOB_KEY, "Content-Type": "application/json"}
        _, transport = raw_http(self.factory, http_request("POST", "/api/v1/orders", headers, body))
        self.clock.advance(0.3 - EPSILON)
        assert self.bobs_orders() == [] and transport.value() == b""
        self.clock.advance(2 * EPSILON)
        assert len(self.bobs_orders()) == 1
        assert transport.value().startswith(b"HTTP/1.1 201 ")

    def test_a_stall_delivers_nothing_until_it_ends(self):
        self.put_fault("frozen", mode="stall", layer="tcp", direction="out", duration="1s")
        _, transport = self.get()
        self.clock.advance(0.999)
        assert transport.value() == b"" and not transport.disconnecting
        self.clock.advance(0.002)
        self.assert_complete_response(transport.value())
        assert transport.disconnecting


class RefusalTests(TcpCase):
    def test_an_outage_aborts_new_connections_unanswered(self):
        self.put_fault("down", mode="outage", layer="tcp", duration="1m")
        _, transport = self.get("/api/v1/health")
        self.clock.advance(0)
        assert transport.disconnected, "aborted, not closed cleanly"
        assert transport.value() == b""
        assert [event["action"] for event in self.audit()] == ["outage_drop", "outage"]

    def test_an_outage_that_starts_later_aborts_open_connections(self):
        self.put_fault("down", mode="outage", layer="tcp", start="1s", duration="1m")
        _, idle = raw_http(self.factory, b"")
        _, answered = self.get("/api/v1/health")
        assert answered.value().startswith(b"HTTP/1.1 200 ")
        self.clock.advance(1)
        assert idle.disconnected
        _, refused = self.get("/api/v1/health")
        self.clock.advance(0)
        assert refused.disconnected and refused.value() == b""

    def test_disconnect_resets_after_ms(self):
        self.put_fault("cut", mode="disconnect", layer="tcp", after_ms="100")
        _, transport = raw_http(self.factory, b"")
        self.clock.advance(0.099)
        assert not transport.disconnecting
        self.clock.advance(0.002)
        assert transport.disconnected
        (event,) = self.audit()
        assert (event["action"], event["how"], event["connection"]) == ("disconnect_after", "reset", "tcp-1")

    def test_disconnect_on_the_first_bytes_out_resets_before_they_are_sent(self):
        self.put_fault("cut", mode="disconnect", layer="tcp", direction="out", count="1")
        _, transport = self.get("/api/v1/health")
        assert transport.disconnected and transport.value() == b""
        _, second = self.get("/api/v1/health")
        assert second.value().startswith(b"HTTP/1.1 200 "), "count is over every connection"

    def test_a_clean_disconnect_closes_without_reset(self):
        self.put_fault("cut", mode="disconnect", layer="tcp", how="close", after_ms="50")
        _, transport = raw_http(self.factory, b"")
        self.clock.advance(0.051)
        assert transport.disconnecting and not transport.disconnected

    def test_connections_are_listed_while_open(self):
        protocol, _ = raw_http(self.factory, b"")
        assert list(self.controller.connections) == ["tcp-1"]
        protocol.connectionLost(None)
        assert self.controller.connections == {}


class WebSocketOverTcpTests(TcpCase):
    def test_a_websocket_upgraded_through_the_wrapper_is_delayed_byte_for_byte(self):
        client_factory = WebSocketClientFactory("ws://127.0.0.1/ws", reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        peer = IPv4Address("TCP", "127.0.0.1", 40001)
        server = self.factory.buildProtocol(peer)
        client = client_factory.buildProtocol(peer)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client, iosim.makeFakeClient(client))
        assert client_factory.opened
        self.put_fault("far", mode="delay", layer="tcp", direction="out", base_ms="500")
        client.sendMessage(b'{"op": "ping"}')
        pump.flush()
        self.clock.advance(0)
        pump.flush()
        assert client_factory.received == []
        self.clock.advance(0.5)
        pump.flush()
        assert [message["type"] for message in client_factory.received] == ["PONG"]
        assert sorted(self.controller.connections) == ["tcp-1", "ws-1"]


class EmptiedTests(TcpCase):
    def test_emptied_fires_when_the_last_connection_is_lost(self):
        self.successResultOf(self.factory.emptied())  # none open: at once
        first, _ = raw_http(self.factory, b"")
        second, _ = raw_http(self.factory, b"")
        emptied = self.factory.emptied()
        first.connectionLost(None)
        self.assertNoResult(emptied)
        second.connectionLost(None)
        self.successResultOf(emptied)

    def test_a_waiter_given_up_on_does_not_stop_the_others(self):
        protocol, _ = raw_http(self.factory, b"")
        abandoned, waiting = self.factory.emptied(), self.factory.emptied()
        abandoned.cancel()
        self.failureResultOf(abandoned)
        protocol.connectionLost(None)
        self.successResultOf(waiting)
