"""The Binance WS-API user data stream with an Autobahn client in memory."""

from __future__ import annotations

import hashlib
import hmac
import json

from autobahn.twisted.websocket import WebSocketClientFactory
from twisted.test import iosim

from exchangesim.api.binance.ws_api import WsApiFactory
from exchangesim.engine import Side
from tests.failures.wiring import BOB_KEY, LOOPBACK, FaultCase, WsClient, pump_ws, take


class WsApiTests(FaultCase):
    def setUp(self) -> None:
        super().setUp()
        client_factory = WebSocketClientFactory("ws://sim/ws-api/v3", reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        server = WsApiFactory(self.venue).buildProtocol(LOOPBACK)
        self.client = client_factory.buildProtocol(LOOPBACK)
        self.pump = iosim.connect(
            server, iosim.makeFakeServer(server), self.client, iosim.makeFakeClient(self.client)
        )
        self.pump.flush()

    def subscribe(self, secret: str = "bob-secret") -> list:
        params = {"apiKey": BOB_KEY, "recvWindow": 10000, "timestamp": self.venue.now_ms()}
        text = "&".join(f"{name}={params[name]}" for name in sorted(params))
        params["signature"] = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
        request = {"id": "1", "method": "userDataStream.subscribe.signature", "params": params}
        self.client.sendMessage(json.dumps(request).encode())
        pump_ws(self, self.pump)
        return take(self.client)

    def test_a_signed_subscription_then_the_accounts_events(self):
        assert self.subscribe() == [{"id": "1", "status": 200, "result": {"subscriptionId": 0}}]
        self.place("bob", Side.BUY, "100", "0.1")
        self.place("default", Side.BUY, "101", "0.1")  # someone else's: not bob's to see
        pump_ws(self, self.pump)
        report, position = (message["event"] for message in take(self.client))
        assert report["e"] == "executionReport" and report["x"] == "NEW" and report["X"] == "NEW"
        assert report["p"] == "100.00" and report["S"] == "BUY" and report["s"] == "BTCUSD"
        assert position["e"] == "outboundAccountPosition"
        assert {"a": "USD", "f": position["B"][0]["f"], "l": "10"} in position["B"]

    def test_a_bad_signature_is_refused_with_1022(self):
        (answer,) = self.subscribe(secret="wrong")
        assert answer["status"] == 400 and answer["error"]["code"] == -1022
