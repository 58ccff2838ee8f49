"""Account isolation on every route and channel of both dialects: an account never sees, cancels or
amends another's orders, nor sees its fills or balances. Through the whole service on a memory reactor.

Alice rests a buy; carol sells into half of it, so alice has an open order, a fill and changed
balances; bob, with his own key, tries every route on them.
"""

import json
from urllib.parse import quote, urlencode

from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import AccountConfig
from exchangesim.signing import sign, sign_payload

from ..memory_service import MemoryService, memory_config, status_and_json

KEYS = {name: (f"{name}-key-0001", f"{name}-secret") for name in ("alice", "bob", "carol")}


class IsolationCase(SynchronousTestCase):
    def setUp(self):
        config = memory_config()
        for name, (key, secret) in KEYS.items():
            config.named_accounts[name] = AccountConfig(api_key=key, api_secret=secret)
        self.sim = MemoryService(config)
        self.bob_balances_before = self.native("bob", "GET", "/balance")[1]
        status, order = self.native(
            "alice",
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.2", "price": "50000.00",
             "client_order_id": "alice-1"},
        )  # fmt: skip
        assert status == 201, order
        self.order_id = order["order_id"]
        status, _ = self.native(
            "carol",
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "SELL", "type": "MARKET", "quantity": "0.1"},
        )
        assert status == 201
        self.alice_order = self.native("alice", "GET", f"/orders/{self.order_id}")[1]
        assert self.alice_order["status"] == "PARTIALLY_FILLED"

    def native(self, account, method, path, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} /api/v1{path} HTTP/1.1", "Host: sim", f"X-API-Key: {KEYS[account][0]}"]
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        status, payload, _ = status_and_json(self.sim.http(raw).received)
        return status, payload

    def binance(self, account, method, path, **params):
        key, secret = KEYS[account]
        text = urlencode({**params, "timestamp": int(self.sim.reactor.seconds() * 1000)})
        text += "&signature=" + sign_payload(secret, text.encode())
        lines = [f"{method} /api/v3{path}?{text} HTTP/1.1", "Host: sim", f"X-MBX-APIKEY: {key}"]
        status, payload, _ = status_and_json(
            self.sim.http(("\r\n".join(lines) + "\r\n\r\n").encode()).received
        )
        return status, payload

    def assert_alice_untouched(self):
        assert self.native("alice", "GET", f"/orders/{self.order_id}")[1] == self.alice_order


class NativeRestTests(IsolationCase):
    def test_bob_cannot_see_cancel_or_amend_alices_order(self):
        path = f"/orders/{self.order_id}"
        assert self.native("bob", "GET", path)[0] == 404
        assert self.native("bob", "DELETE", path)[0] == 404
        assert self.native("bob", "POST", f"{path}/replace", {"quantity": "0.15"})[0] == 404
        assert self.native("bob", "GET", "/orders/by-client-id/alice-1")[0] == 404
        assert self.native("bob", "DELETE", "/orders?symbol=" + quote("BTC/USD"))[1] == {"canceled": []}
        assert self.native("bob", "GET", "/orders?status=ALL")[1] == {"orders": []}
        self.assert_alice_untouched()

    def test_bob_sees_only_his_own_fills_balances_and_positions(self):
        assert len(self.native("alice", "GET", "/fills")[1]["fills"]) == 1
        assert self.native("bob", "GET", "/fills")[1] == {"fills": []}
        assert self.native("bob", "GET", "/balance")[1] == self.bob_balances_before
        assert self.native("bob", "GET", "/positions")[1] == {"positions": []}


class BinanceRestTests(IsolationCase):
    def test_bob_cannot_see_or_cancel_alices_order_by_id_or_client_id(self):
        order_id = int(self.order_id)
        for method in ("GET", "DELETE"):
            status, body = self.binance("bob", method, "/order", symbol="BTCUSD", orderId=order_id)
            assert status == 400 and body["code"] in (-2013, -2011), body
            status, body = self.binance("bob", method, "/order", symbol="BTCUSD", origClientOrderId="alice-1")
            assert status == 400 and body["code"] in (-2013, -2011), body
        status, body = self.binance(
            "bob", "POST", "/order/cancelReplace", symbol="BTCUSD", side="BUY", type="LIMIT",
            timeInForce="GTC", quantity="0.1", price="40000.00", cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrderId=order_id,
        )  # fmt: skip
        assert status == 400, body
        self.binance("bob", "DELETE", "/openOrders", symbol="BTCUSD")
        self.assert_alice_untouched()

    def test_bob_lists_none_of_alices_orders_or_trades_and_only_his_balances(self):
        assert self.binance("bob", "GET", "/openOrders")[1] == []
        assert self.binance("bob", "GET", "/allOrders", symbol="BTCUSD")[1] == []
        assert self.binance("bob", "GET", "/myTrades", symbol="BTCUSD")[1] == []
        assert len(self.binance("alice", "GET", "/myTrades", symbol="BTCUSD")[1]) == 1
        balances = {b["asset"]: b["free"] for b in self.binance("bob", "GET", "/account")[1]["balances"]}
        before = {asset: b["available"] for asset, b in self.bob_balances_before["balances"].items()}
        assert {asset: balances[asset] for asset in before} == before


class WebSocketTests(IsolationCase):
    def ws_api(self, websocket, account, method, **extra):
        key, secret = KEYS[account]
        params = {"apiKey": key, "timestamp": int(self.sim.reactor.seconds() * 1000), **extra}
        text = "&".join(f"{name}={params[name]}" for name in sorted(params))
        params["signature"] = sign_payload(secret, text.encode())
        return self.sim.send_json(websocket, {"id": method, "method": method, "params": params})

    def test_bob_cannot_cancel_alices_order_over_the_ws_api_nor_hear_her_events(self):
        websocket = self.sim.websocket("/ws-api/v3")
        (subscribed,) = self.ws_api(websocket, "bob", "userDataStream.subscribe.signature")
        assert subscribed["status"] == 200
        (canceled,) = self.ws_api(websocket, "bob", "order.cancel", symbol="BTCUSD", orderId=self.order_id)
        assert (canceled["status"], canceled["error"]["code"]) == (400, -2011)
        self.native("alice", "DELETE", f"/orders/{self.order_id}")  # an event of alice's
        self.sim.settle()
        assert websocket.received == []

    def test_bob_hears_nothing_of_alices_orders_fills_or_balances_on_the_native_websocket(self):
        websocket = self.sim.websocket("/ws")
        key, secret = KEYS["bob"]
        timestamp = int(self.sim.reactor.seconds() * 1000)
        signature = sign(secret, timestamp, "GET", "/ws")
        auth = {"op": "auth", "api_key": key, "timestamp": timestamp, "signature": signature}
        assert self.sim.send_json(websocket, auth) == [{"type": "AUTHENTICATED", "account": "bob"}]
        replies = self.sim.send_json(
            websocket, *({"op": "subscribe", "channel": c} for c in ("ORDERS", "FILLS", "BALANCES"))
        )
        subscribed = [reply["channel"] for reply in replies if reply["type"] == "SUBSCRIBED"]
        assert subscribed == ["ORDERS", "FILLS", "BALANCES"], replies
        self.native(
            "carol",
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "SELL", "type": "MARKET", "quantity": "0.1"},
        )
        self.sim.settle()
        assert websocket.received == []
        # alice's order did trade meanwhile
        assert self.native("alice", "GET", f"/orders/{self.order_id}")[1]["status"] == "FILLED"
