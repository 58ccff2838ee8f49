"""Instruments: derived integer grid, edge conversions, and refused definitions."""

from decimal import Decimal

import pytest

from exchangesim.engine import EngineError, ErrorCode, Instrument
from exchangesim.engine.instruments import RATE_SCALE


@pytest.fixture
def btc() -> Instrument:
    return Instrument(
        "BTC/USD",
        "BTC",
        "USD",
        tick_size="0.01",
        lot_size="0.00001",
        min_qty="0.0001",
        max_qty="9000",
        min_notional="5",
        max_price="1000000",
        maker_fee="0.001",
        taker_fee="0.00075",
    )


def test_derived_integers(btc):
    assert (btc.price_decimals, btc.qty_decimals) == (2, 5)
    assert (btc.min_lots, btc.max_lots, btc.max_ticks) == (10, 900_000_000, 100_000_000)
    assert btc.base_per_lot == 10**13  # 0.00001 BTC in 10**-18 units
    assert btc.quote_per_step == 10**11  # 0.01 x 0.00001 USD
    assert btc.min_notional_steps == 5 * 10**18 // 10**11
    assert btc.maker_rate == RATE_SCALE // 1000
    assert btc.taker_rate == 75 * RATE_SCALE // 100_000


def test_prices_and_quantities_convert_both_ways(btc):
    assert btc.parse_price("50000.01") == 5_000_001
    assert btc.parse_price(Decimal("50000")) == 5_000_000
    assert btc.format_price(5_000_001) == "50000.01"
    assert btc.parse_quantity("0.5") == 50_000
    assert btc.format_quantity(50_000) == "0.50000"
    assert btc.quote_units(5_000_000, 50_000) == 25_000 * 10**18


def test_coarse_steps():
    inst = Instrument("X/Y", "X", "Y", tick_size="0.5", lot_size="10")
    assert inst.parse_price("2.5") == 5
    assert inst.format_price(5) == "2.5"
    assert inst.parse_quantity("30") == 3
    assert inst.format_quantity(3) == "30"
    for bad, code in (("2.3", ErrorCode.PRICE_OFF_TICK), ("2.25", ErrorCode.TOO_MANY_DECIMALS)):
        with pytest.raises(EngineError) as caught:
            inst.parse_price(bad)
        assert caught.value.code == code
    with pytest.raises(EngineError) as caught:
        inst.parse_quantity("15")
    assert caught.value.code == ErrorCode.QUANTITY_OFF_LOT


@pytest.mark.parametrize(
    ("method", "value", "code"),
    [
        ("parse_price", "0", ErrorCode.NOT_POSITIVE),
        ("parse_price", "-5", ErrorCode.NOT_POSITIVE),
        ("parse_price", "NaN", ErrorCode.INVALID_NUMBER),
        ("parse_price", "inf", ErrorCode.INVALID_NUMBER),
        ("parse_price", 50000.0, ErrorCode.INVALID_NUMBER),
        ("parse_price", "50000.001", ErrorCode.TOO_MANY_DECIMALS),
        ("parse_price", "1000000.01", ErrorCode.VALUE_TOO_LARGE),
        ("parse_price", "9" * 30, ErrorCode.VALUE_TOO_LARGE),
        ("parse_price", "fifty", ErrorCode.INVALID_NUMBER),
        ("parse_quantity", "0", ErrorCode.NOT_POSITIVE),
        ("parse_quantity", "0.000001", ErrorCode.TOO_MANY_DECIMALS),
        ("parse_quantity", "1" + "0" * 21, ErrorCode.VALUE_TOO_LARGE),
        ("parse_quantity", 0.1, ErrorCode.INVALID_NUMBER),
    ],
)
def test_bad_values_are_refused_not_rounded(btc, method, value, code):
    with pytest.raises(EngineError) as caught:
        getattr(btc, method)(value)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"symbol": "BTCUSD"}, "symbol"),
        ({"base": "btc", "symbol": "btc/USD"}, "base"),
        ({"tick_size": "0"}, "tick_size"),
        ({"tick_size": "-0.01"}, "tick_size"),
        ({"tick_size": 0.01}, "tick_size"),
        ({"lot_size": "NaN"}, "lot_size"),
        ({"tick_size": "0.0000000001", "lot_size": "0.000000001"}, "tick_size"),
        ({"min_qty": "0.0000015"}, "min_qty"),
        ({"min_qty": "10000"}, "min_qty"),
        ({"maker_fee": "1"}, "maker_fee"),
        ({"taker_fee": "-0.001"}, "taker_fee"),
        ({"taker_fee": "0.0000000001"}, "taker_fee"),
    ],
)
def test_inconsistent_definitions_are_refused(overrides, field):
    settings = dict(
        symbol="BTC/USD", base="BTC", quote="USD", tick_size="0.01", lot_size="0.00001", max_qty="9000"
    )
    settings.update(overrides)
    with pytest.raises(EngineError) as caught:
        Instrument(**settings)
    assert caught.value.code in (ErrorCode.INVALID_INSTRUMENT, ErrorCode.INVALID_FEE_RATE)
    assert caught.value.field == field
