"""A halted symbol in the Binance dialect: exchangeInfo says HALT, orders get "Market is closed."."""

from .support import BinanceCase


class HaltTests(BinanceCase):
    def test_a_halted_symbol_is_listed_as_halt_and_refuses_orders_as_binance_does(self):
        self.venue.exchange.set_trading("BTC/USD", False)
        _, info = self.public("/exchangeInfo")
        assert [(s["symbol"], s["status"]) for s in info["symbols"]] == [
            ("BTCUSD", "HALT"),
            ("ETHUSD", "TRADING"),
        ]
        code, body = self.signed(
            "POST",
            "/order",
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.1",
            price="40000",
        )
        assert (code, body) == (400, {"code": -2010, "msg": "Market is closed."})
        self.venue.exchange.set_trading("BTC/USD", True)
        assert self.public("/exchangeInfo")[1]["symbols"][0]["status"] == "TRADING"
