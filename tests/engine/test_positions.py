"""Position arithmetic: average cost, realized and unrealized PnL, flips."""

from __future__ import annotations

from decimal import Decimal

from exchangesim.engine import positions

from .conftest import BTC


def test_long_round_trip_books_exact_pnl():
    pos = [0, 0, 0]
    positions.buy(pos, 2, 200)  # 2 lots at 100
    positions.buy(pos, 1, 130)  # 1 lot at 130: cost 330, average 110
    positions.sell(pos, 2, 240)  # 2 at 120: realized 240 - 220 = 20
    assert pos == [1, 110, 20]
    positions.sell(pos, 1, 100)  # last lot at 100: realized -10
    assert pos == [0, 0, 10]


def test_short_and_flip():
    pos = [0, 0, 0]
    positions.sell(pos, 2, 200)  # short 2 at 100
    assert pos == [-2, -200, 0]
    positions.buy(pos, 3, 270)  # cover 2 at 90 (+20), open long 1 at 90
    assert pos == [1, 90, 20]


def test_rounding_keeps_the_basis_whole():
    pos = [0, 0, 0]
    positions.buy(pos, 3, 100)  # average 33.33...
    positions.sell(pos, 1, 40)  # removes 33 of the basis
    positions.sell(pos, 2, 80)  # removes the remaining 67
    assert pos == [0, 0, 20]


def test_positions_query_marks_to_last_price(desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("bob", "BUY", "1", "50000")
    desk.limit("alice", "BUY", "0.5", "52000")
    desk.limit("carol", "SELL", "0.5", "52000")  # last price 52000
    (bob,) = desk.x.positions("bob")
    assert (bob.symbol, bob.quantity, bob.average_price) == (BTC, 1000, Decimal("50000"))
    assert bob.unrealized_pnl == 2000 * 10**18 and bob.realized_pnl == 0
    (alice,) = desk.x.positions("alice")
    assert alice.quantity == -500 and alice.realized_pnl == -1000 * 10**18
    assert alice.unrealized_pnl == -1000 * 10**18  # still short 0.5 from 50000, marked at 52000
    assert desk.x.positions("fees") == []
