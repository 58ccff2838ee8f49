"""Fixtures for the engine tests: a small exchange speaking decimal strings, and a state fingerprint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.engine import Exchange, Instrument, parse_amount

BTC = "BTC/USD"
ETH = "ETH/USD"
ACCOUNTS = ("alice", "bob", "carol")


class Desk:
    """An Exchange plus helpers that take decimal strings, as the REST layer would."""

    def __init__(self) -> None:
        self.x = Exchange()
        self.x.add_instrument(
            Instrument(
                BTC,
                "BTC",
                "USD",
                tick_size="0.01",
                lot_size="0.001",
                min_notional="1",
                maker_fee="0.001",
                taker_fee="0.002",
            )
        )
        self.x.add_instrument(
            Instrument(ETH, "ETH", "USD", tick_size="0.1", lot_size="0.01", maker_fee="0", taker_fee="0.0005")
        )
        self.ts = 1_700_000_000_000
        for name in ACCOUNTS:
            self.x.open_account(name)
            self.fund(name, "USD", "1000000")
            self.fund(name, "BTC", "100")
            self.fund(name, "ETH", "1000")

    def now(self) -> int:
        self.ts += 1
        return self.ts

    def fund(self, account: str, asset: str, amount: str) -> None:
        self.x.deposit(account, asset, parse_amount(amount), ts=self.now())

    def ticks(self, price: str, symbol: str = BTC) -> int:
        return self.x.instrument(symbol).parse_price(price)

    def lots(self, qty: str, symbol: str = BTC) -> int:
        return self.x.instrument(symbol).parse_quantity(qty)

    def place(
        self,
        account: str,
        side: str,
        order_type: str,
        qty: str | None = None,
        price: str | None = None,
        symbol: str = BTC,
        stop: str | None = None,
        quote: str | None = None,
        **kwargs,
    ):
        return self.x.place(
            account,
            symbol,
            side,
            order_type,
            None if qty is None else self.lots(qty, symbol),
            None if price is None else self.ticks(price, symbol),
            stop_price=None if stop is None else self.ticks(stop, symbol),
            quote_quantity=None if quote is None else parse_amount(quote),
            ts=self.now(),
            **kwargs,
        )

    def limit(self, account: str, side: str, qty: str, price: str, **kwargs):
        return self.place(account, side, "LIMIT", qty, price, **kwargs)

    def balance(self, account: str, asset: str) -> tuple[Decimal, Decimal]:
        """(available, locked) as Decimals of the asset."""
        view = self.x.balances(account)[asset]
        return Decimal(view.available).scaleb(-18), Decimal(view.locked).scaleb(-18)

    def fingerprint(self) -> tuple:
        """Everything a rejected command must leave unchanged."""
        x = self.x
        accounts = x.account_names()
        return (
            tuple(
                (a, tuple(sorted((k, v.available, v.locked) for k, v in x.balances(a).items())))
                for a in accounts
            ),
            tuple((a, tuple(x.orders(a))) for a in accounts),
            tuple(x.depth(s.symbol, 10_000) for s in x.instruments()),
            tuple(x.last_price(s.symbol) for s in x.instruments()),
            tuple(tuple(x.positions(a)) for a in accounts),
            tuple(x.stats(s.symbol) for s in x.instruments()),
        )


@pytest.fixture
def desk() -> Desk:
    return Desk()
