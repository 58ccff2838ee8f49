"""Binance request parameters: the query string and form body as received, read once per request.

Signed requests are verified over exactly this text (``payload``), so it is kept raw; the parameters
are decoded from it, and each getter raises the Binance error for a missing or malformed value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import unquote_plus

import attrs
from twisted.web.iweb import IRequest

from ...engine import Exchange, Instrument
from ..requests import FORM, json_too_deep, media_type, read_body
from .errors import BinanceError, missing

__all__ = ["Params", "read_params", "ticker_type", "window_ms", "window_size"]

_WHOLE = re.compile(r"[0-9]{1,19}")
_SIGNATURE = b"signature="
_WINDOW_SIZE = re.compile(r"([1-9][0-9]?)([mhd])")
_WINDOW_UNITS = {"m": (59, 60_000), "h": (23, 3_600_000), "d": (7, 86_400_000)}  # unit: (most, ms)


@attrs.frozen
class Params:
    """The decoded parameters and the text a signature covers (query then body, less ``signature``)."""

    values: dict[str, str]
    payload: bytes
    signature: str | None

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise missing(name)
            return None
        return value

    def whole(
        self, name: str, *, default: int | None = None, low: int = 0, high: int = 2**63 - 1
    ) -> int | None:
        """A whole-number parameter within [low, high]."""
        text = self.text(name)
        if text is None:
            return default
        if not _WHOLE.fullmatch(text):
            raise BinanceError(
                400,
                -1100,
                f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
            )
        value = int(text)
        if not low <= value <= high:
            raise BinanceError(400, -1100, f"Parameter '{name}' must be from {low} to {high}.")
        return value

    def symbols(self, listed: dict[str, Instrument]) -> list[Instrument] | None:
        """``symbol`` or the JSON array ``symbols`` as instruments; None when neither is given."""
        single, several = self.text("symbol"), self.text("symbols")
        if single is not None and several is not None:
            raise BinanceError(400, -1128, "Combination of optional parameters invalid.")
        if single is not None:
            return [instrument_named(listed, single)]
        if several is None:
            return None
        try:
            names = None if json_too_deep(several) else json.loads(several)
        except ValueError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
            raise BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.")
        return [instrument_named(listed, name) for name in names]


def window_ms(text: str) -> int | None:
    """The length of a Binance window size (``1m``..``59m``, ``1h``..``23h``, ``1d``..``7d``; units are not
    combined), or None for any other text."""
    match = _WINDOW_SIZE.fullmatch(text)
    if match is None:
        return None
    count, (most, unit_ms) = int(match.group(1)), _WINDOW_UNITS[match.group(2)]
    return count * unit_ms if count <= most else None


def window_size(params: Params) -> int:
    """``windowSize`` in ms (default ``1d``), or -1100 naming the sizes allowed."""
    text = params.text("windowSize") or "1d"
    length = window_ms(text)
    if length is None:
        raise BinanceError(
            400,
            -1100,
            "Illegal characters found in parameter 'windowSize'; legal range is '1m..59m, 1h..23h, 1d..7d'.",
        )
    return length


def ticker_type(params: Params) -> str:
    """``type`` of a ticker request: FULL (the default) or MINI."""
    value = params.text("type") or "FULL"
    if value not in ("FULL", "MINI"):
        raise BinanceError(
            400, -1100, "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'."
        )
    return value


def instrument_named(listed: dict[str, Instrument], name: str) -> Instrument:
    """The instrument of a Binance symbol (``BTCUSD``), or -1121."""
    instrument = listed.get(name)
    if instrument is None:
        raise BinanceError(400, -1121, "Invalid symbol.")
    return instrument


def binance_symbols(exchange: Exchange) -> dict[str, Instrument]:
    """Every listed instrument by its Binance name, base and quote without the slash."""
    return {instrument.base + instrument.quote: instrument for instrument in exchange.instruments()}


def engine_symbol_of(exchange: Exchange) -> Callable[[str], str]:
    """The engine's name (``BTC/USD``) of a Binance symbol (``BTCUSD``); a name not listed stays as it is
    (fault targeting, where the faults name symbols as the engine does)."""
    listed = binance_symbols(exchange)
    return lambda name: listed[name].symbol if name in listed else name


BODY_METHODS = (b"POST", b"PUT", b"DELETE")
"""Methods whose parameters may also come in a form body, as on Binance (python-binance cancels so)."""


def read_params(request: IRequest, max_bytes: int) -> Params:
    """The parameters of ``request``: its query string, and its form body when it sends one.

    As on Binance, a parameter sent in both the query string and the body takes the query's value;
    one sent twice in the same part is -1101.
    """
    query = request.uri.partition(b"?")[2]
    body = b""
    if request.method in BODY_METHODS:
        raw = read_body(request, max_bytes)
        if raw and media_type(request) != FORM:
            raise BinanceError(415, -1100, "Send the parameters as application/x-www-form-urlencoded.")
        body = raw
    query, query_signature = _without_signature(query)
    body, body_signature = _without_signature(body)
    values: dict[str, str] = {}
    for part in (body, query):  # the query's last, so its values win
        values.update(_decoded(part))
    return Params(values, query + body, query_signature or body_signature)


def _decoded(part: bytes) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in part.split(b"&") if part else ():
        name, _, value = pair.partition(b"=")
        try:
            key, text = unquote_plus(name.decode("ascii")), unquote_plus(value.decode("ascii"))
        except UnicodeDecodeError:
            raise BinanceError(400, -1100, "Illegal characters found in a parameter.") from None
        if key in values:
            raise BinanceError(400, -1101, "Duplicate values for a parameter detected.")
        values[key] = text
    return values


def _without_signature(text: bytes) -> tuple[bytes, str | None]:
    """``text`` less its ``signature=...`` parameter (ccxt appends it last), and the signature."""
    kept, signature = [], None
    for pair in text.split(b"&") if text else ():
        if pair.startswith(_SIGNATURE):
            signature = pair[len(_SIGNATURE) :].decode("ascii", "replace")
        else:
            kept.append(pair)
    return b"&".join(kept), signature
