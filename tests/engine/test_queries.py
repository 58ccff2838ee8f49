"""Queries: market data views and reference data."""

from __future__ import annotations

import pytest

from exchangesim.engine import EngineError, ErrorCode

from .conftest import BTC, ETH, Desk


def test_depth_best_prices_and_l3(desk: Desk):
    a = desk.limit("alice", "BUY", "1", "49000")
    b = desk.limit("bob", "BUY", "2", "49000")
    desk.limit("bob", "BUY", "1", "48000")
    desk.limit("carol", "SELL", "0.5", "51000")
    depth = desk.x.depth(BTC, 1)
    assert (depth.bids, depth.asks, depth.sequence) == (((4_900_000, 3000),), ((5_100_000, 500),), 4)
    assert desk.x.depth(BTC, 5).bids == ((4_900_000, 3000), (4_800_000, 1000))
    assert desk.x.depth(BTC, 0).bids == ()
    assert desk.x.best_bid_ask(BTC) == (4_900_000, 5_100_000)
    assert desk.x.best_bid_ask(ETH) == (None, None)
    assert desk.x.level_orders(BTC, 4_900_000) == [(a.order_id, 1000), (b.order_id, 2000)]


def test_recent_trades_and_stats(desk: Desk):
    desk.limit("alice", "SELL", "1", "50000")
    desk.limit("bob", "BUY", "0.25", "50000")
    desk.limit("carol", "BUY", "0.5", "50000")
    trades = desk.x.recent_trades(BTC)
    assert [(t.trade_id, t.quantity, t.taker_account) for t in trades] == [(1, 250, "bob"), (2, 500, "carol")]
    assert [t.trade_id for t in desk.x.recent_trades(BTC, 1)] == [2]
    stats = desk.x.stats(BTC)
    assert (stats.trades, stats.volume, stats.quote_volume) == (2, 750, 37500 * 10**18)
    assert desk.x.recent_trades(ETH) == [] and desk.x.last_price(ETH) is None


def test_reference_data(desk: Desk):
    assert [i.symbol for i in desk.x.instruments()] == [BTC, ETH]
    assert desk.x.instrument(ETH).tick_size == desk.x.instruments()[1].tick_size
    assert desk.x.assets() == ["BTC", "ETH", "USD"]
    assert desk.x.account_names() == ["fees", "alice", "bob", "carol"]


@pytest.mark.parametrize(
    "query", ["depth", "best_bid_ask", "last_price", "recent_trades", "stats", "instrument"]
)
def test_unknown_symbol(desk: Desk, query):
    with pytest.raises(EngineError) as caught:
        getattr(desk.x, query)("DOGE/USD")
    assert caught.value.code == ErrorCode.UNKNOWN_SYMBOL


@pytest.mark.parametrize("query", ["balances", "positions", "open_orders", "orders", "fills"])
def test_unknown_account(desk: Desk, query):
    with pytest.raises(EngineError) as caught:
        getattr(desk.x, query)("mallory")
    assert caught.value.code == ErrorCode.UNKNOWN_ACCOUNT


def test_order_progress_is_what_get_order_says_of_it(desk: Desk):
    desk.limit("alice", "SELL", "0.4", "50000")
    order = desk.limit("bob", "BUY", "1", "50000")
    stop = desk.place("bob", "SELL", "STOP_LOSS_LIMIT", "1", "40000", stop="45000")
    taken = desk.limit("carol", "BUY", "0.2", "49000")
    desk.x.cancel("carol", taken.order_id, ts=desk.now())
    for account, order_id in (("bob", order.order_id), ("bob", stop.order_id), ("carol", taken.order_id)):
        view = desk.x.get_order(account, order_id)
        progress = desk.x.order_progress(account, order_id)
        assert progress == (view.price, view.quantity, view.filled, view.status, view.is_working)
    assert desk.x.order_progress("bob", order.order_id).filled == desk.lots("0.4")
    with pytest.raises(EngineError) as caught:
        desk.x.order_progress("alice", order.order_id)  # another account's order is unknown
    assert caught.value.code == ErrorCode.UNKNOWN_ORDER


def test_balance_is_one_asset_of_balances(desk: Desk):
    desk.limit("alice", "BUY", "1", "30000")
    for asset in desk.x.assets():
        assert desk.x.balance("alice", asset) == desk.x.balances("alice")[asset]
    assert desk.x.balance("alice", "USD").locked > 0
    assert desk.x.balance("fees", "ETH").total == 0  # never held: zero, as balances says
    with pytest.raises(EngineError) as caught:
        desk.x.balance("alice", "DOGE")
    assert caught.value.code == ErrorCode.UNKNOWN_ASSET
