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

    def request(self, method: str, secret: str = "bob-secret", request_id: str = "1", **extra) -> list:
        """Send one signed WS-API request (the parameters sorted and HMAC'd) and return the answers."""
        params = {"apiKey": BOB_KEY, "recvWindow": 10000, "timestamp": self.venue.now_ms(), **extra}
        text = "&".join(f"{name}={params[name]}" for name in sorted(params))
        params["signature"] = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
        request = {"id": request_id, "method": method, "params": params}
        self.client.sendMessage(json.dumps(request).encode())
        pump_ws(self, self.pump)
        return take(self.client)

    def answer_then_events(self, method: str, **params) -> list:
        """The answer to one request, then the user data events it caused (the engine publishes
        those while acting, so they may leave first)."""
        received = self.request(method, **params)
        return [m for m in received if "id" in m] + [m for m in received if "event" in m]

    def subscribe(self, secret: str = "bob-secret") -> list:
        return self.request("userDataStream.subscribe.signature", secret)

    def test_a_signed_subscription_then_the_accounts_events(self):
        weight = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}
        assert self.subscribe() == [
            {
                "id": "1",
                "status": 200,
                "result": {"subscriptionId": 0},
                "rateLimits": [{**weight, "count": 2}],
            }
        ]
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

    def test_orders_are_placed_and_canceled_over_the_same_socket(self):
        assert self.subscribe()[0]["status"] == 200
        placed, report, position = self.answer_then_events(
            "order.place",
            request_id="2",
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            price="100.00",
            quantity="0.1",
            newClientOrderId="ws-1",
        )
        assert (placed["id"], placed["status"]) == ("2", 200)
        order = placed["result"]
        assert (order["symbol"], order["status"], order["clientOrderId"], order["price"]) == (
            "BTCUSD",
            "NEW",
            "ws-1",
            "100.00",
        )
        assert (report["event"]["x"], report["event"]["c"]) == ("NEW", "ws-1")
        assert position["event"]["e"] == "outboundAccountPosition"
        assert self.venue.exchange.get_order_by_client_id("bob", "ws-1").status == "NEW"
        canceled, report, _ = self.answer_then_events(
            "order.cancel", request_id="3", symbol="BTCUSD", origClientOrderId="ws-1"
        )
        assert (canceled["status"], canceled["result"]["status"]) == (200, "CANCELED")
        assert report["event"]["x"] == "CANCELED"

    def test_order_refusals_carry_the_binance_codes(self):
        [unknown] = self.request("order.cancel", symbol="BTCUSD", orderId="999999")
        assert (unknown["status"], unknown["error"]["code"]) == (400, -2011)
        [poor] = self.request(
            "order.place",
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            price="90000.00",
            quantity="5",
        )
        assert poor["error"] == {
            "code": -2010,
            "msg": "Account has insufficient balance for requested action.",
        }
        [bad] = self.request("order.place", symbol="NOPE", side="BUY", type="MARKET", quantity="1")
        assert bad["error"]["code"] == -1121
        [unknown_method] = self.request("order.teleport")
        assert unknown_method["error"]["code"] == -1020
        self.client.sendMessage(json.dumps({"id": "x", "method": ["order.place"]}).encode())
        pump_ws(self, self.pump)
        [not_a_name] = take(self.client)
        assert (not_a_name["id"], not_a_name["error"]["code"]) == ("x", -1020)

    def test_a_deposit_is_a_balance_update_then_the_position(self):
        assert self.subscribe()[0]["status"] == 200
        token = {"X-Admin-Token": self.venue.admin_token}
        code, _ = self.call("POST", "/admin/accounts/bob/fund", {"asset": "USD", "amount": "250.5"}, token)
        assert code == 200
        pump_ws(self, self.pump)
        update, position = (message["event"] for message in take(self.client))
        assert (update["e"], update["a"], update["d"]) == ("balanceUpdate", "USD", "250.5")
        assert position["e"] == "outboundAccountPosition"
        assert position["B"] == [{"a": "USD", "f": "100250.5", "l": "0"}]

    def test_requests_spend_the_keys_request_weight_then_get_429_and_418_until_the_minute_ends(self):
        self.venue.limiter.limit = 5
        self.clock.advance(60 - self.clock.seconds() % 60)  # the start of a minute
        minute_ends_ms = self.venue.now_ms() + 60_000
        self.clock.advance(12.3456)
        self.venue.limiter.charge(f"key:{BOB_KEY}", 1)  # what a REST request with bob's key spent
        answers = [self.subscribe()[0] for _ in range(4)]  # weight 2 each
        assert [answer["status"] for answer in answers] == [200, 200, 429, 418]
        assert [answer["rateLimits"][0]["count"] for answer in answers] == [3, 5, 7, 9]
        throttled = answers[2]["error"]
        assert throttled["code"] == -1003 and "limit is 5 request weight per 1 MINUTE" in throttled["msg"]
        assert throttled["data"] == {"retryAfter": minute_ends_ms}
        self.clock.advance(60 - 12.3456)
        assert self.subscribe()[0]["status"] == 200

    def test_a_request_without_a_proven_key_spends_its_address_budget(self):
        self.venue.limiter.limit = 2
        self.clock.advance(60 - self.clock.seconds() % 60)
        refused = [self.subscribe(secret="wrong")[0] for _ in range(2)]
        assert [(answer["status"], answer["error"]["code"]) for answer in refused] == [
            (400, -1022),
            (429, -1003),
        ]
        assert self.subscribe()[0]["status"] == 200  # bob's key has its own budget
        assert self.subscribe(secret="wrong")[0]["status"] == 418  # the address stays banned
