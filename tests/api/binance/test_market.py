"""Public /api/v3 routes in memory: exchangeInfo, depth, trades, klines and tickers as ccxt reads them."""

from exchangesim.signing import sign_payload

from .support import ALICE_KEY, ALICE_SECRET, BinanceCase

CONTRACT_KEYS = {"contractType", "deliveryDate", "expiryDate", "underlying", "marginAsset", "tradability"}


class MarketTests(BinanceCase):
    def trade(self, price="50000.00", quantity="0.5"):
        """Alice rests a sell and bob takes it."""
        assert (
            self.signed(
                "POST",
                "/order",
                symbol="BTCUSD",
                side="SELL",
                type="LIMIT",
                timeInForce="GTC",
                quantity=quantity,
                price=price,
            )[0]
            == 200
        )
        code, body = self.signed(
            "POST",
            "/order",
            key="bob-key-0001",
            secret="bob-secret",
            symbol="BTCUSD",
            side="BUY",
            type="MARKET",
            quantity=quantity,
        )
        assert code == 200 and body["status"] == "FILLED", body

    def test_ping_and_time(self):
        assert self.public("/ping") == (200, {})
        assert self.public("/time") == (200, {"serverTime": self.now_ms()})

    def test_exchange_info_lists_spot_symbols_with_the_instruments_filters(self):
        code, body = self.public("/exchangeInfo")
        assert code == 200
        btc = body["symbols"][0]
        assert (btc["symbol"], btc["baseAsset"], btc["quoteAsset"], btc["status"]) == (
            "BTCUSD",
            "BTC",
            "USD",
            "TRADING",
        )
        filters = {f["filterType"]: f for f in btc["filters"]}
        assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
        assert (filters["LOT_SIZE"]["stepSize"], filters["LOT_SIZE"]["minQty"]) == ("0.0001", "0.0001")
        assert filters["NOTIONAL"]["minNotional"] == "1"
        assert not CONTRACT_KEYS & set(btc) and "TRD_GRP_003" not in btc["permissions"]
        assert body["rateLimits"][0]["limit"] == 6000

    def test_depth_carries_the_book_sequence_as_last_update_id(self):
        self.signed(
            "POST",
            "/order",
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.5",
            price="49000.00",
        )
        sequence = self.venue.exchange.depth("BTC/USD").sequence
        code, body = self.public("/depth", symbol="BTCUSD", limit=5)
        assert code == 200
        assert body == {"lastUpdateId": sequence, "bids": [["49000.00", "0.5000"]], "asks": []}

    def test_trades_agg_trades_and_klines(self):
        self.trade()
        code, [trade] = self.public("/trades", symbol="BTCUSD")
        assert (trade["price"], trade["qty"], trade["isBuyerMaker"]) == ("50000.00", "0.5000", False)
        code, [agg] = self.public("/aggTrades", symbol="BTCUSD", limit=10)
        assert (agg["a"], agg["p"], agg["q"], agg["m"]) == (trade["id"], "50000.00", "0.5000", False)
        code, rows = self.public("/klines", symbol="BTCUSD", interval="1m", limit=2)
        assert code == 200 and rows[-1][4] == "50000.00" and rows[-1][5] == "0.5000"
        assert rows[-1][6] == rows[-1][0] + 59_999
        assert (rows[-1][8], rows[-1][9], rows[-1][10]) == (1, "0.5000", "25000.00")  # bob bought: taker buy
        assert self.public("/klines", symbol="BTCUSD", interval="7m") == (
            400,
            {"code": -1120, "msg": "Invalid interval."},
        )

    def test_tickers_for_one_several_or_every_symbol(self):
        self.trade()
        code, one = self.public("/ticker/24hr", symbol="BTCUSD")
        assert code == 200 and isinstance(one, dict)
        assert (one["lastPrice"], one["volume"], one["openPrice"]) == ("50000.00", "0.5000", "50000.00")
        assert {"bidQty", "askQty", "closeTime"} <= set(one) and "time" not in one
        self.trade(quantity="0.25")
        code, one = self.public("/ticker/24hr", symbol="BTCUSD")
        assert (one["count"], one["lastId"] - one["firstId"], one["lastQty"]) == (2, 1, "0.2500")
        code, several = self.public("/ticker/24hr", symbols='["BTCUSD"]')
        assert code == 200 and [t["symbol"] for t in several] == ["BTCUSD"]
        code, every = self.public("/ticker/24hr")
        assert [t["symbol"] for t in every] == ["BTCUSD", "ETHUSD"]
        assert self.public("/ticker/price", symbol="BTCUSD") == (
            200,
            {"symbol": "BTCUSD", "price": "50000.00"},
        )
        code, books = self.public("/ticker/bookTicker", symbols='["BTCUSD","ETHUSD"]')
        assert [b["symbol"] for b in books] == ["BTCUSD", "ETHUSD"]

    def test_a_rolling_window_ticker_counts_from_the_minute_window_size_before_now(self):
        """GET /ticker: ``openTime`` on a minute, ``closeTime`` now, Binance's FULL and MINI fields."""
        self.trade()  # 20 s into a minute (START)
        self.clock.advance(120)
        self.trade(price="51000.00", quantity="0.25")
        now = self.now_ms()
        code, day = self.public("/ticker", symbol="BTCUSD")
        assert code == 200
        assert list(day) == [
            "symbol",
            "priceChange",
            "priceChangePercent",
            "weightedAvgPrice",
            "openPrice",
            "highPrice",
            "lowPrice",
            "lastPrice",
            "volume",
            "quoteVolume",
            "openTime",
            "closeTime",
            "firstId",
            "lastId",
            "count",
        ]
        assert (day["openPrice"], day["highPrice"], day["lowPrice"], day["lastPrice"]) == (
            "50000.00",
            "51000.00",
            "50000.00",
            "51000.00",
        )
        assert (day["volume"], day["priceChange"], day["count"]) == ("0.7500", "1000.00", 2)
        assert (day["openTime"], day["closeTime"]) == (now - now % 60_000 - 86_400_000, now)
        code, minute = self.public("/ticker", symbol="BTCUSD", windowSize="1m")
        assert (minute["openPrice"], minute["count"], minute["openTime"]) == (
            "51000.00",
            1,
            now - now % 60_000 - 60_000,
        )
        code, wide = self.public("/ticker", symbol="BTCUSD", windowSize="2m")
        assert wide["count"] == 2  # from the minute the first trade was in
        code, [mini] = self.public("/ticker", symbols='["BTCUSD"]', windowSize="7d", type="MINI")
        assert code == 200 and list(mini) == [
            "symbol",
            "openPrice",
            "highPrice",
            "lowPrice",
            "lastPrice",
            "volume",
            "quoteVolume",
            "openTime",
            "closeTime",
            "firstId",
            "lastId",
            "count",
        ]
        code, quiet = self.public("/ticker", symbol="ETHUSD", windowSize="1h")
        assert (quiet["count"], quiet["firstId"], quiet["lastId"], quiet["volume"]) == (0, -1, -1, "0.000")
        _, _, headers = self.binance_send("GET", "/ticker", 'symbols=["BTCUSD","ETHUSD"]')
        assert headers.getRawHeaders("x-mbx-used-weight-1m") == [str(5 * 4 + 2 * 4)]  # 4 a symbol

    def test_a_rolling_window_ticker_refuses_what_binance_refuses(self):
        assert self.public("/ticker") == (
            400,
            {"code": -1102, "msg": "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"},
        )
        for size in ("60m", "24h", "8d", "1d2h", "0m", "1w", "1M"):
            code, body = self.public("/ticker", symbol="BTCUSD", windowSize=size)
            assert (code, body["code"]) == (400, -1100), (size, body)
            assert "windowSize" in body["msg"]
        for size in ("1m", "59m", "1h", "23h", "1d", "7d"):
            assert self.public("/ticker", symbol="BTCUSD", windowSize=size)[0] == 200, size
        assert self.public("/ticker", symbol="BTCUSD", type="FAT")[1]["code"] == -1100

    def test_the_average_price_is_the_last_five_minutes_volume_weighted(self):
        code, before = self.public("/avgPrice", symbol="BTCUSD")
        assert code == 200 and set(before) == {"mins", "price", "closeTime"} and before["mins"] == 5
        self.trade()
        self.clock.advance(60)
        self.trade(price="51000.00", quantity="0.25")
        traded = self.now_ms()
        assert self.public("/avgPrice", symbol="BTCUSD") == (
            200,
            {"mins": 5, "price": "50333.333333", "closeTime": traded},
        )
        self.clock.advance(250)  # the first trade has left the five minutes
        assert self.public("/avgPrice", symbol="BTCUSD")[1]["price"] == "51000.000000"
        self.clock.advance(60)  # nothing traded in them: the last price
        assert self.public("/avgPrice", symbol="BTCUSD")[1] == {
            "mins": 5,
            "price": "51000.00",
            "closeTime": traded,
        }
        _, _, headers = self.binance_send("GET", "/avgPrice", "symbol=BTCUSD")
        assert headers.getRawHeaders("x-mbx-used-weight-1m")[0] != "0"
        assert self.public("/avgPrice")[1]["code"] == -1102

    def test_an_unknown_symbol_is_1121_and_unknown_paths_are_json(self):
        assert self.public("/ticker/24hr", symbol="DOGEUSD") == (
            400,
            {"code": -1121, "msg": "Invalid symbol."},
        )
        assert self.public("/depth", symbol="BTC/USD")[1]["code"] == -1121
        assert self.public("/ticker/24hr", symbols="BTCUSD")[1]["code"] == -1100
        code, body = self.public("/nope")
        assert code == 404 and body["code"] == -1000

    def test_the_used_weight_header_counts_per_key_and_minute(self):
        _, _, headers = self.binance_send("GET", "/exchangeInfo")
        _, _, headers = self.binance_send("GET", "/depth", "symbol=BTCUSD&limit=500")
        assert headers.getRawHeaders("x-mbx-used-weight-1m") == ["45"]
        _, _, headers = self.binance_send("GET", "/ping", headers={"X-MBX-APIKEY": ALICE_KEY})
        assert headers.getRawHeaders("x-mbx-used-weight-1m") == ["46"]  # a key alone proves nothing
        text = f"timestamp={self.now_ms()}"
        signed = text + "&signature=" + sign_payload(ALICE_SECRET, text.encode())
        _, _, headers = self.binance_send("GET", "/account", signed, headers={"X-MBX-APIKEY": ALICE_KEY})
        assert headers.getRawHeaders("x-mbx-used-weight-1m") == ["20"]  # alice's own budget
        self.clock.advance(60)
        _, _, headers = self.binance_send("GET", "/ping")
        assert headers.getRawHeaders("x-mbx-used-weight-1m") == ["1"]


class WeightLimitTests(BinanceCase):
    def make_config(self):
        config = super().make_config()
        config.server.request_rate_limit = 50
        return config

    def test_past_the_limit_429_with_retry_after_then_418_until_the_minute_ends(self):
        self.clock.advance(60 - self.clock.seconds() % 60)  # the start of a minute
        assert self.binance_send("GET", "/exchangeInfo")[0] == 200
        assert self.binance_send("GET", "/exchangeInfo")[0] == 200
        code, body, headers = self.binance_send("GET", "/exchangeInfo")
        assert (code, body["code"]) == (429, -1003)
        assert headers.getRawHeaders("retry-after") == ["60"]
        self.clock.advance(30)
        code, body, headers = self.binance_send("GET", "/ping")
        assert (code, body["code"], headers.getRawHeaders("retry-after")) == (418, -1003, ["30"])
        assert self.signed("GET", "/openOrders", symbol="BTCUSD")[0] == 200  # alice's key: another budget
        self.clock.advance(30)
        assert self.binance_send("GET", "/ping")[0] == 200
