"""The moving market on a task.Clock: books fill, prices move through trades, control, candles."""

import pickle

import pytest
from twisted.internet.task import Clock

from exchangesim.config import Config, seal
from exchangesim.engine import Trade
from exchangesim.venue import open_venue

EPSILON = 0.0001  # past the last due time, which summed float steps may fall a hair short of


def start(tick_ms=10, taker_rate=5.0, liquidity=True, preset="liquid", **market_data):
    """A venue with its moving market started on a fresh Clock."""
    config = Config()
    config.exchange.tick_interval_ms = tick_ms
    config.liquidity.taker_rate = taker_rate
    config.liquidity.enabled = liquidity
    config.liquidity.preset = preset
    for key, value in market_data.items():
        setattr(config.market_data, key, value)
    clock = Clock()  # from 0: summed float steps at epoch scale would drift by whole ticks
    venue = open_venue(seal(config), clock)
    service = venue.market
    service.startService()
    return venue, service, clock


def run(seconds, tick_ms=10, **settings):
    """Started, then ``seconds`` of ticks on time."""
    venue, service, clock = start(tick_ms, **settings)
    clock.pump([tick_ms / 1000] * round(seconds * 1000 / tick_ms) + [EPSILON])
    return venue, service, clock


def test_within_five_seconds_books_have_depth_trades_happen_and_prices_move():
    venue, _, _ = run(5, preset="toy")
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


def recorded(seed=42, steps=(0.001,) * 60_000):
    """Every trade, book change and accepted order of a default market (two symbols at 1 ms ticks)
    whose clock advances by ``steps``, and its closed 1 s candles."""
    config = Config()
    config.exchange.seed = seed
    config.persistence.enabled = False
    venue = open_venue(seal(config), Clock())
    events = []
    venue.exchange.subscribe(lambda result: events.extend(result.events))
    service = venue.market
    service.startService()
    clock = venue.clock
    for step in steps:
        clock.advance(step)
    candles = {symbol: series["1s"].latest(100) for symbol, series in venue.statistics.candles.items()}
    return events, candles, venue


def test_the_same_seed_gives_the_same_market_however_the_clock_advances():
    # One run ticks in step with the clock; the other's reactor wakes every 2 s, catching up 2,000
    # ticks a symbol at a time: the market must not tell them apart.
    steady, steady_candles, steady_venue = recorded()
    jumpy, jumpy_candles, jumpy_venue = recorded(steps=(2.0,) * 30)
    trades = [event for event in steady if isinstance(event, Trade)]
    assert len(trades) > 500 and {t.symbol for t in trades} == {"BTC/USD", "ETH/USD"}
    assert len({t.ts for t in trades}) > 300  # trades at their own ticks, not bunched at catch-ups
    assert steady == jumpy  # trades, book changes with their sequences, orders with their ids and times
    assert steady_candles == jumpy_candles
    assert [c.closed for c in steady_candles["BTC/USD"][-61:]] == [True] * 60 + [False]
    assert steady_venue.now_ms() == jumpy_venue.now_ms() == 60_000


def test_another_seed_gives_another_market():
    same, _, _ = recorded(steps=(0.5,) * 10)
    other, _, _ = recorded(seed=43, steps=(0.5,) * 10)
    assert [e for e in same if isinstance(e, Trade)] != [e for e in other if isinstance(e, Trade)]


def test_the_market_opens_with_a_reference_price_and_a_two_sided_book():
    venue, _, _ = start(tick_ms=1000)
    for symbol, price in (("BTC/USD", "50000.00"), ("ETH/USD", "3000.00")):
        x = venue.exchange
        assert x.last_price(symbol) == x.instrument(symbol).parse_price(price)
        bid, ask = x.best_bid_ask(symbol)
        assert bid is not None and ask is not None and bid < ask
        assert x.recent_trades(symbol) == []


def test_speed_runs_ticks_agents_and_candles_on_market_time():
    venue, service, clock = start(tick_ms=10, taker_rate=20.0, speed=10.0)
    clock.pump([0.01] * 100 + [EPSILON])  # 1 s of wall clock: 10 s of market
    market = service.markets["BTC/USD"]
    assert market.timer.runs == 1000
    assert 10_000 <= venue.now_ms() < 10_010
    assert [c.closed for c in venue.statistics.candles["BTC/USD"]["1s"].latest(20)] == [True] * 10 + [False]
    trades = venue.exchange.recent_trades("BTC/USD", 1000)
    assert trades[-1].ts > 9000 and len(trades) > 100  # 20 a second of market time


def test_last_price_follows_the_fair_price_through_trades():
    venue, service, _ = run(30, volatility=3.0)
    market = service.markets["BTC/USD"]
    last = venue.exchange.last_price("BTC/USD")
    assert abs(last - market.fair) / market.fair < 0.003  # within a few levels of fair


def test_pause_stops_the_market_and_resume_starts_it_again():
    _, service, clock = run(1)
    market = service.markets["BTC/USD"]
    market.stop()
    price, ticks = market.model.price, market.timer.runs
    clock.pump([0.01] * 100)
    assert (market.paused, market.model.price, market.timer.runs) == (True, price, ticks)
    market.start()
    clock.pump([0.01] * 10 + [EPSILON])
    assert not market.paused and market.timer.runs == ticks + 10


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
    closed = venue.statistics.candles["BTC/USD"]["1s"].latest(10)
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


def test_a_change_from_outside_applies_from_the_next_tick_as_if_drawn_tick_by_tick():
    venue, service, clock = start(tick_ms=1, preset="toy")
    market = service.markets["BTC/USD"]
    reference = pickle.loads(pickle.dumps(market.model))  # the model as the market opened
    prices = []
    tick = market.timer.action
    market.timer.action = lambda ts: (tick(ts), prices.append(market.model.price))
    second = [2**-10] * 1024  # exact steps: both changes come at 1,000 ms of market time
    clock.pump(second)  # the model has worked out hundreds of ticks ahead by now
    market.model.set_parameters(volatility=3.0)  # as the admin API does, between two reactor turns
    market.jump(-0.05, 0)
    clock.pump(second)
    expected = [reference.path(1).item() for _ in range(1000)]
    reference.set_parameters(volatility=3.0)
    reference.path(1)
    reference.jump(0.95 - 1)  # the market's jump of one tick, made after the model's step
    expected.append(reference.price)
    expected.extend(reference.path(1).item() for _ in range(999))
    assert venue.now_ms() == 2000
    assert prices == expected


def test_a_jump_out_of_bounds_is_refused():
    _, service, _ = run(0.1)
    market = service.markets["BTC/USD"]
    for fraction, duration in ((-1.0, 10), (1e308, 10), (float("nan"), 10), (0.1, -1), (0.1, 10**12)):
        with pytest.raises(ValueError):
            market.jump(fraction, duration)


def test_a_symbol_replays_a_binance_klines_file_as_it_comes(tmp_path):
    # One-second BTCUSDT klines as data.binance.vision serves them since 2025: microseconds, no header.
    start_us = 1735689600000000
    opens = [93576.0, 93650.0, 93400.0, 93520.0]
    recording = tmp_path / "BTCUSDT-1s-2025-01-01.csv"
    recording.write_text(
        "".join(
            f"{start_us + i * 1_000_000},{price:.8f},{price + 60:.8f},{price - 60:.8f},{price + 10:.8f},"
            f"1.50000000,{start_us + (i + 1) * 1_000_000 - 1},"
            "140000.00000000,42,0.70000000,65000.00000000,0\n"
            for i, price in enumerate(opens)
        ),
        encoding="utf-8",
    )
    config = Config()
    config.exchange.tick_interval_ms = 100
    config.symbols["BTC/USD"].model = "csv"
    config.symbols["BTC/USD"].replay_file = str(recording)
    clock = Clock()
    venue = open_venue(seal(config), clock)
    service = venue.market
    service.startService()
    market = service.markets["BTC/USD"]
    seen = [market.model.price]  # the recording's first price, not initial_price (50000)
    for _ in range(4):
        clock.pump([0.1] * 10 + [EPSILON])
        seen.append(market.model.price)
    assert seen == [93576.0, 93650.0, 93400.0, 93520.0, 93530.0]  # each second's open, then the last close
    clock.pump([0.1] * 100)
    x = venue.exchange
    assert len(x.recent_trades("BTC/USD", 1000)) > 5
    last = x.last_price("BTC/USD")
    assert abs(last - x.instrument("BTC/USD").parse_price("93530")) / last < 0.003  # trades follow the replay
