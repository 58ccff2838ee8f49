"""The native REST API in memory: order lifecycle, market data, bad input, and the error model."""

from decimal import Decimal

from exchangesim import __version__

from .support import RestCase, assert_matches


def order_body(**fields):
    """The seed's limit buy, with ``fields`` changed (None: left out)."""
    body = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.5", "price": "49000"} | fields
    return {key: value for key, value in body.items() if value is not None}


class PublicRoutesTests(RestCase):
    def test_health_reports_status_version_uptime_and_seed(self):
        self.clock.advance(2.5)
        code, body = self.call("GET", "/health")
        assert code == 200
        assert body == {
            "status": "ok",
            "version": __version__,
            "uptime_ms": 2500,
            "seed": 42,
            "market_time": self.venue.market_clock.start_ms + 2500,
            "market_lag_ms": 0,
        }
        assert_matches(body, "Health")

    def test_symbols_list_the_configured_instruments(self):
        code, body = self.call("GET", "/symbols")
        assert code == 200
        assert_matches(body, "Symbols")
        btc = body["symbols"][0]
        assert (btc["symbol"], btc["tick_size"], btc["lot_size"], btc["taker_fee"]) == (
            "BTC/USD",
            "0.01",
            "0.0001",
            "0.001",
        )

    def test_an_empty_market_has_a_ticker_without_prices(self):
        code, body = self.call("GET", "/ticker?symbol=BTC/USD")
        assert code == 200
        assert_matches(body, "Ticker")
        assert (body["last_price"], body["best_bid"], body["volume_24h"]) == (None, None, "0.0000")

    def test_the_openapi_document_is_served(self):
        code, body = self.call("GET", "/openapi.json")
        assert code == 200 and body["openapi"] == "3.1.0"
        assert "/orders/by-client-id/{client_order_id}" in body["paths"]

    def test_candles_start_flat_at_the_initial_price_and_close_on_the_clock(self):
        self.call(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "SELL", "type": "LIMIT", "quantity": "1", "price": "50100"},
        )
        self.as_bob(
            "POST", "/orders", {"symbol": "BTC/USD", "side": "BUY", "type": "MARKET", "quantity": "0.5"}
        )
        self.clock.advance(1)
        self.venue.statistics.close_candles(self.venue.now_ms())
        code, body = self.call("GET", "/candles?symbol=BTC/USD&interval=1s&limit=5")
        assert (code, body["symbol"], body["interval"]) == (200, "BTC/USD", "1s")
        assert_matches(body, "Candles")
        closed, current = body["candles"]
        assert (closed["open"], closed["high"], closed["close"], closed["volume"], closed["trades"]) == (
            "50100.00",
            "50100.00",
            "50100.00",
            "0.5000",
            1,
        )
        assert closed["closed"] and not current["closed"]
        assert current["open_time"] == closed["open_time"] + 1000
        assert (current["open"], current["volume"]) == ("50100.00", "0.0000")
        code, body = self.call("GET", "/candles?symbol=ETH/USD")
        assert (body["interval"], [c["close"] for c in body["candles"]]) == ("1m", ["3000.00"])

    def test_unknown_paths_and_methods_are_json_errors(self):
        code, body = self.call("GET", "/nope")
        assert (code, body["error"]["code"], body["error"]["field"]) == (404, "NOT_FOUND", "path")
        code, body = self.call("PUT", "/health")
        assert (code, body["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
        assert_matches(body, "Error")

    def test_query_parameters_are_checked(self):
        for path, field in [
            ("/ticker", "symbol"),
            ("/ticker?symbol=DOGE/USD", "symbol"),
            ("/orderbook?symbol=BTC/USD&depth=0", "depth"),
            ("/trades?symbol=BTC/USD&limit=x", "limit"),
            ("/trades?symbol=BTC/USD&limit=%C2%B2", "limit"),
            ("/orders?status=GONE", "status"),
            ("/orders/%C2%B2", "order_id"),
            ("/candles?symbol=BTC/USD&interval=2m", "interval"),
            ("/candles?symbol=BTC/USD&limit=0", "limit"),
        ]:
            code, body = self.call("GET", path)
            assert (code, body["error"]["field"]) == (400, field), path
            assert_matches(body, "Error")


class OrderLifecycleTests(RestCase):
    def place(self, **fields):
        return self.call("POST", "/orders", order_body(**fields))

    def balance(self, asset, caller=None):
        code, body = (caller or self.call)("GET", "/balance")
        assert code == 200, body
        return body["balances"][asset]

    def test_the_seeds_limit_order_rests_locks_its_cost_and_cancels(self):
        code, order = self.place()
        assert code == 201
        assert_matches(order, "PlacedOrder")
        assert (order["status"], order["price"], order["quantity"], order["fills"]) == (
            "NEW",
            "49000.00",
            "0.5000",
            [],
        )
        # 0.5 x 49000 plus the worst-case taker fee is held back
        assert Decimal(self.balance("USD")["locked"]) >= Decimal("24500")
        code, listed = self.call("GET", "/orders")
        assert [o["order_id"] for o in listed["orders"]] == [order["order_id"]]
        assert_matches(listed, "Orders")
        code, canceled = self.call("DELETE", f"/orders/{order['order_id']}")
        assert (code, canceled["status"]) == (200, "CANCELED")
        assert self.balance("USD") == {"available": "100000", "locked": "0", "total": "100000"}
        code, body = self.call("DELETE", f"/orders/{order['order_id']}")
        assert (code, body["error"]["code"]) == (409, "ORDER_NOT_OPEN")

    def test_averages_keep_the_price_precision_and_four_more_places_off_the_grid(self):
        self.place(side="SELL", quantity="0.5", price="50000")
        self.place(side="SELL", quantity="1", price="50000.01")
        code, taken = self.as_bob(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "1.5", "price": "50000.01"},
        )
        assert (code, taken["average_price"]) == (201, "50000.006667")  # 75000.01 / 1.5
        code, body = self.as_bob("GET", "/positions")
        (position,) = body["positions"]
        assert position["average_price"] == "50000.006667"
        code, body = self.call("GET", "/positions")
        assert [p["average_price"] for p in body["positions"]] == ["50000.006667"]

    def test_a_partial_fill_against_another_account_settles_both_with_fees(self):
        code, resting = self.place(side="SELL", quantity="1", price="50000")
        code, taken = self.as_bob(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.4", "price": "50000"},
        )
        assert (code, taken["status"], taken["filled_quantity"], taken["average_price"]) == (
            201,
            "FILLED",
            "0.4000",
            "50000.00",
        )
        [fill] = taken["fills"]
        assert (fill["liquidity"], fill["fee"], fill["fee_asset"]) == ("TAKER", "0.0004", "BTC")
        code, seller = self.call("GET", f"/orders/{resting['order_id']}")
        assert (seller["status"], seller["remaining_quantity"]) == ("PARTIALLY_FILLED", "0.6000")
        # the maker received 20,000 USD less its 0.1% fee; bob paid 20,000 and received 0.4 BTC less 0.0004
        assert self.balance("USD")["available"] == "119980"
        assert self.balance("BTC", self.as_bob) == {"available": "10.3996", "locked": "0", "total": "10.3996"}
        code, positions = self.as_bob("GET", "/positions")
        assert_matches(positions, "Positions")
        assert positions["positions"][0]["quantity"] == "0.4000"
        code, fills = self.call("GET", "/fills?symbol=BTC/USD")
        assert_matches(fills, "Fills")
        assert [(f["side"], f["liquidity"], f["quantity"]) for f in fills["fills"]] == [
            ("SELL", "MAKER", "0.4000")
        ]
        code, ticker = self.call("GET", "/ticker?symbol=BTC/USD")
        assert (ticker["last_price"], ticker["best_ask"], ticker["open_24h"], ticker["volume_24h"]) == (
            "50000.00",
            "50000.00",
            "50000.00",
            "0.4000",
        )
        code, trades = self.call("GET", "/trades?symbol=BTC/USD")
        assert_matches(trades, "Trades")
        assert [(t["price"], t["quantity"], t["side"]) for t in trades["trades"]] == [
            ("50000.00", "0.4000", "BUY")
        ]

    def test_the_order_book_aggregates_levels_and_reports_its_sequence(self):
        self.place(quantity="0.5", price="49000")
        self.place(quantity="0.25", price="49000")
        self.place(side="SELL", quantity="1", price="51000")
        code, book = self.call("GET", "/orderbook?symbol=BTC/USD&depth=5")
        assert code == 200, book
        assert_matches(book, "OrderBook")
        assert (book["bids"], book["asks"], book["sequence"]) == (
            [["49000.00", "0.7500"]],
            [["51000.00", "1.0000"]],
            3,
        )

    def test_a_client_order_id_is_unique_and_finds_its_order(self):
        code, first = self.place(client_order_id="retry-me")
        code, body = self.place(client_order_id="retry-me")
        assert (code, body["error"]["code"], body["error"]["order_id"]) == (
            409,
            "DUPLICATE_CLIENT_ORDER_ID",
            first["order_id"],
        )
        code, found = self.call("GET", "/orders/by-client-id/retry-me")
        assert (code, found["order_id"]) == (200, first["order_id"])
        assert self.call("GET", "/orders/by-client-id/never")[0] == 404

    def test_replace_amends_and_cancel_all_clears(self):
        code, order = self.place(quantity="0.5")
        code, amended = self.call("POST", f"/orders/{order['order_id']}/replace", {"quantity": "0.2"})
        assert (code, amended["order_id"], amended["quantity"]) == (200, order["order_id"], "0.2000")
        assert (
            self.call("POST", f"/orders/{order['order_id']}/replace", {})[1]["error"]["field"] == "quantity"
        )
        self.place(symbol="ETH/USD", price="2900", quantity="1")
        code, body = self.call("DELETE", "/orders?symbol=BTC/USD")
        assert [o["symbol"] for o in body["canceled"]] == ["BTC/USD"]
        code, body = self.call("GET", "/orders?status=ALL")
        assert sorted(o["status"] for o in body["orders"]) == ["CANCELED", "NEW"]

    def test_an_account_never_sees_or_cancels_anothers_orders(self):
        code, order = self.place()
        assert code == 201, order
        assert self.as_bob("GET", f"/orders/{order['order_id']}")[0] == 404
        assert self.as_bob("DELETE", f"/orders/{order['order_id']}")[0] == 404
        assert self.as_bob("GET", "/orders")[1] == {"orders": []}
        assert self.call("GET", f"/orders/{order['order_id']}")[1]["status"] == "NEW"


class BadInputTests(RestCase):
    """Each refusal is a 4xx naming the field, and nothing about the book or balances changes."""

    def assert_refused(self, status, field, **request):
        before = (self.call("GET", "/balance")[1], self.call("GET", "/orderbook?symbol=BTC/USD")[1])
        code, body = self.call("POST", "/orders", **request)
        assert (code, body["error"].get("field")) == (status, field), body
        assert_matches(body, "Error")
        after = (self.call("GET", "/balance")[1], self.call("GET", "/orderbook?symbol=BTC/USD")[1])
        assert after[0] == before[0] and after[1]["sequence"] == before[1]["sequence"]

    def test_malformed_bodies(self):
        self.assert_refused(400, "body", raw=b'{"symbol": ')
        self.assert_refused(400, "body", raw=b"[1, 2]")
        self.assert_refused(400, "body", raw=b'{"price": NaN}')
        self.assert_refused(400, "body", raw=b'{"side": "BUY", "side": "SELL"}')
        self.assert_refused(400, "body", raw=b'{"symbol": "\xff"}')
        self.assert_refused(400, "body", raw=b'{"a": ' * 50 + b"1" + b"}" * 50)
        self.assert_refused(
            400, "body", raw=b'{"a": ' + b"[" * 900 + b"]" * 900 + b"}"
        )  # deeper than recursion
        self.assert_refused(400, "body", raw=b'{"a": ' + b"[" * 30_000 + b"]" * 30_000 + b"}")
        self.assert_refused(413, "body", raw=b'{"symbol": "' + b"x" * 70000 + b'"}')
        self.assert_refused(415, "content-type", body=order_body(), content_type="text/plain")
        self.assert_refused(
            415, "content-type", body=order_body(), content_type="application/json; charset=latin-1"
        )
        assert (
            self.call("POST", "/orders", order_body(), content_type="application/json; charset=UTF-8")[0]
            == 201
        )

    def test_missing_extra_and_mistyped_fields(self):
        self.assert_refused(400, "side", body=order_body(side=None))
        self.assert_refused(400, "leverage", body=order_body(leverage="10"))
        self.assert_refused(400, "side", body=order_body(side=1))
        self.assert_refused(400, "side", body=order_body(side="UP"))
        self.assert_refused(400, "type", body=order_body(type="ICEBERG"))
        self.assert_refused(400, "symbol", body=order_body(symbol="DOGE/USD"))
        self.assert_refused(400, "symbol", body=order_body(symbol=["BTC/USD"]))

    def test_bad_numbers(self):
        for number in (b"1." + b"0" * 5000, b"1e-3000000"):  # too long to convert; too slow to scale
            raw = b'{"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.5", "price": %s}'
            self.assert_refused(400, "price", raw=raw % number)
        for price in ("0", "-1", "49000.001", "abc", "1e400", "Infinity", 49000.555, True):
            self.assert_refused(400, "price", body=order_body(price=price))
        for quantity in ("0.00001", "0", "5000", "0.5.5"):
            self.assert_refused(400, "quantity", body=order_body(quantity=quantity))

    def test_refusals_that_depend_on_state(self):
        self.assert_refused(422, "quantity", body=order_body(quantity="900", price="50000"))
        self.call("POST", "/orders", order_body(side="SELL", price="50000", quantity="1"))
        self.assert_refused(422, "price", body=order_body(type="LIMIT_MAKER", price="50000"))
