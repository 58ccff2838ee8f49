"""Accounts: kept history of closed orders and fills, client order id reuse, fee tiers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.engine import EngineError, ErrorCode, FeeTier, accounts

from .conftest import Desk


@pytest.fixture
def short_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "CLOSED_KEPT", 3)


def test_closed_orders_are_kept_then_forgotten(desk: Desk, short_memory):
    ids = []
    for n in range(5):
        ids.append(desk.limit("alice", "BUY", "1", "40000", client_order_id=f"c{n}").order_id)
        desk.x.cancel("alice", ids[-1], ts=desk.now())
    assert [o.order_id for o in desk.x.orders("alice")] == ids[2:]
    with pytest.raises(EngineError) as caught:
        desk.x.get_order("alice", ids[0])
    assert caught.value.code == ErrorCode.UNKNOWN_ORDER
    # the client id of a forgotten order may be used again; a kept one may not
    assert desk.limit("alice", "BUY", "1", "40000", client_order_id="c0").order.status == "NEW"
    with pytest.raises(EngineError) as caught:
        desk.limit("alice", "BUY", "1", "40000", client_order_id="c4")
    assert caught.value.code == ErrorCode.DUPLICATE_CLIENT_ORDER_ID


def test_the_open_scope_frees_a_client_id_once_its_order_closed(desk: Desk, short_memory):
    """ClientIdScope.OPEN (the Binance dialect's rule): unique among open orders only; a query by the
    id finds the newest order that used it, and forgetting the old order keeps the new one findable."""
    first = desk.limit("alice", "BUY", "1", "40000", client_order_id="again", client_id_scope="OPEN")
    with pytest.raises(EngineError) as caught:
        desk.limit("alice", "BUY", "1", "40000", client_order_id="again", client_id_scope="OPEN")
    assert (caught.value.code, caught.value.order_id) == (ErrorCode.DUPLICATE_CLIENT_ORDER_ID, first.order_id)
    desk.x.cancel("alice", first.order_id, ts=desk.now())
    second = desk.limit("alice", "BUY", "1", "40000", client_order_id="again", client_id_scope="OPEN")
    assert desk.x.get_order_by_client_id("alice", "again").order_id == second.order_id
    for _ in range(5):  # the first order is forgotten
        desk.x.cancel("alice", desk.limit("alice", "BUY", "1", "40000").order_id, ts=desk.now())
    assert desk.x.get_order_by_client_id("alice", "again").order_id == second.order_id
    with pytest.raises(EngineError) as caught:  # the default scope still counts the closed one
        desk.x.cancel("alice", second.order_id, ts=desk.now())
        desk.limit("alice", "BUY", "1", "40000", client_order_id="again")
    assert caught.value.code == ErrorCode.DUPLICATE_CLIENT_ORDER_ID
    with pytest.raises(EngineError) as caught:
        desk.limit("alice", "BUY", "1", "40000", client_order_id="other", client_id_scope="ALL")
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_ENUM, "client_id_scope")


def test_open_orders_are_never_forgotten(desk: Desk, short_memory):
    resting = desk.limit("alice", "BUY", "1", "30000", client_order_id="keep")
    for _ in range(10):
        desk.x.cancel("alice", desk.limit("alice", "BUY", "1", "40000").order_id, ts=desk.now())
    assert desk.x.get_order_by_client_id("alice", "keep").order_id == resting.order_id


def test_orders_query_filters(desk: Desk):
    a = desk.limit("alice", "BUY", "1", "40000")
    b = desk.limit("alice", "BUY", "1", "41000")
    desk.x.cancel("alice", a.order_id, ts=desk.now())
    c = desk.place("alice", "BUY", "LIMIT", "1", "2000", symbol="ETH/USD")
    x = desk.x
    assert [o.order_id for o in x.orders("alice")] == [a.order_id, b.order_id, c.order_id]
    assert [o.order_id for o in x.orders("alice", status="CANCELED")] == [a.order_id]
    assert [o.order_id for o in x.orders("alice", symbol="BTC/USD", status="NEW")] == [b.order_id]
    assert [o.order_id for o in x.orders("alice", limit=1)] == [c.order_id]
    with pytest.raises(EngineError) as caught:
        x.orders("alice", status="DONE")
    assert caught.value.code == ErrorCode.INVALID_ENUM


def test_fills_history_keeps_both_roles_in_trade_order(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("bob", "BUY", "0.4", "50000")
    desk.limit("alice", "BUY", "0.1", "50000")  # alice against her own ask: maker and taker of one trade
    fills = desk.x.fills("alice")
    assert [(f.trade_id, f.liquidity, f.side) for f in fills] == [
        (1, "MAKER", "SELL"),
        (2, "MAKER", "SELL"),
        (2, "TAKER", "BUY"),
    ]
    assert [f.trade_id for f in desk.x.fills("alice", limit=1)] == [2]
    assert desk.x.fills("alice", symbol="ETH/USD") == []
    (bob,) = desk.x.fills("bob")
    assert (bob.quantity, bob.fee_asset, bob.fee) == (400, "BTC", 8 * 10**14)  # 0.2% of 0.4 BTC


def test_fee_tier_rates_are_validated():
    with pytest.raises(EngineError) as caught:
        FeeTier("bad", Decimal("0.5"), Decimal("1.5"))
    assert caught.value.code == ErrorCode.INVALID_FEE_RATE


def test_balances_list_every_asset(desk: Desk):
    desk.x.open_account("dave")
    assert {k: (v.available, v.locked, v.total) for k, v in desk.x.balances("dave").items()} == {
        "BTC": (0, 0, 0),
        "ETH": (0, 0, 0),
        "USD": (0, 0, 0),
    }


def test_orders_returns_the_newest_limit(desk):
    ids = [desk.limit("alice", "BUY", "1", price).order_id for price in ("100", "101", "102")]
    assert [o.order_id for o in desk.x.orders("alice", limit=2)] == ids[1:]
    assert desk.x.orders("alice", limit=0) == desk.x.orders("alice", limit=-1) == []
    assert [o.order_id for o in desk.x.orders("alice")] == ids
