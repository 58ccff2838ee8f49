"""The programmatic form: defaults, validation on assignment, and the sealed snapshot services get."""

from decimal import Decimal

import attrs
import pytest

from exchangesim.config import Config, SettingError, SymbolConfig, seal
from exchangesim.config_checks import check_config


def test_the_seeds_programmatic_form_works_as_written():
    config = Config()
    config.failures.enabled = True
    config.exchange.tick_interval = 0.001
    assert config.failures.enabled is True
    assert config.exchange.tick_interval_ms == 1
    assert config.exchange.tick_interval == Decimal("0.001")


def test_assignment_converts_text_and_floats_like_the_ini_does():
    config = Config()
    config.exchange.seed = "123"
    config.exchange.maker_fee = 0.0002
    config.symbols["BTC/USD"].initial_price = "51000.10"
    assert config.exchange.seed == 123
    assert config.exchange.maker_fee == Decimal("0.0002")
    assert config.symbols["BTC/USD"].initial_price == Decimal("51000.10")


@pytest.mark.parametrize(
    ("section", "key", "value", "reason"),
    [
        ("failures", "enabled", "maybe", "expected true or false"),
        ("exchange", "seed", -1, "must be at least 0"),
        ("exchange", "seed", True, "expected a whole number"),
        ("exchange", "tick_interval_ms", 0, "must be between 1 and 3600000"),
        ("exchange", "taker_fee", float("nan"), "expected a finite decimal number"),
        ("market_data", "volatility", -0.1, "must be between 0.0 and 100.0"),
        ("market_data", "speed", 0, "must be between 0.001 and 1000000.0"),
        ("exchange", "start_time", "yesterday", "expected epoch milliseconds or an ISO 8601 time"),
        ("exchange", "start_time", "2024-01-01T00:00:00", "an ISO 8601 time needs its UTC offset"),
        ("exchange", "start_time", -5, "must be between 0 and"),
        ("server", "endpoint", "tcp:notaport", "not a Twisted server endpoint description"),
    ],
)
def test_a_bad_assignment_is_refused_naming_the_key_and_changes_nothing(section, key, value, reason):
    settings = getattr(Config(), section)
    before = getattr(settings, key)
    with pytest.raises(SettingError) as caught:
        setattr(settings, key, value)
    assert caught.value.key == key
    assert caught.value.reason.startswith(reason)
    assert getattr(settings, key) == before


def test_tick_interval_in_seconds_must_be_whole_milliseconds():
    config = Config()
    with pytest.raises(SettingError, match="tick_interval: must be a whole number of milliseconds"):
        config.exchange.tick_interval = 0.0005
    assert config.exchange.tick_interval_ms == 1


@pytest.mark.parametrize(
    "value", ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", "1704067200000", 1_704_067_200_000]
)
def test_start_time_takes_iso_8601_or_epoch_milliseconds(value):
    config = Config()
    config.exchange.start_time = value
    assert config.exchange.start_time == 1_704_067_200_000


def test_construction_validates_too():
    with pytest.raises(SettingError, match="tick_size: must be greater than 0"):
        SymbolConfig(initial_price=1, tick_size=0)


def test_the_sealed_snapshot_is_immutable_and_detached():
    config = Config()
    snapshot = seal(config)
    config.exchange.seed = 99
    config.accounts.default_balance["USD"] = Decimal(1)
    assert snapshot.exchange.seed == 42
    assert snapshot.accounts.default_balance["USD"] == Decimal(100000)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.exchange.seed = 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.server = None
    with pytest.raises(TypeError):
        snapshot.symbols["SOL/USD"] = SymbolConfig(initial_price=1)
    with pytest.raises(TypeError):
        snapshot.accounts.default_balance["USD"] = Decimal(0)


def test_cross_checks_apply_to_programmatic_configs():
    config = Config()
    config.exchange.symbols = ("BTC/USD", "SOL/USD")
    config.symbols["BTC/USD"].min_qty = Decimal("2000")
    problems = {(p.source, p.section, p.key, p.reason) for p in check_config(config)}
    assert problems == {
        ("<Config>", "exchange", "symbols", "SOL/USD has no [symbol:SOL/USD] section"),
        ("<Config>", "symbol:BTC/USD", "min_qty", "greater than max_qty (1000)"),
    }
    assert check_config(Config()) == []
