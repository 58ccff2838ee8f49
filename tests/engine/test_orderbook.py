"""The bare order book: price-time FIFO, L2/L3, the sequence counter, and the fill sink."""

from __future__ import annotations

import pytest

from exchangesim.engine.orderbook import BIG_LEVEL, BUY, SELL, OrderBook


class Sink:
    """Records every on_match call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, dict[int, int], int, int]] = []

    def __call__(self, price: int, makers: dict[int, int], filled: int, left: int) -> None:
        self.calls.append((price, dict(makers), filled, left))

    def fills(self) -> list[tuple[int, int, int]]:
        return [(price, oid, qty) for price, makers, _, _ in self.calls for oid, qty in makers.items()]


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def book(sink: Sink) -> OrderBook:
    return OrderBook(sink)


def test_resting_orders_and_best_prices(book):
    assert (book.best_bid(), book.best_ask()) == (None, None)
    assert book.add_limit(1, BUY, 100, 5) == 5
    assert book.add_limit(2, BUY, 101, 3) == 3
    assert book.add_limit(3, SELL, 105, 4) == 4
    assert book.add_limit(4, SELL, 104, 2) == 2
    assert (book.best_bid(), book.best_ask()) == (101, 104)
    assert book.depth(5) == ([(101, 3), (100, 5)], [(104, 2), (105, 4)])
    assert book.depth(1) == ([(101, 3)], [(104, 2)])
    assert len(book) == 4 and 3 in book and 99 not in book


def test_price_time_priority_within_and_across_levels(book, sink):
    book.add_limit(1, SELL, 101, 5)
    book.add_limit(2, SELL, 100, 5)
    book.add_limit(3, SELL, 100, 5)
    book.add_limit(4, SELL, 100, 5)
    assert book.market(BUY, 12) == 0
    assert sink.fills() == [(100, 2, 5), (100, 3, 5), (100, 4, 2)]
    assert book.level_orders(100) == [(4, 3)]
    assert book.market(BUY, 10) == 2  # 3 at 100, 5 at 101, then the book is empty
    assert sink.fills()[3:] == [(100, 4, 3), (101, 1, 5)]
    assert (book.best_bid(), book.best_ask(), len(book)) == (None, None, 0)


def test_crossing_limit_takes_then_rests(book, sink):
    book.add_limit(1, SELL, 100, 2)
    book.add_limit(2, SELL, 102, 2)
    assert book.add_limit(3, BUY, 101, 5) == 3  # takes 2 at 100, rests 3 at 101
    assert sink.fills() == [(100, 1, 2)]
    assert (book.best_bid(), book.best_ask()) == (101, 102)
    assert book.depth(5) == ([(101, 3)], [(102, 2)])


def test_ioc_take_never_rests(book, sink):
    book.add_limit(1, BUY, 100, 2)
    assert book.take(SELL, 99, 5) == 3
    assert sink.fills() == [(100, 1, 2)]
    assert (book.best_bid(), book.best_ask(), len(book)) == (None, None, 0)
    assert book.take(SELL, 99, 5) == 5  # nothing to take


def test_sink_reports_one_call_per_level_with_what_is_left(book, sink):
    book.add_limit(1, SELL, 100, 2)
    book.add_limit(2, SELL, 100, 3)
    book.add_limit(3, SELL, 101, 4)
    book.market(BUY, 6)
    assert sink.calls == [(100, {1: 2, 2: 3}, 5, 0), (101, {3: 1}, 1, 3)]


def test_cancel_anywhere_keeps_fifo_of_the_rest(book, sink):
    for oid in range(1, 6):
        book.add_limit(oid, BUY, 100, oid)
    assert book.cancel(3) == 3
    assert book.cancel(3) == 0  # already gone
    assert book.cancel(42) == 0
    assert book.level_orders(100) == [(1, 1), (2, 2), (4, 4), (5, 5)]
    assert book.level_qty(100) == 12
    book.market(SELL, 4)
    assert sink.fills() == [(100, 1, 1), (100, 2, 2), (100, 4, 1)]
    assert book.cancel(1) == 0  # filled orders cannot be canceled


def test_cancel_last_order_removes_level_and_updates_best(book):
    book.add_limit(1, BUY, 100, 1)
    book.add_limit(2, BUY, 99, 1)
    book.add_limit(3, SELL, 103, 1)
    book.add_limit(4, SELL, 104, 1)
    book.cancel(1)
    book.cancel(3)
    assert (book.best_bid(), book.best_ask()) == (99, 104)
    assert book.level_qty(100) == 0 and book.level_orders(100) == []
    book.cancel(2)
    book.cancel(4)
    assert (book.best_bid(), book.best_ask()) == (None, None)


def test_reduce_keeps_priority(book, sink):
    book.add_limit(1, SELL, 100, 5)
    book.add_limit(2, SELL, 100, 5)
    book.reduce(1, 2)
    assert book.level_qty(100) == 7
    book.market(BUY, 3)
    assert sink.fills() == [(100, 1, 2), (100, 2, 1)]
    with pytest.raises(ValueError):
        book.reduce(2, 4)  # not a reduction
    with pytest.raises(ValueError):
        book.reduce(1, 1)  # no longer resting


def test_sequence_rises_by_one_per_level_change(book):
    book.add_limit(1, SELL, 100, 1)  # level 100 appears
    book.add_limit(2, SELL, 100, 1)  # level 100 grows
    book.add_limit(3, SELL, 101, 1)  # level 101 appears
    book.add_limit(4, SELL, 102, 5)  # level 102 appears
    assert book.sequence == 4
    book.add_limit(5, BUY, 102, 4)  # 100 and 101 consumed, 102 shrinks: 3 levels
    assert book.sequence == 7
    book.add_limit(6, BUY, 103, 6)  # the 4 left at 102 consumed, bid level 103 appears with 2
    assert book.sequence == 9
    book.cancel(6)
    assert book.sequence == 10
    book.cancel(6)  # not resting: no change
    assert book.sequence == 10
    book.market(SELL, 1)  # empty bid side: no change
    assert book.sequence == 10


def test_market_budget_caps_the_spend(book, sink):
    book.add_limit(1, SELL, 10, 3)
    book.add_limit(2, SELL, 20, 3)
    unfilled = book.market(BUY, 100, budget=75)  # 3 x 10 = 30, then 2 x 20 = 40 (45 left... 5 too little)
    assert unfilled == 95
    assert sink.fills() == [(10, 1, 3), (20, 2, 2)]
    assert book.level_qty(20) == 1
    assert book.market(BUY, 5, budget=19) == 5  # cannot afford one lot at 20
    assert book.level_qty(20) == 1


def test_available_and_would_take_use_the_aggregates(book):
    book.add_limit(1, SELL, 100, 3)
    book.add_limit(2, SELL, 101, 4)
    book.add_limit(3, BUY, 98, 5)
    assert book.available(BUY, 100, 10) == 3
    assert book.available(BUY, 101, 10) == 7
    assert book.available(BUY, 101, 5) == 5
    assert book.available(SELL, 99, 1) == 0
    assert book.available(SELL, 98, 9) == 5
    assert book.would_take(BUY, 100) and not book.would_take(BUY, 99)
    assert book.would_take(SELL, 98) and not book.would_take(SELL, 99)


def test_walk_yields_makers_in_priority_order(book):
    book.add_limit(1, SELL, 101, 1)
    book.add_limit(2, SELL, 100, 2)
    book.add_limit(3, SELL, 100, 3)
    book.add_limit(4, SELL, 103, 4)
    assert list(book.walk(BUY, 101)) == [(100, 2, 2), (100, 3, 3), (101, 1, 1)]
    book.add_limit(5, BUY, 90, 1)
    book.add_limit(6, BUY, 95, 1)
    assert list(book.walk(SELL, 0)) == [(95, 6, 1), (90, 5, 1)]
    assert book.side_prices(SELL) == [100, 101, 103] and book.side_prices(BUY) == [95, 90]


def test_draining_a_huge_level_one_order_at_a_time_stays_linear(book, sink):
    n = 20 * BIG_LEVEL
    for oid in range(n):
        book.add_limit(oid, SELL, 100, 1)
    for oid in range(0, n, 2):
        book.cancel(oid)
    for _ in range(n // 2):
        book.market(BUY, 1)
    assert [oid for _, oid, _ in sink.fills()] == list(range(1, n, 2))
    assert book._holes == {} or max(book._holes.values()) <= n  # rebuilt rather than left to grow


def test_filled_orders_are_forgotten(book):
    for oid in range(1, 200_001):
        book.add_limit(oid, SELL, 100, 1)
        book.market(BUY, 1)
    assert len(book._where) < 100_000  # the order -> price map was pruned
    assert book.cancel(5) == 0 and len(book) == 0
