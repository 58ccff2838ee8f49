"""Liquidity agents on a bare engine: the maker's ladder, amends, skew and widening; the limit traders;
the takers' bursts and sizes; refills."""

import itertools
from decimal import Decimal

import attrs
import numpy as np
import pytest

from exchangesim.config import PRESETS
from exchangesim.engine import Exchange, Instrument, parse_amount
from exchangesim.marketdata.agents import LimitTrader, MarketMaker, Taker, funding_for, lots_for, refill

SYMBOL = "BTC/USD"
FAIR = 5_000_000  # 50,000.00 in ticks of 0.01
TOY = PRESETS["toy"]
LIQUID = PRESETS["liquid"]


def settings(preset=TOY, **changes):
    return attrs.evolve(preset, **changes)


@pytest.fixture
def exchange():
    x = Exchange()
    x.add_instrument(
        Instrument(SYMBOL, "BTC", "USD", tick_size="0.01", lot_size="0.0001", maker_fee="0", taker_fee="0")
    )
    for name in ("maker", "taker", "limits"):
        x.open_account(name)
        x.deposit(name, "USD", parse_amount("100000000"), ts=0)
        x.deposit(name, "BTC", parse_amount("2000"), ts=0)
    return x


def maker_of(exchange, seed=1, **changes):
    return MarketMaker(exchange, "maker", SYMBOL, settings(**changes), np.random.default_rng(seed))


def taker_of(exchange, seed=7, **changes):
    return Taker(exchange, "taker", SYMBOL, settings(**changes), np.random.default_rng(seed))


def book(x):
    depth = x.depth(SYMBOL, 1000)
    return [p for p, _ in depth.bids], [p for p, _ in depth.asks]


def test_the_toy_maker_quotes_its_levels_around_fair_without_crossing(exchange):
    maker_of(exchange, levels=3, spread_bps=Decimal(10), spacing_bps=Decimal(5)).quote(FAIR, ts=1)
    bids, asks = book(exchange)
    assert bids == [4_997_500, 4_995_000, 4_992_500]  # half the spread below fair, then a level every 5 bps
    assert asks == [5_002_500, 5_005_000, 5_007_500]
    lots = [q for _, q in exchange.depth(SYMBOL, 3).asks]
    assert lots == [
        lots_for(exchange.instrument(SYMBOL), Decimal(5000) * (2 + k) / 2, p) for k, p in enumerate(asks)
    ]


def test_the_liquid_maker_quotes_one_tick_apart_with_sizes_that_vary(exchange):
    MarketMaker(exchange, "maker", SYMBOL, LIQUID, np.random.default_rng(1)).quote(FAIR, ts=1)
    bids, asks = book(exchange)
    assert bids == [FAIR - 1, FAIR - 2, FAIR - 3] and asks == [FAIR + 1, FAIR + 2, FAIR + 3]
    sizes = [q for _, q in exchange.depth(SYMBOL, 3).asks + exchange.depth(SYMBOL, 3).bids]
    assert len(set(sizes)) == 6


def test_the_maker_moves_its_orders_by_amending_them(exchange):
    maker = maker_of(exchange, levels=2)
    maker.quote(FAIR, ts=1)
    before = sorted(o.order_id for o in exchange.open_orders("maker"))
    maker.quote(FAIR + 10_000, ts=2)  # fair up 0.2%
    assert sorted(o.order_id for o in exchange.open_orders("maker")) == before
    assert book(exchange) == ([5_007_495, 5_004_990], [5_012_505, 5_015_010])


def test_the_maker_replaces_a_filled_quote(exchange):
    maker = maker_of(exchange, levels=1)
    maker.quote(FAIR, ts=1)
    exchange.place("taker", SYMBOL, "BUY", "MARKET", 999, ts=2)  # takes the whole ask
    assert book(exchange)[1] == []
    maker.quote(FAIR, ts=3)
    assert book(exchange)[1] == [5_002_500]


def test_the_maker_leans_against_its_inventory(exchange):
    maker = maker_of(exchange, levels=1, spread_bps=Decimal(10), skew_bps=Decimal(10))
    maker.quote(FAIR, ts=1, inventory=0.5)  # long half its starting balance: quotes 5 bps lower
    assert book(exchange) == ([4_995_000], [5_000_000])


def test_the_maker_widens_when_the_fair_price_moves_faster_than_its_volatility(exchange):
    calm = maker_of(exchange, levels=1, spread_bps=Decimal(10), volatility_widening=1.0)
    stormy = MarketMaker(
        exchange,
        "maker",
        SYMBOL,
        settings(levels=1, spread_bps=Decimal(10), volatility_widening=1.0),
        np.random.default_rng(1),
        volatility=0.8,
    )
    for tick in range(2000):  # about 4x the 0.8 a year it expects
        stormy.observe(FAIR + (300 if tick % 2 else -300))
    assert calm.widening() == 1.0
    assert stormy.widening() > 3
    stormy.quote(FAIR, ts=1)
    bid, ask = exchange.best_bid_ask(SYMBOL)
    assert ask - bid > 3 * 5000


def test_the_maker_takes_others_quotes_left_beyond_fair_before_it_quotes(exchange):
    exchange.place("limits", SYMBOL, "SELL", "LIMIT", 100, FAIR - 500, ts=1)  # stale: below fair
    maker_of(exchange, levels=1).quote(FAIR, ts=2)
    bids, asks = book(exchange)
    assert asks[0] > FAIR and bids[0] < FAIR  # nothing on the wrong side of fair is left
    assert exchange.open_orders("limits") == []
    assert exchange.recent_trades(SYMBOL)[-1].taker_account == "maker"


def test_requotes_are_due_on_refresh_or_a_move_of_half_a_level(exchange):
    maker = maker_of(exchange, refresh_ms=250, spacing_bps=Decimal(5))
    assert maker.due(FAIR, 0)
    maker.quote(FAIR, ts=0)
    assert not maker.due(FAIR + 1000, 100)  # 2 bps: under half a level
    assert maker.due(FAIR + 1250, 100)  # 2.5 bps
    assert maker.due(FAIR, 250)


def test_at_a_price_whose_half_level_is_under_a_tick_a_move_of_one_tick_is_due(exchange):
    fair = 10_000  # 100.00: half of a 1 bp level is half a tick
    maker = maker_of(exchange, refresh_ms=250, spacing_bps=Decimal(1))
    maker.quote(fair, ts=0)
    assert not maker.due(fair, 1)  # nothing moved: the quotes stand until the refresh
    assert maker.due(fair - 1, 1) and maker.due(fair + 1, 1)
    assert maker.due(fair, 250)


def test_limit_traders_rest_a_deep_book_that_follows_the_thin_side(exchange):
    MarketMaker(exchange, "maker", SYMBOL, LIQUID, np.random.default_rng(1)).quote(FAIR, ts=0)
    limits = LimitTrader(exchange, "limits", SYMBOL, LIQUID, np.random.default_rng(2))
    limits.begin(FAIR, 0)
    bids, asks = book(exchange)
    reach = FAIR * 20 // 10_000
    near_bids = [p for p in bids if FAIR - p <= reach // 2]
    near_asks = [p for p in asks if p - FAIR <= reach // 2]
    assert len(near_bids) > 50 and len(near_asks) > 50
    assert min(bids) >= FAIR - reach and max(asks) <= FAIR + reach
    lots = [q for _, q in exchange.depth(SYMBOL, 60).bids]
    assert sum(abs(a - b) / max(a, b) < 0.01 for a, b in itertools.pairwise(lots)) < len(lots) // 2
    resting = len(exchange.open_orders("limits"))
    limits.act(FAIR, 60_000)  # a minute later every one has lived its time, and new ones came
    assert not {o.order_id for o in exchange.open_orders("limits")} & set(range(resting))
    assert len(exchange.open_orders("limits")) > resting // 2


def test_the_informed_taker_trades_toward_fair(exchange):
    maker_of(exchange, levels=5).quote(FAIR, ts=1)
    taker = taker_of(exchange, taker_rate=1000.0, informed_share=1.0)
    taker.begin(2)
    sent = taker.act(FAIR + 20_000, ts=1002)  # a second of arrivals; fair is 0.4% above every ask
    assert sent > 900
    assert book(exchange)[1] == []  # it bought every ask under fair, up to the last level
    assert exchange.last_price(SYMBOL) == 5_012_500


def test_at_fair_the_taker_trades_both_sides(exchange):
    maker_of(exchange, levels=5, level_notional=Decimal(100000)).quote(FAIR, ts=1)
    taker = taker_of(exchange, seed=3, taker_rate=50.0)
    taker.begin(2)
    assert taker.act(FAIR, ts=1002) > 0
    sides = {trade.taker_side for trade in exchange.recent_trades(SYMBOL, 1000)}
    assert sides == {"BUY", "SELL"}


def test_taker_sizes_are_heavy_tailed(exchange):
    maker_of(exchange, levels=10, level_notional=Decimal(10_000_000)).quote(FAIR, ts=1)
    sizes = []
    exchange.subscribe(lambda result: sizes.extend(trade.quote for trade in result.trades))
    taker = Taker(exchange, "taker", SYMBOL, LIQUID, np.random.default_rng(4))
    taker.begin(0)
    taker.act(FAIR, ts=200_000)
    assert len(sizes) > 2000
    assert np.percentile(sizes, 99) / np.median(sizes) > 20


def test_taker_arrivals_do_not_depend_on_how_the_ticks_are_grouped(exchange):
    def arrivals(step_ms):
        # The book is empty: arrivals find nothing to trade, so only the clock decides.
        taker = Taker(exchange, "taker", SYMBOL, LIQUID, np.random.default_rng(5))
        taker.begin(0)
        times = []
        for ts in range(step_ms, 100_001, step_ms):
            times += [ts] * taker.act(FAIR, ts)
        return times

    one_ms = arrivals(1)
    assert 1600 < len(one_ms) < 2400  # 20 a second for 100 s
    assert [-(-ts // 1000) * 1000 for ts in one_ms] == arrivals(1000)


def test_a_taker_with_rate_zero_never_arrives(exchange):
    taker = taker_of(exchange, taker_rate=0.0)
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
    exchange.place("agent", SYMBOL, "BUY", "LIMIT", 62, 4_000_000, ts=4)  # locks 248 of the 300
    refill(exchange, "agent", funding, ts=5)  # what orders lock does not count as available
    assert exchange.balances("agent")["USD"].available == funding["USD"]


def test_funding_covers_twenty_ladders_or_the_resting_limit_orders_three_times():
    instrument = Instrument(SYMBOL, "BTC", "USD", tick_size="0.01", lot_size="0.0001")
    assert funding_for(instrument, TOY, FAIR) == {"BTC": parse_amount("65"), "USD": parse_amount("3250000")}
    resting = 40 * 8 * 5000 * 3  # limit_rate x lifetime x notional, three times
    assert funding_for(instrument, LIQUID, FAIR)["USD"] == parse_amount(str(resting))
