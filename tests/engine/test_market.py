"""Working orders: matching, settlement with fees and locks, TIF, market orders, STP, amend."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.engine import (
    BalanceChanged,
    BookLevelChanged,
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderReplaced,
    Trade,
    parse_amount,
)

from .conftest import BTC, Desk

D = Decimal


def trades(result) -> list[Trade]:
    return [e for e in result.events if isinstance(e, Trade)]


def test_limit_trade_settles_both_sides_with_fees_in_received_asset(desk: Desk):
    maker = desk.limit("alice", "SELL", "2", "50000")
    assert desk.balance("alice", "BTC") == (D(98), D(2))
    taker = desk.limit("bob", "BUY", "0.5", "50000")
    (trade,) = trades(taker)
    assert (trade.price, trade.quantity, trade.maker_order_id, trade.taker_order_id) == (
        desk.ticks("50000"),
        desk.lots("0.5"),
        maker.order_id,
        taker.order_id,
    )
    assert (trade.maker_account, trade.taker_account, trade.taker_side) == ("alice", "bob", "BUY")
    # maker fee 0.1% of the 25000 USD alice receives; taker fee 0.2% of the 0.5 BTC bob receives
    assert (trade.maker_fee, trade.maker_fee_asset) == (parse_amount("25"), "USD")
    assert (trade.taker_fee, trade.taker_fee_asset) == (parse_amount("0.001"), "BTC")
    assert desk.balance("alice", "BTC") == (D(98), D("1.5"))
    assert desk.balance("alice", "USD") == (D(1000000) + D(25000) - D(25), 0)
    assert desk.balance("bob", "BTC") == (D(100) + D("0.5") - D("0.001"), 0)
    assert desk.balance("bob", "USD") == (D(1000000) - D(25000), 0)
    assert desk.balance("fees", "USD") == (D(25), 0)
    assert desk.balance("fees", "BTC") == (D("0.001"), 0)
    assert taker.order.status == "FILLED" and taker.order.cum_quote == parse_amount("25000")
    resting = desk.x.get_order("alice", maker.order_id)
    assert (resting.status, resting.filled, resting.fee) == ("PARTIALLY_FILLED", 500, parse_amount("25"))
    assert desk.x.last_price(BTC) == desk.ticks("50000")


def test_price_improvement_releases_the_difference(desk):
    desk.limit("alice", "SELL", "1", "49000")
    result = desk.limit("bob", "BUY", "2", "50000")  # 1 filled at 49000, 1 rests at 50000
    assert result.order.status == "PARTIALLY_FILLED"
    assert desk.balance("bob", "USD") == (D(1000000) - D(49000) - D(50000), D(50000))


def test_taker_sweeps_levels_best_first_and_reports_each_level(desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("bob", "SELL", "1", "50000")
    desk.limit("alice", "SELL", "1", "50100")
    result = desk.limit("carol", "BUY", "2.5", "50100")
    assert [(t.maker_account, t.price, t.quantity) for t in trades(result)] == [
        ("alice", 5_000_000, 1000),
        ("bob", 5_000_000, 1000),
        ("alice", 5_010_000, 500),
    ]
    levels = [e for e in result.events if isinstance(e, BookLevelChanged)]
    assert [(e.side, e.price, e.quantity) for e in levels] == [
        ("SELL", 5_000_000, 0),
        ("SELL", 5_010_000, 500),
    ]
    filled = [e.order.order_id for e in result.events if isinstance(e, OrderFilled)]
    assert len(filled) == 3  # both makers at 50000 and the taker


def test_ioc_fills_what_it_can_and_expires_the_rest(desk):
    desk.limit("alice", "SELL", "1", "50000")
    result = desk.limit("bob", "BUY", "3", "50000", time_in_force="IOC")
    assert (result.order.status, result.order.filled, result.order.reason) == ("EXPIRED", 1000, "IOC")
    assert desk.balance("bob", "USD") == (D(1000000) - D(50000), 0)
    assert desk.x.best_bid_ask(BTC) == (None, None)


def test_fok_is_all_or_nothing(desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("alice", "SELL", "1", "50100")
    before = desk.x.depth(BTC, 10)
    result = desk.limit("bob", "BUY", "2.5", "50100", time_in_force="FOK")
    assert (result.order.status, result.order.reason, result.order.filled) == ("EXPIRED", "FOK", 0)
    assert desk.x.depth(BTC, 10) == before and desk.balance("bob", "USD") == (D(1000000), 0)
    result = desk.limit("bob", "BUY", "2", "50100", time_in_force="FOK")
    assert result.order.status == "FILLED" and len(trades(result)) == 2


def test_market_sell_by_quantity(desk):
    desk.limit("alice", "BUY", "1", "49000")
    desk.limit("alice", "BUY", "1", "48000")
    result = desk.place("bob", "SELL", "MARKET", "1.5")
    assert [(t.price, t.quantity) for t in trades(result)] == [(4_900_000, 1000), (4_800_000, 500)]
    assert result.order.status == "FILLED" and result.order.cum_quote == parse_amount("73000")
    assert desk.balance("bob", "USD")[0] == D(1000000) + D(73000) - D("146")  # 0.2% taker fee in USD


def test_market_order_on_an_empty_book_expires(desk):
    result = desk.place("bob", "SELL", "MARKET", "1")
    assert (result.order.status, result.order.reason, result.order.filled) == ("EXPIRED", "IOC", 0)
    assert desk.balance("bob", "BTC") == (D(100), 0)


def test_market_buy_by_quantity_spends_at_most_the_available_quote(desk):
    desk.x.open_account("dave")
    desk.fund("dave", "USD", "75000")
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("alice", "SELL", "1", "60000")
    result = desk.place("dave", "BUY", "MARKET", "2")
    # 1 at 50000, then 25000 USD buys 0.416 at 60000 (lots of 0.001), the rest expires
    assert [(t.price, t.quantity) for t in trades(result)] == [(5_000_000, 1000), (6_000_000, 416)]
    assert (result.order.status, result.order.reason) == ("EXPIRED", "BUDGET")
    assert desk.balance("dave", "USD") == (D(75000) - D(50000) - D("24960"), 0)


def test_market_buy_by_quote_amount(desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("alice", "SELL", "1", "60000")
    result = desk.place("bob", "BUY", "MARKET", quote="80000")
    assert [(t.price, t.quantity) for t in trades(result)] == [(5_000_000, 1000), (6_000_000, 500)]
    assert result.order.status == "FILLED" and result.order.quantity is None
    assert result.order.cum_quote == parse_amount("80000")
    assert desk.balance("bob", "USD") == (D(1000000) - D(80000), 0)
    result = desk.place("bob", "BUY", "MARKET", quote="40000")  # only 0.5 BTC = 30000 left on the book
    assert (result.order.status, result.order.reason) == ("EXPIRED", "IOC")
    assert desk.balance("bob", "USD") == (D(1000000) - D(110000), 0)


def test_limit_maker_rests_and_makes(desk):
    maker = desk.place("alice", "SELL", "LIMIT_MAKER", "1", "50000")
    assert maker.order.status == "NEW" and maker.order.time_in_force == "GTC"
    taker = desk.limit("bob", "BUY", "1", "50000")
    (trade,) = trades(taker)
    assert trade.maker_order_id == maker.order_id


def test_amend_down_keeps_priority(desk):
    first = desk.limit("alice", "SELL", "2", "50000")
    desk.limit("bob", "SELL", "1", "50000")
    result = desk.x.replace("alice", first.order_id, quantity=desk.lots("1"), ts=desk.now())
    (replaced,) = [e for e in result.events if isinstance(e, OrderReplaced)]
    assert replaced.kept_priority and replaced.old_quantity == 2000 and replaced.order.quantity == 1000
    assert desk.balance("alice", "BTC") == (D(99), D(1))
    assert desk.x.depth(BTC, 1).asks == ((5_000_000, 2000),)
    taker = desk.limit("carol", "BUY", "1", "50000")
    assert trades(taker)[0].maker_order_id == first.order_id


@pytest.mark.parametrize("change", [{"quantity": 3000}, {"price": 5_010_000}])
def test_amend_up_or_price_change_loses_priority(desk, change):
    first = desk.limit("alice", "SELL", "2", "50000")
    second = desk.limit("bob", "SELL", "1", "50000")
    desk.x.replace("alice", first.order_id, ts=desk.now(), **change)
    taker = desk.limit("carol", "BUY", "1", "50100")
    assert trades(taker)[0].maker_order_id == second.order_id
    view = desk.x.get_order("alice", first.order_id)
    assert (view.price, view.quantity, view.status) == (
        change.get("price", 5_000_000),
        change.get("quantity", 2000),
        "NEW",
    )


def test_amend_that_crosses_trades(desk):
    desk.limit("alice", "SELL", "1", "50000")
    bid = desk.limit("bob", "BUY", "1", "49000")
    result = desk.x.replace("bob", bid.order_id, price=desk.ticks("50000"), ts=desk.now())
    assert result.order.status == "FILLED" and len(trades(result)) == 1
    assert desk.balance("bob", "USD") == (D(1000000) - D(50000), 0)


def test_amend_after_partial_fill(desk):
    order = desk.limit("alice", "SELL", "2", "50000")
    desk.limit("bob", "BUY", "0.5", "50000")
    result = desk.x.replace("alice", order.order_id, quantity=desk.lots("1"), ts=desk.now())
    assert (result.order.quantity, result.order.filled, result.order.remaining) == (1000, 500, 500)
    assert desk.balance("alice", "BTC") == (D(99), D("0.5"))


STP_CASES = {
    # mode: (taker filled lots, taker status, maker statuses in price-time order)
    "NONE": (3000, "FILLED", ["FILLED", "FILLED", "FILLED"]),
    "EXPIRE_TAKER": (1000, "EXPIRED", ["FILLED", "NEW", "NEW"]),
    "EXPIRE_MAKER": (2000, "PARTIALLY_FILLED", ["FILLED", "EXPIRED", "FILLED"]),
    "EXPIRE_BOTH": (1000, "EXPIRED", ["FILLED", "EXPIRED", "NEW"]),
}


@pytest.mark.parametrize("mode", list(STP_CASES))
def test_self_trade_prevention(desk, mode):
    makers = [
        desk.limit("bob", "SELL", "1", "50000"),
        desk.limit("alice", "SELL", "1", "50000"),
        desk.limit("carol", "SELL", "1", "50000"),
    ]
    result = desk.limit("alice", "BUY", "3", "50000", stp=mode)
    filled, status, maker_statuses = STP_CASES[mode]
    assert (result.order.filled, result.order.status) == (filled, status)
    assert [desk.x.get_order(m.order.account, m.order_id).status for m in makers] == maker_statuses
    if status == "EXPIRED":
        assert result.order.reason == "STP"
    if maker_statuses[1] == "EXPIRED":
        assert desk.x.get_order("alice", makers[1].order_id).reason == "STP"
    # whatever happened, alice holds nothing for orders that are gone
    open_ids = {o.order_id for o in desk.x.open_orders("alice")}
    locked_btc = D(1) if makers[1].order_id in open_ids else D(0)
    assert desk.balance("alice", "BTC")[1] == locked_btc


def test_the_takers_stp_mode_decides(desk):
    desk.limit("alice", "SELL", "1", "50000", stp="EXPIRE_BOTH")
    result = desk.limit("alice", "BUY", "1", "50000")  # taker NONE: trades with itself
    assert result.order.status == "FILLED"


@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_a_taker_stopped_by_its_own_order_at_the_top_takes_nothing(desk, side):
    other = "BUY" if side == "SELL" else "SELL"
    desk.limit("alice", side, "1", "50000")
    desk.limit("bob", other, "1", "50000")  # a position that the taker's side would reduce
    desk.limit("bob", other, "1", "50000")  # the only liquidity left is bob's own
    before = desk.fingerprint()
    result = desk.place("bob", side, "MARKET", "1", stp="EXPIRE_TAKER")
    assert (result.order.status, result.order.reason, result.order.filled) == ("EXPIRED", "STP", 0)
    after = desk.fingerprint()
    assert after[2:4] == before[2:4]  # the book, its sequence and the last price are untouched


def test_a_buy_by_quote_amount_stopped_by_stp_expires_with_its_budget_unspent(desk):
    desk.limit("bob", "SELL", "1", "50000")
    desk.limit("alice", "SELL", "1", "50100")
    result = desk.place("alice", "BUY", "MARKET", quote="80000", stp="EXPIRE_TAKER")
    assert (result.order.status, result.order.reason, result.order.filled) == ("EXPIRED", "STP", 1000)
    assert desk.balance("alice", "USD")[1] == 0  # the 30,000 it did not spend is released


def test_fok_with_stp_counts_only_reachable_liquidity(desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("bob", "SELL", "1", "50000")
    before = desk.fingerprint()
    result = desk.limit("alice", "BUY", "2", "50000", time_in_force="FOK", stp="EXPIRE_MAKER")
    assert (result.order.status, result.order.reason) == ("EXPIRED", "FOK")
    after = desk.fingerprint()
    assert after[2:4] == before[2:4]  # book and last price untouched, the own maker not expired


def test_event_stream_of_a_crossing_limit(desk):
    desk.limit("alice", "SELL", "1", "50000")
    result = desk.limit("bob", "BUY", "2", "50000")
    kinds = [type(e) for e in result.events]
    assert kinds[0] is OrderAccepted and kinds.count(Trade) == 1 and kinds.count(OrderFilled) == 1
    assert kinds.count(BookLevelChanged) == 2  # ask level gone, bid level appears
    assert result.events[0].order.status == "NEW" and result.events[0].order.filled == 0
    balances = {(e.account, e.asset) for e in result.events if isinstance(e, BalanceChanged)}
    assert balances == {(a, asset) for a in ("alice", "bob", "fees") for asset in ("BTC", "USD")}
    sequences = [e.sequence for e in result.events if isinstance(e, BookLevelChanged)]
    assert sequences == [2, 3] and desk.x.depth(BTC).sequence == 3


def test_expired_order_events(desk):
    result = desk.limit("bob", "BUY", "1", "50000", time_in_force="IOC")
    assert [type(e) for e in result.events] == [OrderAccepted, OrderExpired, BalanceChanged, BalanceChanged]
