"""Events: the compact records, read in place or built into frozen attrs events; every kind materialises."""

from __future__ import annotations

import attrs
import pytest

from exchangesim.engine import (
    BalanceChanged,
    BookLevelChanged,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderReplaced,
    OrderTriggered,
    Trade,
    parse_amount,
)
from exchangesim.engine.events import (
    LEVEL,
    ORDER_KINDS,
    TRADE,
    account_of,
    balance_changes,
    maker_filled,
    order_of,
    order_view,
    trade_event,
)

from .conftest import BTC, ETH, Desk


def test_events_are_frozen_slotted_attrs(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    result = desk.limit("bob", "BUY", "1", "50000")
    for event in result.events:
        assert attrs.has(type(event)) and not hasattr(event, "__dict__")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.ts = 0  # type: ignore[misc]


def test_every_kind_materialises(desk: Desk):
    seen: list = []
    desk.x.subscribe(lambda result: seen.extend(result.events))
    desk.limit("carol", "SELL", "0.01", "50000")
    desk.limit("bob", "BUY", "0.01", "50000")
    stop = desk.place("alice", "SELL", "STOP_LOSS_LIMIT", "1", "40000", stop="45000")
    order = desk.limit("alice", "BUY", "1", "30000")
    desk.x.replace("alice", order.order_id, quantity=500, ts=desk.now())
    desk.x.cancel("alice", order.order_id, ts=desk.now())
    desk.limit("bob", "BUY", "1", "40000", time_in_force="IOC")
    desk.limit("carol", "SELL", "0.01", "45000")
    desk.limit("bob", "BUY", "0.01", "45000")  # triggers the stop
    kinds = {type(e) for e in seen}
    assert kinds >= {
        OrderAccepted,
        OrderTriggered,
        OrderReplaced,
        OrderCanceled,
        OrderExpired,
        OrderFilled,
        Trade,
        BookLevelChanged,
        BalanceChanged,
    }
    (triggered,) = [e for e in seen if isinstance(e, OrderTriggered)]
    assert triggered.order.order_id == stop.order_id and triggered.order.is_working


def test_accepted_shows_the_order_as_accepted_even_if_it_filled(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    result = desk.limit("bob", "BUY", "1", "50000")
    accepted = result.events[0]
    assert isinstance(accepted, OrderAccepted)
    assert (accepted.order.status, accepted.order.filled) == ("NEW", 0)
    assert (result.order.status, result.order.filled) == ("FILLED", 1000)


def test_late_materialisation_sees_the_state_of_its_command(desk: Desk):
    order = desk.limit("alice", "BUY", "2", "50000")
    desk.limit("bob", "SELL", "1", "50000")
    desk.x.replace("alice", order.order_id, quantity=1500, ts=desk.now())
    desk.x.cancel("alice", order.order_id, ts=desk.now())
    # only now read the first command's result
    assert (order.order.status, order.order.quantity, order.order.filled) == ("NEW", 2000, 0)
    assert order.events[0].order.quantity == 2000


def test_trade_fills_are_the_two_sides(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    (trade,) = [e for e in desk.limit("bob", "BUY", "1", "50000").events if isinstance(e, Trade)]
    maker, taker = trade.fills()
    assert (maker.liquidity, maker.side, maker.fee_asset, maker.order_id) == (
        "MAKER",
        "SELL",
        "USD",
        trade.maker_order_id,
    )
    assert (taker.liquidity, taker.side, taker.fee_asset) == ("TAKER", "BUY", "BTC")
    assert trade.symbol == BTC and trade.quote == 50000 * 10**18


def test_trades_are_the_trade_events_built_alone(desk):
    desk.limit("bob", "SELL", "0.5", "50000")
    desk.limit("carol", "SELL", "0.5", "50100")
    result = desk.limit("alice", "BUY", "1", "50100")
    assert result._events is None  # nothing built yet
    trades = result.trades
    assert [t.price for t in trades] == [5_000_000, 5_010_000]
    assert result._events is None and result.trades is trades
    assert list(trades) == [e for e in result.events if type(e) is Trade]
    assert desk.limit("alice", "BUY", "1", "40000").trades == ()


def _read(result) -> list:
    """A command's order changes, trades and levels as a reader takes them from its records."""
    read: list = []
    for record in result.records:
        kind = record[0]
        if kind in ORDER_KINDS:
            read.append((ORDER_KINDS[kind], order_of(record)))
        elif kind == TRADE:
            read.append(("TRADE", trade_event(record)))
            maker = maker_filled(record)
            if maker is not None:
                read.append(("FILLED", order_view(maker)))
        elif kind == LEVEL:
            read.append(("LEVEL", record[1:]))
    return read


def test_a_maker_filled_by_a_trade_is_read_right_after_it(desk: Desk):
    first = desk.limit("carol", "SELL", "0.01", "50000")
    second = desk.limit("carol", "SELL", "0.02", "50001")
    read = _read(desk.limit("bob", "BUY", "0.02", "50001"))
    assert [name for name, _ in read] == ["ACCEPTED", "TRADE", "FILLED", "TRADE", "LEVEL", "LEVEL", "FILLED"]
    (_, accepted), (_, trade), (_, filled) = read[:3]
    assert (accepted.status, accepted.filled) == ("NEW", 0)  # as accepted, though it filled
    assert trade.maker_order_id == filled.order_id == first.order_id and filled.status == "FILLED"
    assert read[3][1].maker_order_id == second.order_id  # partly filled: no FILLED of its own
    assert read[-1][1].account == "bob" and read[-1][1].status == "FILLED"
    assert read[4][1] == (BTC, 1, desk.ticks("50000"), 0, 3)  # the level the first maker left


def test_order_records_read_as_they_left_the_order(desk: Desk):
    stop = desk.place("alice", "SELL", "STOP_LOSS_LIMIT", "1", "40000", stop="45000")
    order = desk.limit("alice", "BUY", "1", "30000")
    replace = desk.x.replace("alice", order.order_id, quantity=500, ts=desk.now())
    desk.x.cancel("alice", order.order_id, ts=desk.now())  # later changes do not reach the record
    (replaced,) = [view for name, view in _read(replace) if name == "REPLACED"]
    assert (replaced.quantity, replaced.status) == (500, "NEW")
    desk.limit("carol", "SELL", "0.01", "45000")
    read = _read(desk.limit("bob", "BUY", "0.01", "45000"))
    (triggered,) = [view for name, view in read if name == "TRIGGERED"]
    assert triggered.order_id == stop.order_id and triggered.is_working


def test_balances_are_read_once_each(desk: Desk):
    desk.limit("alice", "BUY", "1", "30000")
    desk.limit("alice", "BUY", "1", "100", symbol=ETH)
    result = desk.x.cancel_all("alice", ts=desk.now())  # two seats of alice share her USD
    changes = balance_changes(result.records)
    assert [(account, asset) for account, asset, _, _ in changes] == [
        ("alice", "BTC"),
        ("alice", "USD"),
        ("alice", "ETH"),
    ]
    usd = desk.x.balances("alice")["USD"]
    assert changes[1][2:] == (usd.available, usd.locked) == (parse_amount("1000000"), 0)
    assert changes == [
        (e.account, e.asset, e.available, e.locked) for e in result.events if type(e) is BalanceChanged
    ]
    withdrawal = desk.x.withdraw("alice", "ETH", parse_amount("1"), ts=desk.now())
    assert balance_changes(withdrawal.records) == [("alice", "ETH", parse_amount("999"), 0)]


def test_an_order_record_names_its_account(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    result = desk.limit("bob", "BUY", "1", "50000")
    (trade,) = [record for record in result.records if record[0] == TRADE]
    assert (account_of(trade[7]), account_of(trade[8])) == ("alice", "bob")
