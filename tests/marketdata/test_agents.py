"""Liquidity agents on a bare engine: the maker's ladder, amends instead of cancels, the taker, refills."""

from decimal import Decimal

import numpy as np
import pytest

from exchangesim.config import LiquidityConfig
from exchangesim.engine import Exchange, Instrument, parse_amount
from exchangesim.marketdata.agents import MarketMaker, Taker, funding_for, lots_for, refill

SYMBOL = "BTC/USD"
FAIR = 5_000_000  # 50,000.00 in ticks of 0.01


@pytest.fixture
def exchange():
    x = Exchange()
    x.add_instrument(
        Instrument(SYMBOL, "BTC", "USD", tick_size="0.01", lot_size="0.0001", maker_fee="0", taker_fee="0")
    )
    for name in ("maker", "taker"):
        x.open_account(name)
        x.deposit(name, "USD", parse_amount("10000000"), ts=0)
        x.deposit(name, "BTC", parse_amount("200"), ts=0)
    return x


def book(x):
    depth = x.depth(SYMBOL, 100)
    return [p for p, _ in depth.bids], [p for p, _ in depth.asks]


def test_the_maker_quotes_its_levels_around_fair_without_crossing(exchange):
    maker = MarketMaker(
        exchange, "maker", SYMBOL, LiquidityConfig(levels=3, spread_bps=Decimal(10), spacing_bps=Decimal(5))
    )
    maker.quote(FAIR, ts=1)
    bids, asks = book(exchange)
    assert bids == [4_997_500, 4_995_000, 4_992_500]  # half the spread below fair, then a level every 5 bps
    assert asks == [5_002_500, 5_005_000, 5_007_500]
    lots = [q for _, q in exchange.depth(SYMBOL, 1).asks]
    assert lots == [lots_for(exchange.instrument(SYMBOL), Decimal(5000), 5_002_500)] == [999]


def test_the_maker_moves_its_orders_by_amending_them(exchange):
    maker = MarketMaker(exchange, "maker", SYMBOL, LiquidityConfig(levels=2))
    maker.quote(FAIR, ts=1)
    before = sorted(o.order_id for o in exchange.open_orders("maker"))
    maker.quote(FAIR + 10_000, ts=2)  # fair up 0.2%
    after = exchange.open_orders("maker")
    assert sorted(o.order_id for o in after) == before
    assert book(exchange) == ([5_007_495, 5_004_990], [5_012_505, 5_015_010])


def test_the_maker_replaces_a_filled_quote(exchange):
    maker = MarketMaker(exchange, "maker", SYMBOL, LiquidityConfig(levels=1))
    maker.quote(FAIR, ts=1)
    exchange.place("taker", SYMBOL, "BUY", "MARKET", 999, ts=2)  # takes the whole ask
    assert book(exchange)[1] == []
    maker.quote(FAIR, ts=3)
    assert book(exchange)[1] == [5_002_500]


def test_requotes_are_due_on_refresh_or_a_move_of_half_a_level(exchange):
    maker = MarketMaker(exchange, "maker", SYMBOL, LiquidityConfig(refresh_ms=250, spacing_bps=Decimal(5)))
    assert maker.due(FAIR, 0)
    maker.quote(FAIR, ts=0)
    assert not maker.due(FAIR + 1000, 100)  # 2 bps: under half a level
    assert maker.due(FAIR + 1250, 100)  # 2.5 bps
    assert maker.due(FAIR, 250)


def test_the_taker_trades_toward_fair(exchange):
    MarketMaker(exchange, "maker", SYMBOL, LiquidityConfig(levels=5)).quote(FAIR, ts=1)
    taker = Taker(exchange, "taker", SYMBOL, LiquidityConfig(taker_rate=1000.0), np.random.default_rng(7))
    taker.begin(2)
    sent = taker.act(FAIR + 20_000, ts=1002)  # a second of arrivals; fair is 0.4% above every ask
    assert sent > 900
    assert book(exchange)[1] == []  # it bought every ask under fair, up to the last level
    assert exchange.last_price(SYMBOL) == 5_012_500


def test_at_fair_the_taker_trades_both_sides(exchange):
    MarketMaker(exchange, "maker", SYMBOL, LiquidityConfig(levels=5, level_notional=Decimal(100000))).quote(
        FAIR, ts=1
    )
    taker = Taker(exchange, "taker", SYMBOL, LiquidityConfig(taker_rate=50.0), np.random.default_rng(3))
    taker.begin(2)
    assert taker.act(FAIR, ts=1002) > 0
    sides = {trade.taker_side for trade in exchange.recent_trades(SYMBOL, 1000)}
    assert sides == {"BUY", "SELL"}


def test_taker_arrivals_do_not_depend_on_how_the_ticks_are_grouped(exchange):
    def arrivals(step_ms):
        # The book is empty: arrivals find nothing to trade, so only the clock decides.
        taker = Taker(exchange, "taker", SYMBOL, LiquidityConfig(taker_rate=200.0), np.random.default_rng(5))
        taker.begin(0)
        times = []
        for ts in range(step_ms, 10_001, step_ms):
            times += [ts] * taker.act(FAIR, ts)
        return times

    one_ms = arrivals(1)
    assert 1800 < len(one_ms) < 2200  # 200 a second for 10 s
    assert [-(-ts // 1000) * 1000 for ts in one_ms] == arrivals(1000)


def test_a_taker_with_rate_zero_never_arrives(exchange):
    taker = Taker(exchange, "taker", SYMBOL, LiquidityConfig(taker_rate=0.0), np.random.default_rng(5))
    taker.begin(0)
    assert taker.act(FAIR, ts=10**12) == 0


def test_refill_tops_up_what_fell_under_a_quarter(exchange):
    funding = {"USD": parse_amount("1000"), "BTC": parse_amount("1")}
    exchange.open_account("agent")
    refill(exchange, "agent", funding, ts=1)
    balances = exchange.balances("agent")
    assert (balances["USD"].available, balances["BTC"].available) == (funding["USD"], funding["BTC"])
    exchange.withdraw("agent", "USD", parse_amount("700"), ts=2)
    refill(exchange, "agent", funding, ts=3)
    assert exchange.balances("agent")["USD"].available == parse_amount("300")  # a quarter or more: left alone
    exchange.withdraw("agent", "USD", parse_amount("100"), ts=4)
    refill(exchange, "agent", funding, ts=5)
    assert exchange.balances("agent")["USD"].available == funding["USD"]


def test_funding_covers_twenty_ladders():
    instrument = Instrument(SYMBOL, "BTC", "USD", tick_size="0.01", lot_size="0.0001")
    funding = funding_for(instrument, LiquidityConfig(levels=10, level_notional=Decimal(5000)), FAIR)
    assert funding == {"BTC": parse_amount("20"), "USD": parse_amount("1000000")}
