"""A listenKey on the market stream endpoint: the account's events on ``/ws/<listenKey>``,
``/stream?streams=<listenKey>`` or by ``SUBSCRIBE``, and ``listenKeyExpired`` after 60 quiet minutes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from autobahn.twisted.websocket import WebSocketClientFactory
from treq.testing import StubTreq
from twisted.test import iosim

from exchangesim.engine import Side
from exchangesim.service import binance_rest, binance_ws_api
from tests.failures.wiring import BOB_KEY, LOOPBACK, WsClient, pump_ws, take

from .support import BOB_SECRET, BinanceCalls
from .test_market_streams import StreamCase

MINUTE = 60.0


class UserDataStreamCase(BinanceCalls, StreamCase):
    """Bob's listenKey made over REST (``self.key``), and bob's REST calls signed as Binance signs them."""

    def setUp(self) -> None:
        super().setUp()
        self.binance = StubTreq(binance_rest(self.venue, self.venue_streams).resource())
        self.key = self.user_stream("POST")["listenKey"]

    def user_stream(self, method: str, **params: Any) -> Any:
        """Bob's ``/userDataStream`` call (his API key, no signature), answered 200."""
        headers = {"X-MBX-APIKEY": BOB_KEY}
        code, body, _ = self.binance_send(method, "/userDataStream", urlencode(params), headers=headers)
        assert code == 200, body
        return body

    def as_bob_signed(self, method: str, path: str, **params: Any) -> Any:
        """Bob's signed ``/api/v3`` call, answered 200."""
        code, body = self.signed(method, path, BOB_KEY, BOB_SECRET, **params)
        assert code == 200, body
        return body

    def place_over_rest(self, client_order_id: str) -> dict[str, Any]:
        return self.as_bob_signed(
            "POST",
            "/order",
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            price="100.00",
            quantity="0.01",
            newClientOrderId=client_order_id,
        )


class DeliveryTests(UserDataStreamCase):
    def test_orders_placed_over_rest_arrive_raw_on_ws_listen_key(self):
        client, pump = self.connect(f"/ws/{self.key}")
        self.place_over_rest("rest-1")
        pump_ws(self, pump)
        report, position = take(client)
        assert (report["e"], report["x"], report["X"], report["c"]) == (
            "executionReport",
            "NEW",
            "NEW",
            "rest-1",
        )
        assert (report["s"], report["S"], report["p"], report["q"]) == ("BTCUSD", "BUY", "100.00", "0.0100")
        assert position["e"] == "outboundAccountPosition"
        assert {"a": "USD", "f": position["B"][0]["f"], "l": "1"} in position["B"]
        self.as_bob_signed("DELETE", "/order", symbol="BTCUSD", origClientOrderId="rest-1")
        pump_ws(self, pump)
        canceled, _ = take(client)
        assert (canceled["x"], canceled["C"]) == ("CANCELED", "rest-1")

    def test_the_combined_stream_frames_them_with_the_key_beside_market_streams(self):
        client, pump = self.connect(f"/stream?streams={self.key}/btcusd@trade")
        self.place("default", Side.SELL, "50000", "0.01")
        self.place("bob", Side.BUY, "50000", "0.01")
        pump_ws(self, pump)
        received = take(client)
        assert {message["stream"] for message in received} == {self.key, "btcusd@trade"}
        bobs = [message["data"] for message in received if message["stream"] == self.key]
        assert [(event["e"], event.get("x")) for event in bobs] == [
            ("executionReport", "NEW"),
            ("executionReport", "TRADE"),
            ("outboundAccountPosition", None),
        ]
        assert (bobs[1]["X"], bobs[1]["l"], bobs[1]["L"]) == ("FILLED", "0.0100", "50000.00")

    def test_a_key_subscribed_on_an_open_connection_gets_a_deposit_as_a_balance_update(self):
        client, pump = self.connect("/ws")
        assert self.request(client, pump, {"method": "SUBSCRIBE", "params": [self.key], "id": 1}) == [
            {"result": None, "id": 1}
        ]
        assert self.request(client, pump, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == [
            {"result": [self.key], "id": 2}
        ]
        token = {"X-Admin-Token": self.venue.admin_token}
        assert (
            self.call("POST", "/admin/accounts/bob/fund", {"asset": "USD", "amount": "250.5"}, token)[0]
            == 200
        )
        pump_ws(self, pump)
        update, position = take(client)
        assert (update["e"], update["a"], update["d"]) == ("balanceUpdate", "USD", "250.5")
        assert position["B"] == [{"a": "USD", "f": "100250.5", "l": "0"}]
        assert self.request(client, pump, {"method": "UNSUBSCRIBE", "params": [self.key], "id": 3}) == [
            {"result": None, "id": 3}
        ]
        self.place("bob", Side.BUY, "100", "0.01")
        pump_ws(self, pump)
        assert take(client) == []

    def test_a_key_carries_only_its_own_accounts_events(self):
        client, pump = self.connect(f"/ws/{self.key}")
        self.place("default", Side.BUY, "100", "0.01")
        self.place_over_rest("bobs")
        pump_ws(self, pump)
        report, position = take(client)
        assert (report["e"], report["c"], report["x"]) == ("executionReport", "bobs", "NEW")
        assert position["e"] == "outboundAccountPosition"

    def test_a_key_started_over_the_ws_api_is_followed_here(self):
        ws_api = binance_ws_api(self.venue, self.venue_streams).buildProtocol(LOOPBACK)
        client_factory = WebSocketClientFactory("ws://sim/ws-api/v3", reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        api_client = client_factory.buildProtocol(LOOPBACK)
        api_pump = iosim.connect(
            ws_api, iosim.makeFakeServer(ws_api), api_client, iosim.makeFakeClient(api_client)
        )
        request = {"id": "s", "method": "userDataStream.start", "params": {"apiKey": BOB_KEY}}
        api_client.sendMessage(json.dumps(request).encode())
        pump_ws(self, api_pump)
        [started] = take(api_client)
        assert started["result"] == {"listenKey": self.key}  # the account's live key
        client, pump = self.connect(f"/ws/{started['result']['listenKey']}")
        self.place("bob", Side.BUY, "100", "0.01")
        pump_ws(self, pump)
        assert [event["e"] for event in take(client)] == ["executionReport", "outboundAccountPosition"]

    def test_faults_see_the_events_as_the_accounts_user_data(self):
        self.put_fault("mute", mode="drop", layer="ws", channel="userData", account="bob")
        client, pump = self.connect(f"/stream?streams={self.key}/btcusd@trade")
        self.place("default", Side.SELL, "50000", "0.01")
        self.place("bob", Side.BUY, "50000", "0.01")
        pump_ws(self, pump)
        assert {message["stream"] for message in take(client)} == {"btcusd@trade"}
        assert self.audit(fault="mute", channel="userData")


class LifetimeTests(UserDataStreamCase):
    def test_a_key_not_kept_alive_expires_after_60_minutes_with_listen_key_expired(self):
        client, pump = self.connect(f"/ws/{self.key}")
        pump_ws(self, pump, 60 * MINUTE - 1)
        assert take(client) == []
        pump_ws(self, pump, 1)
        assert take(client) == [{"e": "listenKeyExpired", "E": self.venue.now_ms(), "listenKey": self.key}]
        assert self.request(client, pump, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == [
            {"result": [], "id": 1}
        ]
        self.place("bob", Side.BUY, "100", "0.01")
        pump_ws(self, pump)
        assert take(client) == [] and client.factory.closed is None  # silent, and still open

    def test_the_combined_stream_frames_the_expiry_too(self):
        client, pump = self.connect(f"/stream?streams={self.key}")
        pump_ws(self, pump, 60 * MINUTE)
        [expired] = take(client)
        assert expired == {
            "stream": self.key,
            "data": {"e": "listenKeyExpired", "E": self.venue.now_ms(), "listenKey": self.key},
        }

    def test_a_keepalive_gives_another_60_minutes(self):
        client, pump = self.connect(f"/ws/{self.key}")
        pump_ws(self, pump, 59 * MINUTE)
        assert self.user_stream("PUT", listenKey=self.key) == {}
        pump_ws(self, pump, 60 * MINUTE - 1)
        assert take(client) == []
        pump_ws(self, pump, 1)
        assert [event["e"] for event in take(client)] == ["listenKeyExpired"]

    def test_delete_ends_the_stream_silently_and_the_connection_stays_open(self):
        client, pump = self.connect(f"/ws/{self.key}")
        assert self.user_stream("DELETE", listenKey=self.key) == {}
        self.place("bob", Side.BUY, "100", "0.01")
        pump_ws(self, pump, 60 * MINUTE)
        assert take(client) == [] and client.factory.closed is None
        assert self.request(client, pump, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == [
            {"result": [], "id": 1}
        ]
        assert self.request(client, pump, {"method": "UNSUBSCRIBE", "params": [self.key], "id": 2}) == [
            {"result": None, "id": 2}
        ]

    def test_a_key_no_longer_live_cannot_be_subscribed_and_names_nothing_in_a_path(self):
        self.user_stream("DELETE", listenKey=self.key)
        client, pump = self.connect("/ws")
        [refused] = self.request(client, pump, {"method": "SUBSCRIBE", "params": [self.key], "id": 1})
        assert refused["error"]["code"] == 2 and "listenKey" in refused["error"]["msg"]
        client, pump = self.connect(f"/ws/{self.key}")
        assert client.factory.opened
        assert self.request(client, pump, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == [
            {"result": [], "id": 1}
        ]
