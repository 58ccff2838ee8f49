"""The moving market on a task.Clock: books fill, prices move through trades, control, candles."""

import pytest
from twisted.internet.task import Clock

from exchangesim.config import Config, seal
from exchangesim.marketdata.service import MarketService
from exchangesim.venue import open_venue

EPSILON = 0.0001  # past the last due time, which summed float steps may fall a hair short of


def start(tick_ms=10, taker_rate=5.0, liquidity=True, **market_data):
    """A venue with its MarketService started on a fresh Clock."""
    config = Config()
    config.exchange.tick_interval_ms = tick_ms
    config.liquidity.taker_rate = taker_rate
    config.liquidity.enabled = liquidity
    for key, value in market_data.items():
        setattr(config.market_data, key, value)
    clock = Clock()  # from 0: summed float steps at epoch scale would drift by whole ticks
    venue = open_venue(seal(config), clock)
    service = MarketService(venue)
    service.startService()
    return venue, service, clock


def run(seconds, tick_ms=10, **settings):
    """Started, then ``seconds`` of ticks on time."""
    venue, service, clock = start(tick_ms, **settings)
    clock.pump([tick_ms / 1000] * round(seconds * 1000 / tick_ms) + [EPSILON])
    return venue, service, clock


def test_within_five_seconds_books_have_depth_trades_happen_and_prices_move():
    venue, _, _ = run(5)
    x = venue.exchange
    for symbol in ("BTC/USD", "ETH/USD"):
        depth = x.depth(symbol, 100)
        assert len(depth.bids) == len(depth.asks) == 10
        trades = x.recent_trades(symbol, 1000)
        assert len(trades) > 5
        assert len({trade.price for trade in trades}) > 2
    instrument = x.instrument("BTC/USD")
    result = x.place(
        "default", "BTC/USD", "BUY", "MARKET", instrument.parse_quantity("0.5"), ts=venue.now_ms()
    )
    assert result.order.status == "FILLED"


def test_the_same_seed_gives_the_same_market():
    def trades():
        venue, _, _ = run(2)
        return [(t.price, t.quantity, t.taker_side) for t in venue.exchange.recent_trades("BTC/USD", 1000)]

    assert trades() == trades()


def test_a_stalled_reactor_catches_up_on_the_same_price_path():
    steady, _, _ = run(2)
    _, service, clock = start()
    clock.pump([0.01] * 50 + [0.5] + [0.01] * 100)  # 2 s with a 500 ms stall in the middle
    for symbol in ("BTC/USD", "ETH/USD"):
        assert service.markets[symbol].schedule.ticks == 200
        assert service.markets[symbol].model.price == steady.markets[symbol].model.price


def test_last_price_follows_the_fair_price_through_trades():
    venue, service, _ = run(30, volatility=3.0)
    market = service.markets["BTC/USD"]
    last = venue.exchange.last_price("BTC/USD")
    assert abs(last - market.fair) / market.fair < 0.003  # within a few levels of fair


def test_pause_stops_the_market_and_resume_starts_it_again():
    _, service, clock = run(1)
    market = service.markets["BTC/USD"]
    market.stop()
    price, ticks = market.model.price, market.schedule.ticks
    clock.pump([0.01] * 100)
    assert (market.paused, market.model.price, market.schedule.ticks) == (True, price, ticks)
    market.start()
    clock.pump([0.01] * 10 + [EPSILON])
    assert not market.paused and market.schedule.ticks == 10


def test_a_flash_crash_moves_the_fair_price_over_its_duration():
    venue, service, clock = run(1, volatility=0.0, taker_rate=50.0)
    market = service.markets["BTC/USD"]
    before = market.model.price
    market.jump(-0.1, 500)
    clock.pump([0.01] * 25)
    assert market.model.price == pytest.approx(before * 0.9**0.5)
    clock.pump([0.01] * 100)
    assert market.model.price == pytest.approx(before * 0.9)
    assert venue.exchange.last_price("BTC/USD") < venue.exchange.instrument("BTC/USD").parse_price("45500")


def test_candles_close_every_second_on_the_clock():
    venue, service, clock = run(3)
    closed = venue.candles["BTC/USD"]["1s"].latest(10)
    assert [c.closed for c in closed] == [True, True, True, False]
    service.stopService()
    assert not clock.getDelayedCalls()


def test_without_liquidity_the_fair_price_moves_but_nothing_trades():
    venue, service, clock = start(tick_ms=1, liquidity=False)
    clock.pump([0.001] * 100)
    assert venue.exchange.recent_trades("BTC/USD") == []
    assert service.markets["BTC/USD"].model.price != 50_000.0
    assert "agent-maker" not in venue.exchange.account_names()


def test_a_jump_on_a_grid_model_lands_where_it_was_sent():
    _, service, clock = run(1, volatility=0.0, model="random_walk")
    market = service.markets["ETH/USD"]
    before = market.model.price
    market.jump(-0.1, 60_000)  # each tick's share is far under one price step
    clock.pump([0.01] * 6000 + [EPSILON])
    assert market.model.price == pytest.approx(before * 0.9, abs=0.01)


def test_a_jump_out_of_bounds_is_refused():
    _, service, _ = run(0.1)
    market = service.markets["BTC/USD"]
    for fraction, duration in ((-1.0, 10), (1e308, 10), (float("nan"), 10), (0.1, -1), (0.1, 10**12)):
        with pytest.raises(ValueError):
            market.jump(fraction, duration)
