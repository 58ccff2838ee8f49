"""Market conditions: parsed whole, started and ended on the market's schedule, audited, reproducible."""

import pytest
from twisted.internet.task import Clock

from exchangesim.config import Config, seal
from exchangesim.config_checks import check_config
from exchangesim.marketdata.conditions import ConditionError, parse_condition
from exchangesim.venue import open_venue

SYMBOLS = ("BTC/USD", "ETH/USD")


def started(conditions, preset="toy", tick_ms=10):
    """A venue whose market runs the ``conditions`` ({name: keys}) on a fresh clock, and its audit."""
    config = Config()
    config.persistence.enabled = False
    config.exchange.tick_interval_ms = tick_ms
    config.liquidity.preset = preset
    config.conditions.update(conditions)
    venue = open_venue(seal(config), Clock())
    audit = []
    venue.faults.audit.listeners.append(audit.append)
    venue.market.startService()
    return venue, audit


def advance(venue, seconds, step=0.01):
    for _ in range(round(seconds / step)):
        venue.clock.advance(step)


@pytest.mark.parametrize(
    ("keys", "key", "reason"),
    [
        ({"kind": "storm"}, "kind", "one of volatility"),
        ({"kind": "volatility"}, "factor", "required"),
        ({"kind": "halt", "factor": "2"}, "factor", "takes no factor"),
        ({"kind": "spread", "factor": "0.5"}, "factor", "between 1.0"),
        ({"kind": "halt", "symbol": "DOGE/USD"}, "symbol", "not a traded symbol"),
        ({"kind": "halt", "period": "10s"}, "period", "needs a duration"),
        ({"kind": "halt", "duration": "10s", "period": "5s"}, "period", "longer than duration"),
        ({"kind": "halt", "start": "soon"}, "start", "expected a duration"),
        ({"kind": "halt", "colour": "red"}, "colour", "unknown key"),
    ],
)
def test_a_bad_condition_is_refused_naming_the_key(keys, key, reason):
    with pytest.raises(ConditionError) as caught:
        parse_condition("bad", keys, SYMBOLS)
    assert any(k == key and reason in r for k, r in caught.value.problems), caught.value.problems


def test_the_configuration_check_names_the_section_and_key():
    config = Config()
    config.conditions["storm"] = {"kind": "volatility", "factor": "-1"}
    [problem] = check_config(config)
    assert (problem.section, problem.key) == ("condition:storm", "factor")


def test_a_volatility_condition_starts_and_ends_at_its_market_times_and_is_audited():
    venue, audit = started({"storm": {"kind": "volatility", "factor": "3", "start": "1s", "duration": "2s"}})
    model = venue.market.markets["BTC/USD"].model
    advance(venue, 1.5)
    assert model.volatility == pytest.approx(2.4)
    advance(venue, 2.0)
    assert model.volatility == pytest.approx(0.8)
    events = [(e["action"], e["ts"], e["condition"]) for e in audit if e["action"].startswith("condition_")]
    start = venue.market_clock.start_ms
    assert events == [
        ("condition_started", start + 1000, "storm"),
        ("condition_ended", start + 3000, "storm"),
    ]


def test_a_repeating_condition_comes_back_every_period():
    venue, audit = started({"gusts": {"kind": "trend", "factor": "5", "duration": "1s", "period": "3s"}})
    advance(venue, 6.5)
    starts = [e["ts"] - venue.market_clock.start_ms for e in audit if e["action"] == "condition_started"]
    assert starts == [0, 3000, 6000]
    assert venue.market.markets["BTC/USD"].model.drift == 5  # the third gust is blowing
    advance(venue, 1.0)
    assert venue.market.markets["BTC/USD"].model.drift == 0


def test_a_halt_refuses_new_orders_until_it_ends_and_lets_cancels_through():
    venue, _ = started({"halt": {"kind": "halt", "symbol": "BTC/USD", "start": "1s", "duration": "1s"}})
    x = venue.exchange
    resting = x.place("default", "BTC/USD", "BUY", "LIMIT", 10, 4_000_000, ts=venue.now_ms()).order_id
    advance(venue, 1.5)
    assert not x.is_trading("BTC/USD") and x.is_trading("ETH/USD")
    with pytest.raises(Exception, match="MARKET_HALTED"):
        x.place("default", "BTC/USD", "BUY", "LIMIT", 10, 4_000_000, ts=venue.now_ms())
    x.cancel("default", resting, ts=venue.now_ms())
    advance(venue, 1.0)
    assert x.is_trading("BTC/USD")
    x.place("default", "BTC/USD", "BUY", "LIMIT", 10, 4_000_000, ts=venue.now_ms())


def test_a_spread_condition_widens_the_quotes_and_liquidity_scales_the_sizes():
    def spread_and_size(conditions):
        venue, _ = started(conditions)
        advance(venue, 2.0)
        bid, ask = venue.exchange.best_bid_ask("BTC/USD")
        resting = venue.exchange.open_orders("agent-maker", "BTC/USD")
        return ask - bid, sum(order.quantity - order.filled for order in resting)

    calm_spread, calm_size = spread_and_size({})
    wide_spread, _ = spread_and_size({"wide": {"kind": "spread", "factor": "4"}})
    _, deep_size = spread_and_size({"deep": {"kind": "liquidity", "factor": "3"}})
    assert wide_spread > 3 * calm_spread
    assert deep_size == pytest.approx(3 * calm_size, rel=0.1)


def test_a_crash_moves_the_fair_price_over_its_duration():
    venue, _ = started({"crash": {"kind": "crash", "symbol": "BTC/USD", "factor": "-0.2", "duration": "1s"}})
    market = venue.market.markets["BTC/USD"]
    before = market.model.price
    market.model.set_parameters(volatility=0.0)
    advance(venue, 1.5)
    assert market.model.price == pytest.approx(before * 0.8, rel=1e-3)


def test_conditions_happen_at_the_same_ticks_however_the_clock_advances():
    conditions = {"storm": {"kind": "volatility", "factor": "4", "start": "500ms", "duration": "1s"}}
    steady, steady_audit = started(conditions, preset="liquid", tick_ms=1)
    advance(steady, 2.0, step=0.001)
    jumpy, jumpy_audit = started(conditions, preset="liquid", tick_ms=1)
    advance(jumpy, 2.0, step=1.0)
    assert [t.trade_id for t in steady.exchange.recent_trades("BTC/USD", 1000)] == [
        t.trade_id for t in jumpy.exchange.recent_trades("BTC/USD", 1000)
    ]
    assert steady.exchange.recent_trades("BTC/USD", 1000) == jumpy.exchange.recent_trades("BTC/USD", 1000)
    assert [e["ts"] for e in steady_audit] == [e["ts"] for e in jumpy_audit]
