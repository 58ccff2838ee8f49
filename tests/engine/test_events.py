"""Events: compact records become frozen attrs events; every kind materialises."""

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
)

from .conftest import BTC, Desk


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
