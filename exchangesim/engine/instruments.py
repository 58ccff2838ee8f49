"""Instruments: the grid (tick, lot), limits and fee rates of a symbol, and its edge conversions."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import attrs

from .errors import EngineError, ErrorCode
from .units import ASSET_DECIMALS, format_scaled, parse_decimal, scale_exact

#: Fee rates are held as ints over RATE_SCALE; a fee is ``amount * rate // RATE_SCALE`` (rounded down).
#: 10**9 stays below 2**30, so that division runs CPython's one-digit fast path on every fill.
RATE_DECIMALS = 9
RATE_SCALE = 10**RATE_DECIMALS
#: Prices are kept well below the order book's "no ask" sentinel (2**63).
MAX_TICKS = 2**62
_ASSET = re.compile(r"[A-Z0-9]{1,16}\Z")


def _decimal(value: object) -> object:
    """attrs converter: accept decimal strings for Decimal fields, leave everything else to validation."""
    if type(value) is str:
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def _config_decimal(value: object, field: str, allow_zero: bool = False) -> Decimal:
    """Validate one Decimal setting of an instrument or fee tier."""
    if isinstance(value, Decimal) and value.is_finite() and (value > 0 or (allow_zero and value == 0)):
        return value
    raise EngineError(
        ErrorCode.INVALID_INSTRUMENT, f"{field} must be a positive Decimal, got {value!r}", field
    )


def fee_rate(value: object, field: str) -> int:
    """Return a fee rate (Decimal in [0, 1), at most RATE_DECIMALS places) as an int over RATE_SCALE."""
    if not (isinstance(value, Decimal) and value.is_finite() and 0 <= value < 1):
        raise EngineError(
            ErrorCode.INVALID_FEE_RATE, f"{field} must be a Decimal in [0, 1), got {value!r}", field
        )
    try:
        return scale_exact(value, RATE_DECIMALS, field) if value else 0
    except EngineError:
        raise EngineError(
            ErrorCode.INVALID_FEE_RATE, f"{field} has more than {RATE_DECIMALS} decimal places", field
        ) from None


def _decimals(step: Decimal) -> int:
    """Number of decimal places a step needs (0.01 -> 2, 0.5 -> 1, 10 -> 0)."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent)  # type: ignore[operator]


@attrs.frozen
class Instrument:
    """A spot instrument. Decimal settings in, integer grid out: prices are ticks, quantities lots."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal = attrs.field(converter=_decimal)
    lot_size: Decimal = attrs.field(converter=_decimal)
    min_qty: Decimal | None = attrs.field(default=None, converter=_decimal)
    max_qty: Decimal = attrs.field(default=Decimal("1000000000"), converter=_decimal)
    min_notional: Decimal = attrs.field(default=Decimal(0), converter=_decimal)
    max_price: Decimal = attrs.field(default=Decimal("1000000000"), converter=_decimal)
    maker_fee: Decimal = attrs.field(default=Decimal("0.001"), converter=_decimal)
    taker_fee: Decimal = attrs.field(default=Decimal("0.001"), converter=_decimal)

    # derived integers the engine works with (not arguments)
    price_decimals: int = attrs.field(init=False)
    qty_decimals: int = attrs.field(init=False)
    tick_units: int = attrs.field(init=False)  # the tick in units of 10**-price_decimals
    lot_units: int = attrs.field(init=False)  # the lot in units of 10**-qty_decimals
    min_lots: int = attrs.field(init=False)
    max_lots: int = attrs.field(init=False)
    max_ticks: int = attrs.field(init=False)
    min_notional_steps: int = attrs.field(init=False)  # ticks x lots
    base_per_lot: int = attrs.field(init=False)  # base asset units in one lot
    quote_per_step: int = attrs.field(init=False)  # quote asset units in one tick x lot
    maker_rate: int = attrs.field(init=False)
    taker_rate: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        try:
            self._derive()
        except EngineError as error:
            if error.code in (ErrorCode.INVALID_INSTRUMENT, ErrorCode.INVALID_FEE_RATE):
                raise
            raise EngineError(ErrorCode.INVALID_INSTRUMENT, error.message, error.field) from None

    def _derive(self) -> None:
        """Check the settings and set the derived integer fields."""

        def invalid(field: str, message: str) -> EngineError:
            return EngineError(ErrorCode.INVALID_INSTRUMENT, message, field)

        for field in ("base", "quote"):
            if not (type(getattr(self, field)) is str and _ASSET.match(getattr(self, field))):
                raise invalid(field, f"{field} must be 1-16 characters of [A-Z0-9]")
        if self.base == self.quote or self.symbol != f"{self.base}/{self.quote}":
            raise invalid("symbol", f"symbol must be BASE/QUOTE of two different assets, got {self.symbol!r}")
        tick = _config_decimal(self.tick_size, "tick_size")
        lot = _config_decimal(self.lot_size, "lot_size")
        min_qty = lot if self.min_qty is None else _config_decimal(self.min_qty, "min_qty")
        max_qty = _config_decimal(self.max_qty, "max_qty")
        min_notional = _config_decimal(self.min_notional, "min_notional", allow_zero=True)
        max_price = _config_decimal(self.max_price, "max_price")
        price_dp, qty_dp = _decimals(tick), _decimals(lot)
        if price_dp + qty_dp > ASSET_DECIMALS:
            raise invalid("tick_size", f"tick_size x lot_size needs more than {ASSET_DECIMALS} decimals")
        tick_units = scale_exact(tick, price_dp, "tick_size")
        lot_units = scale_exact(lot, qty_dp, "lot_size")
        min_lots, off_min = divmod(scale_exact(min_qty, qty_dp, "min_qty"), lot_units)
        max_lots = scale_exact(max_qty, qty_dp, "max_qty") // lot_units
        if off_min or not 1 <= min_lots <= max_lots:
            raise invalid("min_qty", "min_qty must be on the lot grid and not above max_qty")
        max_ticks = min(scale_exact(max_price, price_dp, "max_price") // tick_units, MAX_TICKS)
        if max_ticks < 1:
            raise invalid("max_price", "max_price is below one tick")
        quote_per_step = scale_exact(tick * lot, ASSET_DECIMALS, "tick_size")
        min_notional_units = scale_exact(min_notional, ASSET_DECIMALS, "min_notional") if min_notional else 0
        set_ = object.__setattr__
        set_(self, "min_qty", min_qty)
        set_(self, "price_decimals", price_dp)
        set_(self, "qty_decimals", qty_dp)
        set_(self, "tick_units", tick_units)
        set_(self, "lot_units", lot_units)
        set_(self, "min_lots", min_lots)
        set_(self, "max_lots", max_lots)
        set_(self, "max_ticks", max_ticks)
        set_(self, "min_notional_steps", -(-min_notional_units // quote_per_step))
        set_(self, "base_per_lot", scale_exact(lot, ASSET_DECIMALS, "lot_size"))
        set_(self, "quote_per_step", quote_per_step)
        set_(self, "maker_rate", fee_rate(self.maker_fee, "maker_fee"))
        set_(self, "taker_rate", fee_rate(self.taker_fee, "taker_fee"))

    # -- edge conversions ------------------------------------------------------------------------
    def parse_price(self, value: object, field: str = "price") -> int:
        """Parse a decimal price string (or Decimal) into integer ticks; never rounds."""
        number = parse_decimal(value, field)
        if number > self.max_price:
            raise EngineError(ErrorCode.VALUE_TOO_LARGE, f"{field} above max_price {self.max_price}", field)
        ticks, off = divmod(scale_exact(number, self.price_decimals, field), self.tick_units)
        if off:
            raise EngineError(
                ErrorCode.PRICE_OFF_TICK, f"{field} {value} is not a multiple of {self.tick_size}", field
            )
        return ticks

    def parse_quantity(self, value: object, field: str = "quantity") -> int:
        """Parse a decimal quantity string (or Decimal) into integer lots; never rounds."""
        number = parse_decimal(value, field)
        lots, off = divmod(scale_exact(number, self.qty_decimals, field), self.lot_units)
        if off:
            raise EngineError(
                ErrorCode.QUANTITY_OFF_LOT, f"{field} {value} is not a multiple of {self.lot_size}", field
            )
        return lots

    def format_price(self, ticks: int) -> str:
        """Render integer ticks as a decimal string with the instrument's price precision."""
        return format_scaled(ticks * self.tick_units, self.price_decimals)

    def format_quantity(self, lots: int) -> str:
        """Render integer lots as a decimal string with the instrument's quantity precision."""
        return format_scaled(lots * self.lot_units, self.qty_decimals)

    def quote_units(self, ticks: int, lots: int) -> int:
        """Quote asset units of ``lots`` at ``ticks`` (the notional, exact)."""
        return ticks * lots * self.quote_per_step


INSTRUMENT_FIELDS = tuple(field.name for field in attrs.fields(Instrument) if field.init)
"""What defines an instrument (its constructor's fields): what saved state and journal records keep."""


def instrument_fields(instrument: Instrument) -> dict[str, Any]:
    """The values of ``INSTRUMENT_FIELDS`` of ``instrument``, by name (``Instrument(**them)`` rebuilds it)."""
    return {name: getattr(instrument, name) for name in INSTRUMENT_FIELDS}
