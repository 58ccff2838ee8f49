"""Exchange.state() is plain data, and an Exchange restored from it is the same exchange."""

import pickle
from decimal import Decimal

import pytest

from exchangesim.engine import Exchange, FeeTier, Instrument, parse_amount

BTC = Instrument("BTC/USD", "BTC", "USD", tick_size="0.5", lot_size="0.01", maker_fee="0.001")
ETH = Instrument("ETH/USD", "ETH", "USD", tick_size="0.1", lot_size="0.1", taker_fee="0.002")


def busy_exchange() -> Exchange:
    """Every kind of thing the engine keeps: fee tiers, stops, client ids, partial fills, an amended
    order queued behind a later one, a halted market, and fills of an account closed since."""
    x = Exchange()
    x.add_instrument(BTC)
    x.add_instrument(ETH)
    for name in ("a", "b", "gone"):
        x.open_account(name, FeeTier("vip", Decimal("0"), Decimal("0.0005")) if name == "b" else None)
        for asset, amount in (("USD", "100000"), ("BTC", "100"), ("ETH", "100")):
            x.deposit(name, asset, parse_amount(amount), ts=1)
    first = x.place("a", "BTC/USD", "BUY", "LIMIT", 10, 200, ts=2, client_order_id="first").order_id
    x.place("a", "BTC/USD", "BUY", "LIMIT", 20, 200, ts=3)
    x.replace("a", first, quantity=30, ts=4)  # now behind the order placed after it
    x.place("b", "BTC/USD", "SELL", "LIMIT", 15, 201, ts=5)
    x.place("gone", "BTC/USD", "BUY", "LIMIT", 5, 201, ts=6)  # takes b's ask in part
    x.place("b", "BTC/USD", "SELL", "STOP_LOSS", 4, stop_price=150, ts=7, client_order_id="stop")
    x.place("b", "BTC/USD", "BUY", "TAKE_PROFIT_LIMIT", 4, 190, stop_price=180, ts=8)
    x.place("gone", "ETH/USD", "SELL", "LIMIT", 10, 1000, ts=9)
    x.place("a", "ETH/USD", "BUY", "MARKET", 10, ts=10)
    x.cancel_all("gone", ts=11)
    for asset in ("USD", "BTC", "ETH"):
        available = x.balances("gone")[asset].available
        if available:
            x.withdraw("gone", asset, available, ts=12)
    x.close_account("gone")
    x.set_fee_tier("a", FeeTier("t1", Decimal("0.0002"), Decimal("0.0004")))
    x.set_trading("ETH/USD", False)
    return x


def seen(x: Exchange) -> dict:
    """Everything the queries show."""
    accounts = x.account_names()
    books = {}
    for instrument in x.instruments():
        depth = x.depth(instrument.symbol, 100)
        levels = [price for price, _ in (*depth.bids, *depth.asks)]
        books[instrument.symbol] = (
            depth,
            {price: x.level_orders(instrument.symbol, price) for price in levels},
            x.recent_trades(instrument.symbol, 1000),
            x.stats(instrument.symbol),
            x.last_price(instrument.symbol),
            x.is_trading(instrument.symbol),
        )
    return {
        "accounts": accounts,
        "instruments": x.instruments(),
        "assets": x.assets(),
        "next_order_id": x.next_order_id,
        "balances": {name: x.balances(name) for name in accounts},
        "orders": {name: x.orders(name) for name in accounts},
        "open": {name: x.open_orders(name) for name in accounts},
        "fills": {name: x.fills(name, limit=1000) for name in accounts},
        "positions": {name: x.positions(name) for name in accounts},
        "by_client_id": [x.get_order_by_client_id("a", "first"), x.get_order_by_client_id("b", "stop")],
        "books": books,
    }


def trade_on(x: Exchange) -> list:
    """The same further commands on any exchange; what they did and where they leave it."""
    results = [
        x.place("b", "BTC/USD", "BUY", "LIMIT", 1, 150, ts=19),
        x.place("a", "BTC/USD", "SELL", "MARKET", 55, ts=20),  # down to 150: both stops trigger
        x.place("b", "BTC/USD", "BUY", "LIMIT", 1, 210, ts=21),
        x.place("a", "BTC/USD", "SELL", "LIMIT", 3, 149, ts=22, client_order_id="later"),
    ]
    x.set_trading("ETH/USD", True)
    results.append(x.place("b", "ETH/USD", "BUY", "LIMIT", 1, 900, ts=23))
    return [[result.events for result in results], seen(x)]


def test_an_exchange_restored_from_its_state_answers_and_goes_on_like_the_original():
    original = busy_exchange()
    restored = Exchange()
    restored.restore(pickle.loads(pickle.dumps(original.state())))
    assert seen(restored) == seen(original)
    after = trade_on(restored)
    assert any(event.__class__.__name__ == "OrderTriggered" for event in after[0][1])
    assert after == trade_on(original)


def test_the_state_is_plain_data():
    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(type(key) in (str, int) and plain(item) for key, item in value.items())
        if isinstance(value, list | tuple):
            return all(plain(item) for item in value)
        return value is None or type(value) in (str, int, bool, Decimal)

    assert plain(busy_exchange().state())


def test_restoring_replaces_everything_the_exchange_held_and_keeps_its_subscribers():
    heard = []
    x = busy_exchange()
    x.subscribe(heard.append)
    x.restore(Exchange("house").state())
    assert x.account_names() == ["house"] and x.instruments() == [] and x.next_order_id == 1
    x.add_instrument(BTC)
    x.open_account("a")
    x.deposit("a", "USD", 5, ts=1)
    assert len(heard) == 1


def test_the_state_cannot_be_taken_in_the_middle_of_a_command():
    x = busy_exchange()
    x._markets["BTC/USD"]._matches.append((200, {1: 5}, 5, 0))  # what a match leaves until it settles
    with pytest.raises(RuntimeError, match="middle of a command"):
        x.state()
