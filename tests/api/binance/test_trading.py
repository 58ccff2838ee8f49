"""Signed /api/v3 routes in memory: signing, the order lifecycle, cancel-replace and the error codes."""

from typing import Any
from urllib.parse import urlencode

from exchangesim.signing import sign_payload

from .support import ALICE_KEY, ALICE_SECRET, BOB_KEY, BOB_SECRET, BinanceCase

INSUFFICIENT = "Account has insufficient balance for requested action."


def limit(**fields):
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.5",
        "price": "49000.00",
    }
    return {key: value for key, value in (order | fields).items() if value is not None}


class SigningTests(BinanceCase):
    def test_the_account_lists_every_balance_as_free_and_locked(self):
        code, body = self.signed("GET", "/account")
        assert code == 200 and body["accountType"] == "SPOT"
        balances = {b["asset"]: (b["free"], b["locked"]) for b in body["balances"]}
        assert balances == {"BTC": ("10", "0"), "ETH": ("100", "0"), "USD": ("100000", "0")}

    def test_a_bad_signature_is_1022_and_a_stale_timestamp_1021(self):
        assert self.signed("GET", "/account", secret="wrong")[1]["code"] == -1022
        assert self.signed("GET", "/account", timestamp=self.now_ms() - 5001)[1]["code"] == -1021
        assert self.signed("GET", "/account", timestamp=self.now_ms() - 9000, recvWindow=10000)[0] == 200
        assert self.signed("GET", "/account", timestamp=self.now_ms() + 1001)[1]["code"] == -1021
        assert self.signed("GET", "/account", recvWindow=60001)[1]["code"] == -1131

    def test_keys_must_be_sent_and_known(self):
        code, body, _ = self.binance_send("GET", "/account", f"timestamp={self.now_ms()}")
        assert (code, body["code"]) == (401, -2014)
        assert self.signed("GET", "/account", key="nobody-key-1")[0:2] == (
            401,
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        )

    def test_the_signature_covers_the_raw_text_in_the_order_sent(self):
        text = f"symbol=BTCUSD&timestamp={self.now_ms()}&recvWindow=10000&side=BUY&type=LIMIT&timeInForce=GTC"
        text += "&quantity=0.5&price=49000"
        signed = text + "&signature=" + sign_payload(ALICE_SECRET, text.encode())
        code, body, _ = self.binance_send(
            "POST", "/order", body=signed.encode(), headers={"X-MBX-APIKEY": ALICE_KEY}
        )
        assert code == 200 and body["status"] == "NEW"
        resorted = (
            "&".join(sorted(text.split("&"))) + "&signature=" + sign_payload(ALICE_SECRET, text.encode())
        )
        code, body, _ = self.binance_send(
            "POST", "/order", body=resorted.encode(), headers={"X-MBX-APIKEY": ALICE_KEY}
        )
        assert body["code"] == -1022

    def test_the_query_and_the_body_are_signed_together(self):
        query = urlencode({"symbol": "BTCUSD", "timestamp": self.now_ms()})
        body = urlencode(limit(symbol=None))
        signature = sign_payload(ALICE_SECRET, (query + body).encode())
        code, answer, _ = self.binance_send(
            "POST", "/order", f"{query}&signature={signature}", body.encode(), {"X-MBX-APIKEY": ALICE_KEY}
        )
        assert code == 200 and answer["symbol"] == "BTCUSD", answer


class OrderTests(BinanceCase):
    def test_a_limit_order_rests_is_found_and_canceled(self):
        code, placed = self.signed(
            "POST", "/order", newClientOrderId="x-TKT5PX2F" + "a" * 22, newOrderRespType="FULL", **limit()
        )
        assert code == 200, placed
        assert (placed["status"], placed["price"], placed["origQty"], placed["fills"]) == (
            "NEW",
            "49000.00",
            "0.5000",
            [],
        )
        assert placed["clientOrderId"] == "x-TKT5PX2F" + "a" * 22
        assert not {"cumQuote", "positionSide"} & set(placed)
        code, found = self.signed("GET", "/order", symbol="BTCUSD", orderId=placed["orderId"])
        assert (code, found["status"], found["isWorking"]) == (200, "NEW", True)
        code, [listed] = self.signed("GET", "/openOrders", symbol="BTCUSD")
        assert listed["orderId"] == placed["orderId"]
        code, by_client = self.signed(
            "GET", "/order", symbol="BTCUSD", origClientOrderId=placed["clientOrderId"]
        )
        assert by_client["orderId"] == placed["orderId"]
        code, canceled = self.signed("DELETE", "/order", symbol="BTCUSD", orderId=placed["orderId"])
        assert (code, canceled["status"], canceled["origClientOrderId"]) == (
            200,
            "CANCELED",
            placed["clientOrderId"],
        )
        assert self.signed("DELETE", "/order", symbol="BTCUSD", orderId=placed["orderId"])[1] == {
            "code": -2011,
            "msg": "Unknown order sent.",
        }
        assert self.signed("GET", "/order", symbol="BTCUSD", orderId=999)[1] == {
            "code": -2013,
            "msg": "Order does not exist.",
        }
        code, every = self.signed("GET", "/allOrders", symbol="BTCUSD")
        assert [o["status"] for o in every] == ["CANCELED"]

    def bob_buys_at_market(self, **amount: str) -> tuple[int, Any]:
        """Bob's market buy of BTCUSD, by ``quantity`` or by ``quoteOrderQty``."""
        order = {"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", **amount}
        return self.signed("POST", "/order", key=BOB_KEY, secret=BOB_SECRET, **order)

    def test_market_orders_fill_with_fills_and_my_trades(self):
        self.signed("POST", "/order", **limit(side="SELL", price="50000.00"))
        code, taken = self.bob_buys_at_market(quantity="0.2")
        assert (code, taken["status"], taken["executedQty"], taken["cummulativeQuoteQty"]) == (
            200,
            "FILLED",
            "0.2000",
            "10000.00",
        )
        [fill] = taken["fills"]
        assert (fill["price"], fill["qty"], fill["commissionAsset"], fill["commission"]) == (
            "50000.00",
            "0.2000",
            "BTC",
            "0.0002",
        )
        code, by_cost = self.bob_buys_at_market(quoteOrderQty="5000")
        assert (by_cost["status"], by_cost["executedQty"], by_cost["origQuoteOrderQty"]) == (
            "FILLED",
            "0.1000",
            "5000.00",
        )
        code, trades = self.signed("GET", "/myTrades", key=BOB_KEY, secret=BOB_SECRET, symbol="BTCUSD")
        assert [(t["qty"], t["isBuyer"], t["isMaker"]) for t in trades] == [
            ("0.2000", True, False),
            ("0.1000", True, False),
        ]

    def test_post_only_ioc_and_response_types(self):
        self.signed("POST", "/order", **limit(side="SELL", price="50000.00", quantity="0.1"))
        code, body = self.signed(
            "POST", "/order", **limit(type="LIMIT_MAKER", timeInForce=None, price="50000.00")
        )
        assert body == {"code": -2010, "msg": "Order would immediately match and take."}
        code, ioc = self.signed("POST", "/order", **limit(price="50000.00", timeInForce="IOC"))
        assert (ioc["status"], ioc["executedQty"]) == ("EXPIRED", "0.1000")
        code, ack = self.signed("POST", "/order", newOrderRespType="ACK", **limit())
        assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
        code, result = self.signed("POST", "/order", newOrderRespType="RESULT", **limit())
        assert result["status"] == "NEW" and "fills" not in result
        code, stop = self.signed(
            "POST",
            "/order",
            **limit(type="STOP_LOSS_LIMIT", side="SELL", price="40000.00", stopPrice="41000.00"),
        )
        assert code == 200 and set(stop) == {
            "symbol",
            "orderId",
            "orderListId",
            "clientOrderId",
            "transactTime",
        }

    def test_bad_input_gets_the_binance_code_never_a_5xx(self):
        cases = [
            (limit(price="49000.001"), -1013, "Filter failure: PRICE_FILTER"),
            (limit(price="49000.005"), -1013, "Filter failure: PRICE_FILTER"),
            (limit(quantity="0.00005"), -1013, "Filter failure: LOT_SIZE"),
            (limit(quantity="0.0001", price="1.00"), -1013, "Filter failure: NOTIONAL"),
            (limit(quantity="100"), -2010, INSUFFICIENT),
            (limit(side="UP"), -1117, "Invalid side."),
            (limit(type="ICEBERG"), -1116, "Invalid orderType."),
            (limit(timeInForce="GTX"), -1115, "Invalid timeInForce."),
            (limit(symbol="DOGEUSD"), -1121, "Invalid symbol."),
            (
                limit(price=None),
                -1102,
                "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
            ),
            (limit(price="abc"), -1100, "Illegal characters found in parameter 'price'."),
            (limit(type="MARKET", timeInForce=None), -1106, "Parameter 'price' sent when not required."),
            (limit(newClientOrderId="x" * 37), -1100, None),
            (limit(newOrderRespType="ALL"), -1100, None),
        ]
        for order, code, msg in cases:
            status, body = self.signed("POST", "/order", **order)
            assert 400 <= status < 500 and body["code"] == code, (order, body)
            assert msg is None or body["msg"] == msg, (order, body)
        duplicate = limit(newClientOrderId="same-1")
        assert self.signed("POST", "/order", **duplicate)[0] == 200
        assert self.signed("POST", "/order", **duplicate)[1] == {
            "code": -2010,
            "msg": "Duplicate order sent.",
        }
        assert self.signed("GET", "/order", symbol="BTCUSD")[1]["code"] == -1102


class CancelTests(BinanceCase):
    def test_cancel_replace_swaps_an_order_and_stops_on_a_failed_cancel(self):
        _, first = self.signed("POST", "/order", **limit())
        code, swapped = self.signed(
            "POST",
            "/order/cancelReplace",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrderId=first["orderId"],
            **limit(price="48000.00"),
        )
        assert code == 200, swapped
        assert (swapped["cancelResult"], swapped["newOrderResult"]) == ("SUCCESS", "SUCCESS")
        assert swapped["cancelResponse"]["status"] == "CANCELED"
        assert swapped["newOrderResponse"]["price"] == "48000.00"
        code, failed = self.signed(
            "POST",
            "/order/cancelReplace",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrderId=first["orderId"],
            **limit(price="47000.00"),
        )
        assert (code, failed["code"]) == (400, -2022)
        assert failed["data"]["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
        assert failed["data"]["newOrderResult"] == "NOT_ATTEMPTED"
        _, open_orders = self.signed("GET", "/openOrders", symbol="BTCUSD")
        assert [o["price"] for o in open_orders] == ["48000.00"]

    def test_cancel_all_open_orders_of_a_symbol(self):
        self.signed("POST", "/order", **limit())
        self.signed("POST", "/order", **limit(price="48000.00"))
        self.signed("POST", "/order", **limit(symbol="ETHUSD", price="2000.00"))
        code, canceled = self.signed("DELETE", "/openOrders", symbol="BTCUSD")
        assert code == 200 and [o["status"] for o in canceled] == ["CANCELED", "CANCELED"]
        assert list(canceled[0]) == [  # Binance's cancel answer, as DELETE /order's; not GET /order's
            "symbol",
            "origClientOrderId",
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
            "selfTradePreventionMode",
        ]
        assert canceled[0]["transactTime"] == self.now_ms()
        _, left = self.signed("GET", "/openOrders")
        assert [o["symbol"] for o in left] == ["ETHUSD"]
        _, account = self.signed("GET", "/account")
        usd = next(b for b in account["balances"] if b["asset"] == "USD")
        assert usd["locked"] == "1000"

    def test_cancel_all_with_no_open_order_on_the_symbol_is_an_unknown_order(self):
        """Binance answers -2011 rather than an empty list (binance-connector-python issue #185)."""
        self.signed("POST", "/order", **limit(symbol="ETHUSD", price="2000.00"))
        code, body = self.signed("DELETE", "/openOrders", symbol="BTCUSD")
        assert (code, body) == (400, {"code": -2011, "msg": "Unknown order sent."})
        _, left = self.signed("GET", "/openOrders")
        assert [o["symbol"] for o in left] == ["ETHUSD"]

    def test_a_delete_reads_its_parameters_from_the_form_body_as_binance_does(self):
        """python-binance sends a DELETE's parameters, signature included, as a form body."""
        _, placed = self.signed("POST", "/order", **limit())
        code, canceled = self.signed(
            "DELETE", "/order", in_body=True, symbol="BTCUSD", orderId=placed["orderId"]
        )
        assert (code, canceled["status"], canceled["orderId"]) == (200, "CANCELED", placed["orderId"])
        self.signed("POST", "/order", **limit())
        code, canceled = self.signed("DELETE", "/openOrders", in_body=True, symbol="BTCUSD")
        assert code == 200 and [o["status"] for o in canceled] == ["CANCELED"]

    def test_a_delete_body_is_signed_as_received(self):
        _, placed = self.signed("POST", "/order", **limit())
        text = urlencode({"timestamp": self.now_ms(), "symbol": "BTCUSD", "orderId": placed["orderId"]})
        forged = text.replace("BTCUSD", "ETHUSD") + "&signature=" + sign_payload(ALICE_SECRET, text.encode())
        code, body, _ = self.binance_send(
            "DELETE", "/order", body=forged.encode(), headers={"X-MBX-APIKEY": ALICE_KEY}
        )
        assert (code, body["code"]) == (400, -1022)

    def test_query_and_body_mix_and_the_query_wins_a_parameter_sent_in_both(self):
        """Binance: "If a parameter sent in both the query string and request body, the query string
        parameter will be used"; the signature covers the query then the body."""
        _, placed = self.signed("POST", "/order", **limit())
        query = urlencode({"symbol": "BTCUSD", "orderId": placed["orderId"]})
        body = urlencode({"timestamp": self.now_ms(), "orderId": 999})
        signature = sign_payload(ALICE_SECRET, (query + body).encode())
        code, canceled, _ = self.binance_send(
            "DELETE", "/order", query, f"{body}&signature={signature}".encode(), {"X-MBX-APIKEY": ALICE_KEY}
        )
        assert (code, canceled["orderId"]) == (200, placed["orderId"]), canceled
        twice = urlencode({"timestamp": self.now_ms(), "symbol": "BTCUSD"}) + "&symbol=ETHUSD"
        code, body, _ = self.binance_send(
            "GET",
            "/openOrders",
            twice + "&signature=" + sign_payload(ALICE_SECRET, twice.encode()),
            headers={"X-MBX-APIKEY": ALICE_KEY},
        )
        assert (code, body["code"]) == (400, -1101)


class ClientOrderIdTests(BinanceCase):
    """Binance: newClientOrderId is "a unique id among open orders"; the same id is accepted again once
    the order it named is closed."""

    def test_an_id_is_refused_while_its_order_is_open_and_accepted_once_it_closed(self):
        _, first = self.signed("POST", "/order", **limit(newClientOrderId="again-1"))
        assert self.signed("POST", "/order", **limit(newClientOrderId="again-1"))[1] == {
            "code": -2010,
            "msg": "Duplicate order sent.",
        }
        self.signed("DELETE", "/order", symbol="BTCUSD", origClientOrderId="again-1")
        code, second = self.signed("POST", "/order", **limit(newClientOrderId="again-1", price="48000.00"))
        assert code == 200, second
        assert second["clientOrderId"] == "again-1" and second["orderId"] != first["orderId"]
        code, found = self.signed("GET", "/order", symbol="BTCUSD", origClientOrderId="again-1")
        assert (found["orderId"], found["status"]) == (second["orderId"], "NEW")
        code, canceled = self.signed("DELETE", "/order", symbol="BTCUSD", origClientOrderId="again-1")
        assert (code, canceled["orderId"]) == (200, second["orderId"])
        code, old = self.signed("GET", "/order", symbol="BTCUSD", orderId=first["orderId"])
        assert (old["clientOrderId"], old["status"]) == ("again-1", "CANCELED")

    def test_an_id_of_a_filled_order_is_free_again(self):
        self.signed("POST", "/order", **limit(side="SELL", price="50000.00", quantity="0.2"))
        order = {"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", "quantity": "0.1"}
        taken = self.signed(
            "POST", "/order", key=BOB_KEY, secret=BOB_SECRET, newClientOrderId="bob-1", **order
        )
        again = self.signed(
            "POST", "/order", key=BOB_KEY, secret=BOB_SECRET, newClientOrderId="bob-1", **order
        )
        assert (taken[1]["status"], again[0], again[1]["status"]) == ("FILLED", 200, "FILLED"), again

    def test_the_native_api_keeps_its_own_rule_for_the_same_account(self):
        """Open and the last 10,000 closed (DESIGN §10.21): the engine's default, unchanged."""
        self.signed("POST", "/order", **limit(newClientOrderId="native-1"))
        self.signed("DELETE", "/order", symbol="BTCUSD", origClientOrderId="native-1")
        exchange = self.venue.exchange
        with self.assertRaises(Exception) as raised:
            exchange.place(
                "alice", "BTC/USD", "BUY", "LIMIT", 5000, 4_900_000, ts=1, client_order_id="native-1"
            )
        assert raised.exception.code == "DUPLICATE_CLIENT_ORDER_ID"
