"""The liquid preset against the realism yardsticks (DESIGN's market-realism notes), on a shorter
in-memory run than ``bench/market_quality.py``'s ten minutes: what a bot reading the book sees."""

import itertools
from collections import Counter

import numpy as np
import pytest
from twisted.internet.task import Clock

from exchangesim.config import Config, seal
from exchangesim.engine import Trade
from exchangesim.venue import open_venue

SYMBOL = "BTC/USD"
SECONDS = 60


@pytest.fixture(scope="module")
def market():
    """A minute of the default market (liquid preset, 1 ms ticks), sampled every 100 ms."""
    config = Config()
    config.persistence.enabled = False
    venue = open_venue(seal(config), Clock())
    trades = []
    venue.exchange.subscribe(lambda result: trades.extend(e for e in result.events if isinstance(e, Trade)))
    service = venue.market
    service.startService()
    x = venue.exchange
    spreads, near_levels = [], []
    for step in range(SECONDS * 10):
        venue.clock.advance(0.1)
        bid, ask = x.best_bid_ask(SYMBOL)
        spreads.append(ask - bid)
        if step % 10 == 0:
            mid = (bid + ask) / 2
            depth = x.depth(SYMBOL, 1000)
            near_levels.append(
                (
                    [q for p, q in depth.bids if p >= mid * 0.999],
                    [q for p, q in depth.asks if p <= mid * 1.001],
                )
            )
    return venue, [t for t in trades if t.symbol == SYMBOL], np.array(spreads), near_levels


def test_the_spread_is_one_or_two_ticks(market):
    _, _, spreads, _ = market
    assert np.median(spreads) <= 2
    assert spreads.max() > 2  # it widens after sweeps


def test_fifty_levels_a_side_within_ten_bps_with_sizes_that_vary(market):
    _, _, _, near_levels = market
    for bids, asks in near_levels[1:]:
        assert min(len(bids), len(asks)) >= 40
    bids = near_levels[-1][0]
    alike = sum(abs(a - b) / max(a, b) < 0.01 for a, b in itertools.pairwise(bids))
    assert alike < len(bids) / 2
    cumulative = np.cumsum(bids)
    assert cumulative[len(bids) // 2] < cumulative[-1] / 2 * 1.5  # depth keeps growing with distance


def test_taker_orders_come_in_bursts_with_heavy_tailed_sizes(market):
    venue, trades, _, _ = market
    orders = Counter()  # aggTrades' grouping: one taker order's trades share a time and a side
    for trade in trades:
        if trade.taker_account == "agent-taker":
            orders[trade.ts, trade.taker_side] += trade.quote
    start = venue.market_clock.start_ms
    per_second = np.bincount([(ts - start) // 1000 for ts, _ in orders], minlength=SECONDS)[:SECONDS]
    assert per_second.var() / per_second.mean() > 1.5
    sizes = np.array(list(orders.values()), dtype=float)
    assert np.percentile(sizes, 99) / np.median(sizes) >= 15  # 20 over the bench's ten minutes


def test_a_sweep_is_repaired_within_a_second(market):
    venue, _, spreads, _ = market
    x = venue.exchange
    x.deposit("default", "USD", 10**30, ts=venue.now_ms())
    lots = sum(q for _, q in x.depth(SYMBOL, 5).asks)
    x.place("default", SYMBOL, "BUY", "MARKET", lots, ts=venue.now_ms())
    bid, ask = x.best_bid_ask(SYMBOL)
    assert ask - bid > 2 * np.median(spreads)
    venue.clock.advance(1.0)
    bid, ask = x.best_bid_ask(SYMBOL)
    assert ask - bid <= 2 * np.median(spreads)


def test_the_book_is_concave_a_larger_order_moves_the_price_less_than_in_proportion(market):
    venue, _, _, _ = market
    x = venue.exchange
    x.deposit("default", "USD", 10**30, ts=venue.now_ms())
    moves = {0.1: 0.0, 0.4: 0.0}
    for _ in range(3):
        for share in moves:
            venue.clock.advance(5.0)
            bid, ask = x.best_bid_ask(SYMBOL)
            mid = (bid + ask) / 2
            visible = sum(q for p, q in x.depth(SYMBOL, 5000).asks if p <= mid * 1.001)
            x.place("default", SYMBOL, "BUY", "MARKET", int(visible * share), ts=venue.now_ms())
            bid, ask = x.best_bid_ask(SYMBOL)
            moves[share] += (bid + ask) / 2 - mid
    assert 0 < moves[0.4] < 3 * moves[0.1]
