"""The native WebSocket protocol, with an Autobahn client over an in-memory connection."""

import json

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.test import iosim
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.api.native import NativeWebSocketFactory


class _Client(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.opened = True

    def onMessage(self, payload, isBinary):
        self.factory.received.append(json.loads(payload))


class NativeWebSocketTests(SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        self.clock.advance(12.345)
        server_factory = NativeWebSocketFactory(self.clock)
        client_factory = WebSocketClientFactory("ws://sim/ws", reactor=self.clock)
        client_factory.protocol = _Client
        client_factory.opened, client_factory.received = False, []
        self.received = client_factory.received
        address = IPv4Address("TCP", "127.0.0.1", 1)
        server = server_factory.buildProtocol(address)
        self.client = client_factory.buildProtocol(address)
        self.pump = iosim.connect(
            server, iosim.makeFakeServer(server), self.client, iosim.makeFakeClient(self.client)
        )
        self.pump.flush()
        self.assertTrue(client_factory.opened)

    def _send(self, payload, binary=False):
        self.client.sendMessage(payload, isBinary=binary)
        self.pump.flush()
        return self.received.pop()

    def test_ping_is_answered_with_the_server_time(self):
        self.assertEqual(self._send(b'{"op": "ping"}'), {"type": "PONG", "ts": 12345})

    def test_an_unknown_op_names_the_field(self):
        reply = self._send(b'{"op": "dance"}')
        self.assertEqual(reply["type"], "ERROR")
        self.assertEqual((reply["error"]["code"], reply["error"]["field"]), ("UNKNOWN_OP", "op"))

    def test_bad_frames_are_answered_and_the_connection_lives_on(self):
        self.assertEqual(self._send(b"\x00\x01", binary=True)["error"]["code"], "BINARY_FRAME")
        self.assertEqual(self._send(b"{not json")["error"]["code"], "INVALID_JSON")
        self.assertEqual(self._send(b"[1, 2]")["error"]["code"], "INVALID_JSON")
        self.assertEqual(self._send(b'{"op": "ping"}')["type"], "PONG")
