"""Strict decimal parsing and the asset unit."""

from decimal import Decimal

import pytest

from exchangesim.engine import ASSET_SCALE, EngineError, ErrorCode, format_amount, parse_amount
from exchangesim.engine.units import format_scaled, parse_decimal, scale_exact


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", ErrorCode.NOT_POSITIVE),
        ("0.000", ErrorCode.NOT_POSITIVE),
        ("-1", ErrorCode.NOT_POSITIVE),
        ("-0", ErrorCode.NOT_POSITIVE),
        (Decimal("-2.5"), ErrorCode.NOT_POSITIVE),
        ("NaN", ErrorCode.INVALID_NUMBER),
        ("nan", ErrorCode.INVALID_NUMBER),
        ("Infinity", ErrorCode.INVALID_NUMBER),
        ("-inf", ErrorCode.INVALID_NUMBER),
        (Decimal("NaN"), ErrorCode.INVALID_NUMBER),
        (Decimal("sNaN"), ErrorCode.INVALID_NUMBER),
        (Decimal("Infinity"), ErrorCode.INVALID_NUMBER),
        ("1e3", ErrorCode.INVALID_NUMBER),
        (" 1", ErrorCode.INVALID_NUMBER),
        ("1.", ErrorCode.INVALID_NUMBER),
        (".5", ErrorCode.INVALID_NUMBER),
        ("1,5", ErrorCode.INVALID_NUMBER),
        ("abc", ErrorCode.INVALID_NUMBER),
        ("", ErrorCode.INVALID_NUMBER),
        ("1" * 50, ErrorCode.INVALID_NUMBER),
        (1.5, ErrorCode.INVALID_NUMBER),
        (1, ErrorCode.INVALID_NUMBER),
        (True, ErrorCode.INVALID_NUMBER),
        (None, ErrorCode.INVALID_NUMBER),
        ("1" + "0" * 25, ErrorCode.VALUE_TOO_LARGE),
        (Decimal("1E+30"), ErrorCode.VALUE_TOO_LARGE),
        (Decimal("1E-3000000"), ErrorCode.TOO_MANY_DECIMALS),  # scaling it would stall for seconds
        (Decimal("1." + "0" * 5000), ErrorCode.TOO_MANY_DECIMALS),  # too many digits for int()
    ],
)
def test_parse_decimal_rejects_with_a_code(value, code):
    with pytest.raises(EngineError) as caught:
        parse_decimal(value, "price")
    assert caught.value.code == code
    assert caught.value.field == "price"


def test_parse_decimal_accepts_strings_and_decimals():
    assert parse_decimal("50000.10", "price") == Decimal("50000.10")
    assert parse_decimal(Decimal("0.5"), "quantity") == Decimal("0.5")
    assert parse_decimal("007.50", "quantity") == Decimal("7.5")


def test_scale_exact_never_rounds():
    assert scale_exact(Decimal("1.25"), 2, "x") == 125
    assert scale_exact(Decimal("1.2500"), 2, "x") == 125  # trailing zeros are not extra precision
    assert scale_exact(Decimal("12"), 3, "x") == 12000
    with pytest.raises(EngineError) as caught:
        scale_exact(Decimal("1.251"), 2, "x")
    assert caught.value.code == ErrorCode.TOO_MANY_DECIMALS


def test_format_scaled():
    assert format_scaled(125, 2) == "1.25"
    assert format_scaled(5, 3) == "0.005"
    assert format_scaled(-5, 3) == "-0.005"
    assert format_scaled(42, 0) == "42"


def test_amounts_round_trip_exactly():
    assert parse_amount("1") == ASSET_SCALE
    assert parse_amount("0.000000000000000001") == 1
    assert format_amount(parse_amount("1234.5")) == "1234.5"
    assert format_amount(parse_amount("3"), 2) == "3.00"
    assert format_amount(0) == "0"
    assert format_amount(-parse_amount("2.5")) == "-2.5"
    with pytest.raises(EngineError) as caught:
        parse_amount("0.0000000000000000001")
    assert caught.value.code == ErrorCode.TOO_MANY_DECIMALS
