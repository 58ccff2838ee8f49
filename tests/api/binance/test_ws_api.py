"""The Binance WS-API (user data subscriptions, listenKeys, sessions, orders) with an Autobahn client in
memory."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory
from twisted.test import iosim

from exchangesim.config import AccountConfig, Config
from exchangesim.engine import Side
from exchangesim.service import binance_ws_api
from exchangesim.signing import sign_payload
from tests.failures.wiring import BOB_KEY, LOOPBACK, FaultCase, WsClient, pump_ws, take

ALICE_KEY = "alice-key-0001"
PRICED = {"price": "100.00", "quantity": "0.1"}
RESULT_FIELDS = [  # Binance's order.place RESULT, in its order
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    "price",
    "origQty",
    "executedQty",
    "origQuoteOrderQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "workingTime",
    "selfTradePreventionMode",
]


class WsApiCase(FaultCase):
    """Bob (and alice) on one WS-API connection, ``self.client`` over ``self.pump``."""

    def make_config(self) -> Config:
        config = super().make_config()
        config.named_accounts["alice"] = AccountConfig(api_key=ALICE_KEY, api_secret="alice-secret")
        return config

    def setUp(self) -> None:
        super().setUp()
        self.listen_keys = self.venue_streams.listen_keys
        self.factory = binance_ws_api(self.venue, self.venue_streams)
        self.client, self.pump = self.connect()

    def connect(self, url: str = "ws://sim/ws-api/v3") -> tuple[WsClient, iosim.IOPump]:
        client_factory = WebSocketClientFactory(url, reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        server = self.factory.buildProtocol(LOOPBACK)
        client = client_factory.buildProtocol(LOOPBACK)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client, iosim.makeFakeClient(client))
        pump.flush()
        return client, pump

    def fault_account(self) -> str | None:
        """The account ws-layer faults see this test's connection act for."""
        (connection,) = self.factory.connections
        return connection.link.account

    def send_request(self, method: str, params: dict[str, Any] | None = None, request_id: str = "1") -> list:
        """Send one request with ``params`` as they are; the messages that arrived."""
        request = {"id": request_id, "method": method, **({} if params is None else {"params": params})}
        self.client.sendMessage(json.dumps(request).encode())
        pump_ws(self, self.pump)
        return take(self.client)

    def request(
        self, method: str, secret: str = "bob-secret", request_id: str = "1", key: str = BOB_KEY, **extra
    ) -> list:
        """Send one signed WS-API request and return the answers."""
        return self.send_request(method, self.signed(secret, key, **extra), request_id)

    def signed(self, secret: str = "bob-secret", key: str = BOB_KEY, **extra) -> dict[str, Any]:
        """Request parameters with ``apiKey``, ``timestamp`` and their ``signature`` (sorted and HMAC'd)."""
        params = {"apiKey": key, "recvWindow": 10000, "timestamp": self.venue.wall_ms(), **extra}
        text = "&".join(f"{name}={params[name]}" for name in sorted(params))
        params["signature"] = sign_payload(secret, text.encode())
        return params

    def answer_then_events(self, method: str, **params) -> list:
        """The answer to one request, then the user data events it caused (the engine publishes
        those while acting, so they may leave first)."""
        received = self.request(method, **params)
        return [m for m in received if "id" in m] + [m for m in received if "event" in m]

    def subscribe(self, secret: str = "bob-secret", key: str = BOB_KEY) -> list:
        return self.request("userDataStream.subscribe.signature", secret, key=key)


class WsApiTests(WsApiCase):
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

    def test_an_answer_leaves_in_the_turn_that_read_the_request(self):
        params = self.signed(symbol="BTCUSD", side="BUY", type="LIMIT", timeInForce="GTC", **PRICED)
        self.client.sendMessage(json.dumps({"id": 7, "method": "order.place", "params": params}).encode())
        self.pump.flush()  # bytes both ways, and no reactor turn
        [placed] = take(self.client)
        assert (placed["id"], placed["status"], placed["result"]["status"]) == (7, 200, "NEW")

    def test_an_outbound_delay_fault_still_holds_the_answer(self):
        self.put_fault("slow", mode="delay", layer="ws", direction="out", base_ms="500")
        params = self.signed(symbol="BTCUSD", side="BUY", type="LIMIT", timeInForce="GTC", **PRICED)
        self.client.sendMessage(json.dumps({"id": 8, "method": "order.place", "params": params}).encode())
        pump_ws(self, self.pump)
        assert take(self.client) == []
        pump_ws(self, self.pump, 1)
        [placed] = take(self.client)
        assert (placed["id"], placed["status"]) == (8, 200)

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
        self.venue.limiter.charge(None, 1, BOB_KEY)  # what a REST request with bob's key spent
        answers = [self.request("session.logon")[0] for _ in range(4)]  # weight 2 each, signed
        assert [answer["status"] for answer in answers] == [200, 200, 429, 418]
        assert [answer["rateLimits"][0]["count"] for answer in answers] == [3, 5, 7, 9]
        throttled = answers[2]["error"]
        assert throttled["code"] == -1003 and "limit is 5 request weight per 1 MINUTE" in throttled["msg"]
        assert throttled["data"] == {"retryAfter": minute_ends_ms}
        self.clock.advance(60 - 12.3456)
        assert self.request("session.logon")[0]["status"] == 200

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


class ListenKeyMethodTests(WsApiCase):
    def test_start_ping_and_stop_a_listen_key_with_the_api_key_alone(self):
        [started] = self.send_request("userDataStream.start", {"apiKey": BOB_KEY})
        key = started["result"]["listenKey"]
        assert (started["status"], started["rateLimits"][0]["count"]) == (200, 2)
        assert self.listen_keys.is_live(key)
        [again] = self.send_request("userDataStream.start", {"apiKey": BOB_KEY})
        assert again["result"] == {"listenKey": key}  # the account's live key, extended
        [pinged] = self.send_request("userDataStream.ping", {"apiKey": BOB_KEY, "listenKey": key})
        assert (pinged["status"], pinged["result"]) == (200, {})
        [stopped] = self.send_request("userDataStream.stop", {"apiKey": BOB_KEY, "listenKey": key})
        assert (stopped["status"], stopped["result"]) == (200, {})
        [gone] = self.send_request("userDataStream.ping", {"apiKey": BOB_KEY, "listenKey": key})
        assert (gone["status"], gone["error"]) == (
            400,
            {"code": -1125, "msg": "This listenKey does not exist."},
        )

    def test_the_api_key_must_be_sent_known_and_the_keys_owner(self):
        [unsent] = self.send_request("userDataStream.start", {})
        assert (unsent["status"], unsent["error"]["code"]) == (401, -2014)
        [unknown] = self.send_request("userDataStream.start", {"apiKey": "no-such-key"})
        assert (unknown["status"], unknown["error"]["code"]) == (401, -2015)
        alices = self.listen_keys.start("alice")
        [foreign] = self.send_request("userDataStream.stop", {"apiKey": BOB_KEY, "listenKey": alices})
        assert foreign["error"]["code"] == -1125 and self.listen_keys.is_live(alices)

    def test_a_missing_listen_key_is_named(self):
        [refused] = self.send_request("userDataStream.ping", {"apiKey": BOB_KEY})
        assert (refused["status"], refused["error"]["code"]) == (400, -1102)
        assert "'listenKey'" in refused["error"]["msg"]


class SubscriptionTests(WsApiCase):
    def test_one_subscription_per_account_numbered_up_on_the_connection(self):
        assert self.subscribe()[0]["result"] == {"subscriptionId": 0}
        [twice] = self.subscribe()
        assert twice["error"] == {"code": -2035, "msg": "User Data Stream subscription already active."}
        assert self.subscribe("alice-secret", ALICE_KEY)[0]["result"] == {"subscriptionId": 1}
        [listed] = self.send_request("session.subscriptions")
        assert listed["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
        self.place("alice", Side.BUY, "100", "0.01")
        pump_ws(self, self.pump)
        assert {message["subscriptionId"] for message in take(self.client)} == {1}

    def test_unsubscribe_ends_one_with_a_terminated_event_then_the_next_id_is_new(self):
        self.subscribe()
        self.subscribe("alice-secret", ALICE_KEY)
        terminated, answer = self.send_request("userDataStream.unsubscribe", {"subscriptionId": 0})
        assert terminated == {
            "subscriptionId": 0,
            "event": {"e": "eventStreamTerminated", "E": self.venue.now_ms()},
        }
        assert (answer["status"], answer["result"]) == (200, {})
        self.place("bob", Side.BUY, "100", "0.01")
        pump_ws(self, self.pump)
        assert take(self.client) == []
        assert self.subscribe()[0]["result"] == {"subscriptionId": 2}

    def test_unsubscribe_takes_an_id_as_text_none_means_all_and_an_unknown_one_is_no_error(self):
        self.subscribe()
        self.subscribe("alice-secret", ALICE_KEY)
        [quiet] = self.send_request("userDataStream.unsubscribe", {"subscriptionId": 7})
        assert quiet["result"] == {}
        *terminated, answer = self.send_request("userDataStream.unsubscribe", {"subscriptionId": "1"})
        assert [message["subscriptionId"] for message in terminated] == [1] and answer["result"] == {}
        *terminated, answer = self.send_request("userDataStream.unsubscribe")
        assert [message["subscriptionId"] for message in terminated] == [0]
        assert self.send_request("session.subscriptions")[0]["result"] == []
        assert self.fault_account() is None  # account-targeted faults no longer pick this connection

    def test_a_malformed_subscription_id_is_named(self):
        [refused] = self.send_request("userDataStream.unsubscribe", {"subscriptionId": "first"})
        assert (refused["status"], refused["error"]["code"]) == (400, -1100)
        assert "'subscriptionId'" in refused["error"]["msg"]


class SessionTests(WsApiCase):
    def logon(self) -> dict[str, Any]:
        [answer] = self.request("session.logon")
        assert answer["status"] == 200, answer
        return answer["result"]

    def test_logon_status_and_logout_describe_the_session(self):
        connected = self.venue.wall_ms()
        [status] = self.send_request("session.status")
        assert status["result"] == {
            "apiKey": None,
            "authorizedSince": None,
            "connectedSince": connected,
            "returnRateLimits": True,
            "serverTime": connected,
            "userDataStream": False,
        }
        self.clock.advance(2)
        later = connected + 2000
        assert self.logon() == {
            **status["result"],
            "apiKey": BOB_KEY,
            "authorizedSince": later,
            "serverTime": later,
        }
        [started] = self.send_request("userDataStream.start")  # the session's key stands for apiKey
        assert started["result"] == {"listenKey": self.listen_keys.start("bob")}
        [logout] = self.send_request("session.logout")
        assert (logout["result"]["apiKey"], logout["result"]["authorizedSince"]) == (None, None)

    def test_subscribe_needs_a_logon(self):
        [refused] = self.send_request("userDataStream.subscribe")
        assert (refused["status"], refused["error"]["code"]) == (401, -1002)

    def test_a_logged_on_session_subscribes_and_trades_with_a_timestamp_alone(self):
        self.logon()
        [subscribed] = self.send_request("userDataStream.subscribe", {"returnRateLimits": "false"})
        assert subscribed == {"id": "1", "status": 200, "result": {"subscriptionId": 0}}
        assert self.send_request("session.status")[0]["result"]["userDataStream"] is True
        order = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        received = self.send_request(
            "order.place", {**order, "price": "100.00", "quantity": "0.01", "timestamp": self.venue.wall_ms()}
        )
        [placed] = [message for message in received if "id" in message]
        assert (placed["status"], placed["result"]["status"]) == (200, "NEW")
        assert [message["event"]["e"] for message in received if "event" in message] == [
            "executionReport",
            "outboundAccountPosition",
        ]
        [untimed] = self.send_request("order.place", {**order, "price": "100.00", "quantity": "0.01"})
        assert (untimed["error"]["code"], "'timestamp'" in untimed["error"]["msg"]) == (-1102, True)

    def test_logout_ends_the_logon_subscription_only(self):
        self.logon()
        self.send_request("userDataStream.subscribe")
        self.subscribe("alice-secret", ALICE_KEY)
        terminated, logout = self.send_request("session.logout")
        assert (terminated["subscriptionId"], terminated["event"]["e"]) == (0, "eventStreamTerminated")
        assert logout["result"]["userDataStream"] is True  # alice's signature subscription lives on
        assert self.fault_account() == "alice"
        self.place("bob", Side.BUY, "100", "0.01")
        self.place("alice", Side.BUY, "100", "0.01")
        pump_ws(self, self.pump)
        assert {message["subscriptionId"] for message in take(self.client)} == {1}

    def test_a_key_withdrawn_during_the_session_ends_it(self):
        self.logon()
        assert self.fault_account() == "bob"
        self.venue.keys.forget("bob")
        cancel = {"symbol": "BTCUSD", "orderId": 1, "timestamp": self.venue.wall_ms()}
        [refused] = self.send_request("order.cancel", cancel)
        assert (refused["status"], refused["error"]["code"]) == (401, -2015)
        assert self.fault_account() is None  # the refusal ended the session: faults no longer pick it
        assert self.send_request("session.status")[0]["result"]["apiKey"] is None

    def test_a_logon_leaves_faults_on_the_newest_subscriptions_account(self):
        self.subscribe("alice-secret", ALICE_KEY)
        self.logon()
        assert self.fault_account() == "alice"
        self.send_request("userDataStream.unsubscribe")
        assert self.fault_account() == "bob"  # no subscription left: the logged-on key's

    def test_a_signature_of_another_key_type_is_refused_saying_the_keys_are_hmac(self):
        params = {"apiKey": BOB_KEY, "timestamp": self.venue.wall_ms(), "signature": "bm90IGFuIEhNQUM=" * 5}
        [refused] = self.send_request("session.logon", params)
        assert refused["error"]["code"] == -1022 and "HMAC-SHA256" in refused["error"]["msg"]


class RateLimitDisplayTests(WsApiCase):
    def test_return_rate_limits_false_leaves_them_out_per_request_or_per_connection(self):
        assert "rateLimits" in self.send_request("session.status")[0]
        assert "rateLimits" not in self.send_request("session.status", {"returnRateLimits": False})[0]
        self.client, self.pump = self.connect("ws://sim/ws-api/v3?returnRateLimits=false")
        [status] = self.send_request("session.status")
        assert "rateLimits" not in status and status["result"]["returnRateLimits"] is False
        assert "rateLimits" in self.send_request("session.status", {"returnRateLimits": "true"})[0]

    def test_a_return_rate_limits_neither_true_nor_false_is_named(self):
        [refused] = self.send_request("session.status", {"returnRateLimits": "sometimes"})
        assert refused["error"]["code"] == -1100 and "'returnRateLimits'" in refused["error"]["msg"]


class OrderAnswerTests(WsApiCase):
    """``order.place`` and ``order.cancel`` answer with Binance's fields, in Binance's order."""

    def place(self, **order: str) -> dict[str, Any]:
        [answer] = [m for m in self.request("order.place", symbol="BTCUSD", **order) if "id" in m]
        assert answer["status"] == 200, answer
        return answer["result"]

    def test_a_limit_order_answers_full_by_default_and_result_or_ack_when_asked(self):
        limit = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", **PRICED}
        full = self.place(**limit)
        assert list(full) == [*RESULT_FIELDS, "fills"] and full["fills"] == []
        assert (full["status"], full["workingTime"], full["origQuoteOrderQty"]) == (
            "NEW",
            full["transactTime"],
            "0.00",
        )
        assert list(self.place(newOrderRespType="RESULT", **limit)) == RESULT_FIELDS
        assert list(self.place(newOrderRespType="ACK", **limit)) == RESULT_FIELDS[:5]

    def test_a_stop_order_answers_ack_by_default_and_its_result_carries_the_stop_price(self):
        stop = {"side": "SELL", "type": "STOP_LOSS_LIMIT", "timeInForce": "GTC", "stopPrice": "41000.00"}
        stop.update(price="40000.00", quantity="0.001")
        assert list(self.place(**stop)) == RESULT_FIELDS[:5]
        result = self.place(newOrderRespType="RESULT", **stop)
        assert list(result) == [*RESULT_FIELDS[:14], "stopPrice", *RESULT_FIELDS[14:]]
        assert (result["stopPrice"], result["workingTime"]) == ("41000.00", -1)

    def test_a_cancel_answers_with_the_original_client_order_id_and_no_working_time(self):
        placed = self.place(side="BUY", type="LIMIT", timeInForce="GTC", newClientOrderId="keep-1", **PRICED)
        [answer] = self.request("order.cancel", symbol="BTCUSD", orderId=placed["orderId"])
        canceled = answer["result"]
        fields = [*RESULT_FIELDS[:1], "origClientOrderId", *RESULT_FIELDS[1:14], *RESULT_FIELDS[15:]]
        assert list(canceled) == fields
        assert (canceled["origClientOrderId"], canceled["status"]) == ("keep-1", "CANCELED")
