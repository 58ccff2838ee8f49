"""Stop orders: trigger directions (Binance semantics), locks while pending, what they become."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.engine import OrderTriggered, Trade
from exchangesim.engine.stops import StopBook, is_triggered

from .conftest import BTC, Desk

D = Decimal


@pytest.mark.parametrize(
    ("order_type", "side", "rising"),
    [
        ("STOP_LOSS", 1, False),
        ("STOP_LOSS", 0, True),
        ("TAKE_PROFIT", 1, True),
        ("TAKE_PROFIT", 0, False),
        ("STOP_LOSS_LIMIT", 1, False),
        ("TAKE_PROFIT_LIMIT", 0, False),
    ],
)
def test_trigger_directions(order_type, side, rising):
    assert is_triggered(order_type, side, 100, 100)
    assert is_triggered(order_type, side, 100, 101) is rising
    assert is_triggered(order_type, side, 100, 99) is not rising


def test_stop_book_pops_in_order_id_order_and_forgets_removed():
    stops = StopBook()
    orders = {
        oid: [oid, None, 1, "STOP_LOSS", None, None, stop] for oid, stop in ((3, 100), (1, 95), (2, 100))
    }
    for order in orders.values():
        stops.add(order)
    assert stops.remove(1) and not stops.remove(1)
    assert stops.pop_triggered(101) == []
    assert [o[0] for o in stops.pop_triggered(100)] == [2, 3]
    assert len(stops) == 0


def make_last(desk: Desk, price: str) -> None:
    """Trade once at ``price`` between carol and bob (triggered stops may move the price on)."""
    desk.limit("carol", "SELL", "0.01", price)
    desk.limit("bob", "BUY", "0.01", price)


def test_stop_loss_sell_triggers_when_price_falls(desk):
    make_last(desk, "50000")
    desk.limit("bob", "BUY", "1", "48000")
    stop = desk.place("alice", "SELL", "STOP_LOSS", "1", stop="49000")
    assert (stop.order.status, stop.order.is_working) == ("NEW", False)
    assert desk.balance("alice", "BTC") == (D(99), D(1))  # a pending stop sell holds its base
    make_last(desk, "49500")
    assert not desk.x.get_order("alice", stop.order_id).is_working
    desk.limit("carol", "SELL", "0.01", "49000")
    result = desk.limit("bob", "BUY", "0.01", "49000")  # last = 49000 <= stop: alice sells at market
    kinds = [type(e) for e in result.events]
    assert OrderTriggered in kinds
    assert kinds.index(OrderTriggered) < len(kinds) - 1
    view = desk.x.get_order("alice", stop.order_id)
    assert (view.status, view.is_working, view.filled) == ("FILLED", True, 1000)
    alice_trades = [e for e in result.events if isinstance(e, Trade) and e.taker_account == "alice"]
    assert alice_trades[0].price == desk.ticks("48000")


def test_stop_loss_buy_locks_quote_only_when_triggered(desk):
    make_last(desk, "50000")
    desk.limit("carol", "SELL", "1", "52000")
    stop = desk.place("alice", "BUY", "STOP_LOSS", "1", stop="51000")
    assert desk.balance("alice", "USD") == (D(1000000), 0)
    make_last(desk, "51000")
    view = desk.x.get_order("alice", stop.order_id)
    assert (view.status, view.filled) == ("FILLED", 1000)
    assert desk.balance("alice", "USD") == (D(1000000) - D(52000), 0)


def test_take_profit_limit_rests_after_trigger(desk):
    make_last(desk, "50000")
    stop = desk.place("alice", "SELL", "TAKE_PROFIT_LIMIT", "1", "53000", stop="52000")
    make_last(desk, "52000")
    view = desk.x.get_order("alice", stop.order_id)
    assert (view.status, view.is_working, view.type, view.price) == (
        "NEW",
        True,
        "TAKE_PROFIT_LIMIT",
        5_300_000,
    )
    assert desk.x.best_bid_ask(BTC)[1] == 5_300_000


def test_pending_stop_can_be_canceled(desk):
    stop = desk.place("alice", "BUY", "STOP_LOSS_LIMIT", "1", "60000", stop="59000")
    assert desk.balance("alice", "USD") == (D(940000), D(60000))
    desk.x.cancel("alice", stop.order_id, ts=desk.now())
    assert desk.balance("alice", "USD") == (D(1000000), 0)
    make_last(desk, "59000")
    assert desk.x.get_order("alice", stop.order_id).status == "CANCELED"


def test_triggered_stops_cascade(desk):
    make_last(desk, "50000")
    desk.limit("bob", "BUY", "1", "49000")
    desk.limit("bob", "BUY", "1", "48000")
    first = desk.place("alice", "SELL", "STOP_LOSS", "1", stop="49500")
    second = desk.place("carol", "SELL", "STOP_LOSS", "1", stop="49000")
    make_last(desk, "49500")  # first sells at 49000 -> last 49000 -> second sells at 48000
    assert desk.x.get_order("alice", first.order_id).status == "FILLED"
    assert desk.x.get_order("carol", second.order_id).status == "FILLED"
    assert desk.x.last_price(BTC) == desk.ticks("48000")


def test_triggered_stop_market_buy_without_quote_expires(desk):
    make_last(desk, "50000")
    desk.limit("carol", "SELL", "1", "52000")
    stop = desk.place("alice", "BUY", "STOP_LOSS", "1", stop="51000")
    desk.x.withdraw("alice", "USD", desk.x.balances("alice")["USD"].available, ts=desk.now())
    make_last(desk, "51000")
    view = desk.x.get_order("alice", stop.order_id)
    assert (view.status, view.reason, view.filled) == ("EXPIRED", "BUDGET", 0)
