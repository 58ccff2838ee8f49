"""Value kinds of configuration keys: how each is parsed from INI text, checked and written back."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = ()

KIND = "exchangesim.kind"
DOC = "exchangesim.doc"

_SYMBOL = re.compile(r"^[A-Z0-9]{1,12}/[A-Z0-9]{1,12}$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ASSET = re.compile(r"^[A-Z0-9]{1,12}$")
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


@attrs.frozen
class Kind:
    """One kind of value: ``convert`` accepts INI text or a Python value and raises ``ValueError``
    with a reason a user can act on; ``format`` writes the INI text back."""

    name: str
    convert: Callable[[Any], Any]
    format: Callable[[Any], str] = str


class SettingError(ValueError):
    """A value a key cannot take; ``key`` names it and ``reason`` says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def setting(
    kind: Kind, default: Any, doc: str, check: Callable[[Any], None] | None = None, *, secret: bool = False
) -> Any:
    """An attrs field for one INI key: converted and checked at construction and on assignment; a
    ``secret`` one shows as ``'***'`` in a repr, so printing or logging a configuration leaks nothing."""
    convert = _optional(kind.convert) if default is None else kind.convert

    def convert_named(value: Any, field: attrs.Attribute) -> Any:
        try:
            return convert(value)
        except ValueError as error:
            raise SettingError(field.name, str(error)) from None

    def validate(instance: object, field: attrs.Attribute, value: Any) -> None:
        if check is None:
            return
        try:
            check(value)
        except ValueError as error:
            raise SettingError(field.name, str(error)) from None

    return attrs.field(
        default=default,
        converter=attrs.Converter(convert_named, takes_field=True),
        validator=validate,
        metadata={KIND: kind, DOC: doc},
        repr=_masked if secret else True,
    )


def _masked(value: Any) -> str:
    return "'***'" if value else repr(value)


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None or value == "" else convert(value)


def at_least(low: float | Decimal, *, exclusive: bool = False) -> Callable[[Any], None]:
    """A check that a number is >= low (or > low)."""

    def check(value: Any) -> None:
        if value is None:
            return
        if value < low or (exclusive and value == low):
            raise ValueError(f"must be {'greater than' if exclusive else 'at least'} {low}")

    return check


def between(low: float | Decimal, high: float | Decimal) -> Callable[[Any], None]:
    """A check that low <= value <= high."""

    def check(value: Any) -> None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")

    return check


def one_of(choices: tuple[str, ...]) -> Callable[[Any], None]:
    """A check that the value is one of ``choices``."""

    def check(value: Any) -> None:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")

    return check


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("expected true or false")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise ValueError("expected a whole number")


def _real(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("expected a number") from None
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from text, int, Decimal or float (a float through its shortest repr)."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal number")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("expected a decimal number such as 50000.00") from None
    if not number.is_finite():
        raise ValueError("expected a finite decimal number")
    return number


def _symbol(value: Any) -> str:
    value = _text(value).strip()
    if not _SYMBOL.match(value):
        raise ValueError(f"{value!r} is not a symbol of the form BASE/QUOTE, such as BTC/USD")
    return value


def _account_name(value: Any) -> str:
    value = _text(value).strip()
    if not _ACCOUNT.match(value):
        raise ValueError(f"{value!r} is not an account name of 1 to 64 characters of [A-Za-z0-9_.-]")
    return value


def _symbols(value: Any) -> tuple[str, ...]:
    items = [item.strip() for item in value.split(",")] if isinstance(value, str) else list(value)
    symbols = tuple(_symbol(item) for item in items if item != "")
    if not symbols:
        raise ValueError("name at least one symbol")
    if len(set(symbols)) != len(symbols):
        raise ValueError("a symbol is listed twice")
    return symbols


def _balances(value: Any) -> dict[str, Decimal]:
    if isinstance(value, str):
        pairs = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            asset, colon, amount = item.partition(":")
            if not colon:
                raise ValueError(f"{item!r} is not ASSET:AMOUNT, such as USD:100000")
            pairs.append((asset.strip(), amount.strip()))
    else:
        pairs = list(dict(value).items())
    balances: dict[str, Decimal] = {}
    for asset, amount in pairs:
        if not isinstance(asset, str) or not _ASSET.match(asset):
            raise ValueError(f"{asset!r} is not an asset name such as USD")
        if asset in balances:
            raise ValueError(f"asset {asset} is listed twice")
        number = to_decimal(amount)
        if number < 0:
            raise ValueError(f"the balance of {asset} is negative")
        balances[asset] = number
    return balances


def _endpoint(value: Any) -> str:
    from twisted.internet.endpoints import serverFromString
    from twisted.internet.testing import MemoryReactor

    value = _text(value).strip()
    try:
        serverFromString(MemoryReactor(), value)
    except Exception as error:  # serverFromString raises many types for a bad description
        raise ValueError(f"not a Twisted server endpoint description ({error})") from None
    return value


def _epoch_ms(value: Any) -> int:
    """An instant as epoch milliseconds: a whole number of them, or ISO 8601 with a UTC offset."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and not re.fullmatch(r"\s*[-+]?\d+\s*", value):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "expected epoch milliseconds or an ISO 8601 time such as 2024-01-01T00:00:00Z"
            ) from None
    else:
        return _integer(value)
    if moment.tzinfo is None:
        raise ValueError("an ISO 8601 time needs its UTC offset (Z or +00:00)")
    return round(moment.timestamp() * 1000)


def _format_epoch_ms(value: int) -> str:
    return datetime.fromtimestamp(value / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _format_decimal(value: Decimal) -> str:
    return format(value, "f")


TEXT = Kind("text", _text)
PATH = Kind("path", _text)
"""A file name; read from an INI file, a relative one is relative to that file's folder."""
BOOLEAN = Kind("boolean", _boolean, lambda value: "true" if value else "false")
INTEGER = Kind("integer", _integer)
REAL = Kind("number", _real, repr)
DECIMAL = Kind("decimal", to_decimal, _format_decimal)
SYMBOL = Kind("symbol", _symbol)
ACCOUNT_NAME = Kind("account name", _account_name)
SYMBOLS = Kind("symbols", _symbols, ", ".join)
BALANCES = Kind(
    "balances",
    _balances,
    lambda value: ", ".join(f"{asset}:{_format_decimal(amount)}" for asset, amount in value.items()),
)
ENDPOINT = Kind("endpoint", _endpoint)
_DURATION = re.compile(r"^\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(ms|s|m)?\s*$")
_MS_PER_UNIT = {None: 1.0, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _duration_ms(value: Any) -> float:
    """Milliseconds from a number (ms) or text such as ``250``, ``250ms``, ``1.5s`` or ``2m``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 250ms, 1.5s or 2m")
    if isinstance(value, (int, float)):
        milliseconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError("expected a duration such as 250ms, 1.5s or 2m (a bare number is ms)")
        milliseconds = float(match.group(1)) * _MS_PER_UNIT[match.group(2)]
    if milliseconds < 0 or milliseconds != milliseconds or milliseconds == float("inf"):
        raise ValueError("a duration cannot be negative")
    return milliseconds


DURATION = Kind("duration", _duration_ms, lambda value: f"{value:g}ms")
"""Milliseconds; INI text may say ``250ms``, ``1.5s`` or ``2m``."""
TIMESTAMP = Kind("time", _epoch_ms, _format_epoch_ms)
"""An instant, held as epoch milliseconds."""
