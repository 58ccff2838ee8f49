"""Strict decimal parsing at the engine's edge and the integer unit every asset amount is counted in.

Inside the engine every number is an int: prices in ticks, quantities in lots, and asset amounts
(balances, fees, notionals) in units of ``10**-ASSET_DECIMALS`` of the asset. One fixed, fine scale
for every asset keeps each tick x lot product and each fee an exact integer without rescaling
balances when an instrument is added.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import EngineError, ErrorCode

ASSET_DECIMALS = 18
ASSET_SCALE = 10**ASSET_DECIMALS
#: More integer digits than this is "absurdly large" for any price, quantity or amount.
MAX_INTEGER_DIGITS = 20
#: More decimal places than this is more than any instrument or asset uses (and slow to scale).
MAX_DECIMAL_PLACES = 40
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?\Z")


def parse_decimal(value: object, field: str) -> Decimal:
    """Return ``value`` (a decimal string or finite Decimal) as a positive Decimal, or raise EngineError."""
    if type(value) is str:
        if not _DECIMAL_TEXT.match(value):
            raise EngineError(
                ErrorCode.INVALID_NUMBER,
                f"{field} must be a decimal string such as '12.5', got {value!r}",
                field,
            )
        number = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise EngineError(ErrorCode.INVALID_NUMBER, f"{field} must be finite, got {value}", field)
        _, digits, exponent = value.as_tuple()
        if -exponent > MAX_DECIMAL_PLACES or len(digits) > MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES:  # type: ignore[operator]
            raise EngineError(
                ErrorCode.TOO_MANY_DECIMALS, f"{field} has more digits than any instrument uses", field
            )
        number = value
    else:
        raise EngineError(
            ErrorCode.INVALID_NUMBER,
            f"{field} must be a decimal string or Decimal, not {type(value).__name__}",
            field,
        )
    if number <= 0:
        raise EngineError(ErrorCode.NOT_POSITIVE, f"{field} must be positive, got {value}", field)
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise EngineError(ErrorCode.VALUE_TOO_LARGE, f"{field} is absurdly large: {value}", field)
    return number


def scale_exact(number: Decimal, decimals: int, field: str) -> int:
    """Return ``number * 10**decimals`` as an int; raise TOO_MANY_DECIMALS rather than round."""
    _, digits, exponent = number.as_tuple()
    coefficient = int("".join(map(str, digits)))
    shift = exponent + decimals  # type: ignore[operator]  # finite numbers have an int exponent
    if shift >= 0:
        return coefficient * 10**shift
    scaled, rest = divmod(coefficient, 10**-shift)
    if rest:
        raise EngineError(
            ErrorCode.TOO_MANY_DECIMALS, f"{field} has more than {decimals} decimal places: {number}", field
        )
    return scaled


def format_scaled(value: int, decimals: int) -> str:
    """Render the int ``value * 10**-decimals`` as a decimal string with exactly ``decimals`` places."""
    sign = "-" if value < 0 else ""
    digits = str(abs(value))
    if not decimals:
        return sign + digits
    digits = digits.rjust(decimals + 1, "0")
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def parse_amount(value: object, field: str = "amount") -> int:
    """Parse a positive asset amount (decimal string or Decimal) into integer asset units."""
    return scale_exact(parse_decimal(value, field), ASSET_DECIMALS, field)


def format_amount(units: int, min_decimals: int = 0) -> str:
    """Render asset units as the shortest exact decimal string with at least ``min_decimals`` places."""
    text = format_scaled(units, ASSET_DECIMALS).rstrip("0")
    whole, _, frac = text.partition(".")
    frac = frac.ljust(min_decimals, "0")
    return f"{whole}.{frac}" if frac else whole
