"""Signed native requests mean one thing and act once: the canonical signing string, parameters in one
place, and the replay cache (REST, the WebSocket ``auth`` operation, and the ``duplicate`` fault's
repeat, which the Binance dialect executes twice as Binance would)."""

import hashlib
import hmac
import json
from urllib.parse import quote, urlencode

from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import AccountConfig
from exchangesim.engine import Side
from exchangesim.signing import canonical_request, sign, sign_payload, signature_matches

from ..memory_service import MemoryService, memory_config, request_bytes, status_and_json
from .native.support import BOB_KEY, BOB_SECRET, RestCase, place_limit


def test_the_canonical_string_separates_time_method_path_query_and_body():
    assert canonical_request(1700000000000, "delete", "/api/v1/orders?symbol=ETH/USD") == (
        b"1700000000000\nDELETE\n/api/v1/orders\nsymbol=ETH/USD\n"
    )
    assert canonical_request(5, "POST", "/api/v1/orders", b'{"a":1}') == b'5\nPOST\n/api/v1/orders\n\n{"a":1}'
    assert canonical_request(5, "GET", "/ws") == b"5\nGET\n/ws\n\n"
    # only the first ? splits: the query is kept exactly as sent
    assert canonical_request(5, "GET", "/a?b=?c&d") == b"5\nGET\n/a\nb=?c&d\n"


def test_sign_is_the_hmac_of_the_canonical_string():
    """A known answer (the README's), for anyone signing without exchangesim.signing."""
    payload = b"1700000000000\nDELETE\n/api/v1/orders\nsymbol=ETH%2FUSD\n"
    expected = "7d4613a37d02c2b825ac2ef32d846ca6f7025fb684a2cc4a0db6fe892cb583c5"
    assert hmac.new(b"s3cret", payload, hashlib.sha256).hexdigest() == expected
    assert sign("s3cret", 1700000000000, "DELETE", "/api/v1/orders?symbol=ETH%2FUSD") == expected


def test_moving_parameters_between_query_body_and_path_changes_the_signature():
    signed = sign("s3cret", 1000, "DELETE", "/api/v1/orders?symbol=ETH/USD")
    for target, body in [
        ("/api/v1/orders", b"?symbol=ETH/USD"),  # the old string could not tell these apart
        ("/api/v1/orders", b"symbol=ETH/USD"),
        ("/api/v1/orders?", b"symbol=ETH/USD"),
        ("/api/v1/orders?symbol=ETH", b"/USD"),
        ("/api/v1/orders?symbol=ETH/USD", b"\n"),
    ]:
        assert not signature_matches(signed, "s3cret", 1000, "DELETE", target, body), (target, body)
    assert signature_matches(signed, "s3cret", 1000, "delete", "/api/v1/orders?symbol=ETH/USD")
    assert sign("s", 1, "GET", "/a?b", b"") != sign("s", 1, "GET", "/a", b"b")
    assert sign("s", 1, "GET", "/ab") != sign("s", 1, "GET", "/a?b")


class SignedCase(RestCase):
    def now_ms(self):
        """The server's time as the receive window reads it."""
        return int(self.clock.seconds() * 1000)


class ParameterPlaceTests(SignedCase):
    """Account routes read their parameters from one place; the other one must be empty."""

    def signed_headers(self, method, target, body=b""):
        timestamp = self.now_ms()
        return {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(timestamp),
            "X-Signature": sign(BOB_SECRET, timestamp, method, target, body),
        }

    def test_a_captured_cancel_all_cannot_be_moved_into_the_body_to_cancel_every_symbol(self):
        btc = place_limit(self.venue, "bob", Side.BUY, "100", "0.01", "BTC/USD")
        eth = place_limit(self.venue, "bob", Side.BUY, "100", "0.01", "ETH/USD")
        target = f"/orders?symbol={quote('ETH/USD', safe='')}"
        captured = self.signed_headers("DELETE", target)
        # The attacker re-sends it with the query moved into the body: DELETE /orders cancels everything.
        moved = target[target.index("?") :].encode()  # the old string signed "/orders" + "?symbol=..."
        code, body = self.call("DELETE", "/orders", raw=moved, headers=captured)
        open_orders = {order.order_id for order in self.venue.exchange.open_orders("bob", None)}
        assert open_orders == {btc.order_id, eth.order_id}, body
        assert (code, body["error"]["code"], body["error"]["field"]) == (400, "UNEXPECTED_BODY", "body")
        # The request as bob sent it cancels his ETH/USD order only.
        code, body = self.call("DELETE", target, headers=captured)
        assert (code, [o["symbol"] for o in body["canceled"]]) == (200, ["ETH/USD"])

    def test_a_body_on_a_get_or_delete_is_refused_naming_it(self):
        for method, path in [
            ("GET", "/balance"),
            ("GET", "/orders"),
            ("DELETE", "/orders/1"),
            ("DELETE", "/orders"),
        ]:
            code, body = self.call(method, path, {"symbol": "BTC/USD"}, headers={"X-API-Key": BOB_KEY})
            assert (code, body["error"]["code"], body["error"]["field"]) == (400, "UNEXPECTED_BODY", "body")
            assert method in body["error"]["message"]

    def test_a_query_parameter_on_a_post_is_refused_naming_it(self):
        order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}
        code, body = self.call("POST", "/orders?symbol=ETH/USD", order, headers={"X-API-Key": BOB_KEY})
        assert (code, body["error"]["code"], body["error"]["field"]) == (
            400,
            "UNEXPECTED_QUERY_PARAMETER",
            "symbol",
        )
        code, body = self.call("POST", "/orders/1/replace?price=1", {"quantity": "0.01"})
        assert (code, body["error"]["field"]) == (400, "price")
        assert self.venue.exchange.orders("bob", None, None) == []
        assert self.venue.exchange.orders("default", None, None) == []

    def test_an_empty_query_or_body_is_no_parameter(self):
        order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}
        assert self.call("POST", "/orders?", order)[0] == 201
        assert self.call("GET", "/balance", raw=b"", headers={"Content-Length": "0"})[0] == 200


class ReplayTests(SignedCase):
    def signed(self, method, target, body=None, timestamp=None):
        data = b"" if body is None else json.dumps(body).encode()
        timestamp = self.now_ms() if timestamp is None else timestamp
        headers = {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(timestamp),
            "X-Signature": sign(BOB_SECRET, timestamp, method, target, data),
        }
        return headers, data if body is not None else None

    def order(self, **fields):
        return {
            "symbol": "BTC/USD",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "100",
            **fields,
        }

    def test_one_signed_order_sent_three_times_is_one_order(self):
        headers, data = self.signed("POST", "/orders", self.order())
        answers = [self.call("POST", "/orders", raw=data, headers=headers) for _ in range(3)]
        assert len(self.venue.exchange.orders("bob", None, None)) == 1, answers
        assert answers[0][0] == 201
        for code, body in answers[1:]:
            assert (code, body["error"]["code"], body["error"]["field"]) == (
                401,
                "REPLAYED_SIGNATURE",
                "x-signature",
            )
        assert len(self.venue.exchange.orders("bob", None, None)) == 1

    def test_the_signature_in_another_case_is_the_same_signature(self):
        headers, _ = self.signed("GET", "/balance")
        assert self.call("GET", "/balance", headers=headers)[0] == 200
        shouted = {**headers, "X-Signature": " " + headers["X-Signature"].upper()}
        assert self.call("GET", "/balance", headers=shouted)[1]["error"]["code"] == "REPLAYED_SIGNATURE"

    def test_the_same_request_with_a_new_timestamp_is_a_new_request(self):
        now = self.now_ms()
        for timestamp in (now, now + 1, now - 1):
            headers, data = self.signed("POST", "/orders", self.order(), timestamp)
            assert self.call("POST", "/orders", raw=data, headers=headers)[0] == 201
        assert len(self.venue.exchange.orders("bob", None, None)) == 3

    def test_a_refused_signature_is_not_used_up(self):
        headers, data = self.signed("POST", "/orders", self.order())
        wrong_key = {**headers, "X-API-Key": "nobody-key"}
        assert self.call("POST", "/orders", raw=data, headers=wrong_key)[0] == 401
        assert self.call("POST", "/orders", raw=data, headers=headers)[0] == 201

    def test_signatures_are_forgotten_once_their_timestamp_leaves_the_window(self):
        authenticator = self.venue.authenticator
        now = self.now_ms()
        for age in range(50, 0, -1):
            headers, _ = self.signed("GET", "/balance", timestamp=now - age)
            assert self.call("GET", "/balance", headers=headers)[0] == 200
        old, _ = self.signed("GET", "/balance", timestamp=now)
        assert self.call("GET", "/balance", headers=old)[0] == 200
        assert authenticator.used_signatures == 51
        self.clock.advance(5.0)  # recv_window_ms is 5000: ``old`` is at the window's edge
        assert self.call("GET", "/balance", headers=old)[1]["error"]["code"] == "REPLAYED_SIGNATURE"
        assert authenticator.used_signatures == 1  # the 50 older ones left the window, and the cache
        self.clock.advance(0.002)
        code, body = self.call("GET", "/balance", headers=old)
        assert (code, body["error"]["code"]) == (401, "TIMESTAMP_OUTSIDE_WINDOW")
        fresh, _ = self.signed("GET", "/balance")
        assert self.call("GET", "/balance", headers=fresh)[0] == 200
        assert authenticator.used_signatures == 1  # memory is bounded by the window


def _service(**faults):
    config = memory_config()
    config.named_accounts["bob"] = AccountConfig(api_key=BOB_KEY, api_secret=BOB_SECRET)
    if faults:
        config.failures.enabled = True
        config.faults = faults
    return MemoryService(config)


class WholeServiceTests(SynchronousTestCase):
    """Through the daemon's tree: the rate limiter, the fault wrapper and both dialects."""

    def native_order(self, sim, client_order_id=None):
        body = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}
        if client_order_id is not None:
            body["client_order_id"] = client_order_id
        data = json.dumps(body).encode()
        timestamp = int(sim.reactor.seconds() * 1000)
        signature = sign(BOB_SECRET, timestamp, "POST", "/api/v1/orders", data)
        headers = (
            f"X-API-Key: {BOB_KEY}",
            f"X-Timestamp: {timestamp}",
            f"X-Signature: {signature}",
            "Content-Type: application/json",
        )
        return request_bytes("POST", "/api/v1/orders", *headers, body=data)

    def binance_order(self, sim):
        text = urlencode(
            {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
             "price": "100", "timestamp": int(sim.reactor.seconds() * 1000)}
        )  # fmt: skip
        body = f"{text}&signature={sign_payload(BOB_SECRET, text.encode())}".encode()
        headers = (f"X-MBX-APIKEY: {BOB_KEY}", "Content-Type: application/x-www-form-urlencoded")
        return request_bytes("POST", "/api/v3/order", *headers, body=body)

    def bobs_orders(self, sim):
        return sim.service.venue.exchange.orders("bob", None, None)

    def test_a_signed_request_passes_the_rate_limiter_and_acts_once(self):
        sim = _service()
        request = self.native_order(sim)
        first = status_and_json(sim.http(request).received)
        again = status_and_json(sim.http(request).received)
        assert first[0] == 201
        assert (again[0], again[1]["error"]["code"]) == (401, "REPLAYED_SIGNATURE")
        assert len(self.bobs_orders(sim)) == 1

    def test_the_duplicate_fault_repeat_of_a_signed_native_order_is_refused_as_a_replay(self):
        sim = _service(retry={"mode": "duplicate", "route": "POST /api/v1/orders"})
        status, body, _ = status_and_json(sim.http(self.native_order(sim)).received)
        (order,) = self.bobs_orders(sim)
        assert (status, body["order_id"]) == (201, str(order.order_id))
        (event,) = [e for e in sim.service.venue.faults.audit.recent if e.get("fault") == "retry"]
        assert event["repeat"] == "refused: REPLAYED_SIGNATURE"
        assert event["engine_effect"] == (
            f"executed once: order {order.order_id} NEW; the repeat refused: REPLAYED_SIGNATURE"
        )
        assert (event["order_id"], event["duplicate_order_id"]) == (str(order.order_id), None)

    def test_answer_second_gives_the_client_the_replay_refusal(self):
        sim = _service(retry={"mode": "duplicate", "route": "POST /api/v1/orders", "answer": "second"})
        status, body, _ = status_and_json(sim.http(self.native_order(sim)).received)
        assert (status, body["error"]["code"]) == (401, "REPLAYED_SIGNATURE")
        assert len(self.bobs_orders(sim)) == 1

    def test_the_duplicate_fault_repeat_of_a_binance_order_executes_twice_as_binance_would(self):
        sim = _service(retry={"mode": "duplicate", "route": "POST /api/v3/order"})
        status, body, _ = status_and_json(sim.http(self.binance_order(sim)).received)
        first, second = self.bobs_orders(sim)
        assert (status, body["orderId"]) == (200, first.order_id)
        (event,) = [e for e in sim.service.venue.faults.audit.recent if e.get("fault") == "retry"]
        assert event["repeat"] == "executed"
        assert event["engine_effect"].startswith(f"executed twice: order {first.order_id} NEW; then order")
        assert event["duplicate_order_id"] == str(second.order_id)

    def test_the_binance_dialect_keeps_binances_rules_and_accepts_a_replay_in_recv_window(self):
        sim = _service()
        request = self.binance_order(sim)
        assert status_and_json(sim.http(request).received)[0] == 200
        assert status_and_json(sim.http(request).received)[0] == 200
        assert len(self.bobs_orders(sim)) == 2

    def test_a_replayed_websocket_auth_is_refused_and_the_connection_stays_anonymous(self):
        sim = _service()
        timestamp = int(sim.reactor.seconds() * 1000)
        auth = {"op": "auth", "api_key": BOB_KEY, "timestamp": timestamp}
        auth["signature"] = sign(BOB_SECRET, timestamp, "GET", "/ws")
        first, replay = sim.websocket("/ws"), sim.websocket("/ws")
        assert sim.send_json(first, auth) == [{"type": "AUTHENTICATED", "account": "bob"}]
        (refused,) = sim.send_json(replay, auth)
        assert (refused["type"], refused["op"], refused["error"]["code"]) == (
            "ERROR",
            "auth",
            "REPLAYED_SIGNATURE",
        )
        (reply,) = sim.send_json(replay, {"op": "subscribe", "channel": "ORDERS"})
        assert reply["error"]["code"] == "AUTH_REQUIRED"
        sim.reactor.advance(0.001)
        timestamp += 1
        fresh = {**auth, "timestamp": timestamp, "signature": sign(BOB_SECRET, timestamp, "GET", "/ws")}
        assert sim.send_json(replay, fresh) == [{"type": "AUTHENTICATED", "account": "bob"}]
