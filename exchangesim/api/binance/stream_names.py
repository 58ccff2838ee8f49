"""Binance market stream names (``btcusd@depth@100ms``) as the instrument and kind they stand for."""

from __future__ import annotations

import attrs

from ...engine import Instrument
from ...marketdata.candles import INTERVALS

__all__ = ["KINDS", "StreamName", "parse_stream_name", "stream_symbols"]

KINDS = ("depth", "depth@100ms", "trade", "aggTrade", "miniTicker", "ticker", "bookTicker")
"""The kinds after ``<symbol>@``, besides ``kline_<interval>`` for each candle interval."""
_KLINE = "kline_"


@attrs.frozen
class StreamName:
    """One stream: its canonical ``name`` (lower-case symbol), instrument, kind and kline interval."""

    name: str
    instrument: Instrument
    kind: str
    interval: str | None = None


def stream_symbols(instruments: list[Instrument]) -> dict[str, Instrument]:
    """Every instrument by its lower-case Binance name (``btcusd``), as stream names spell it."""
    return {(instrument.base + instrument.quote).lower(): instrument for instrument in instruments}


def parse_stream_name(text: object, symbols: dict[str, Instrument]) -> StreamName:
    """The stream ``text`` names; ValueError saying why when it names none."""
    if not isinstance(text, str):
        raise ValueError("stream names are strings")
    symbol, at, kind = text.partition("@")
    instrument = symbols.get(symbol.lower())
    if not at or instrument is None:
        raise ValueError(f"unknown stream {text!r}: no listed symbol before '@'")
    name = f"{symbol.lower()}@{kind}"
    if kind.startswith(_KLINE):
        interval = kind[len(_KLINE) :]
        if interval not in INTERVALS:
            raise ValueError(f"unknown kline interval {interval!r}; known: {', '.join(INTERVALS)}")
        return StreamName(name, instrument, "kline", interval)
    if kind not in KINDS:
        raise ValueError(f"unknown stream kind {kind!r}; known: {', '.join(KINDS)}, kline_<interval>")
    return StreamName(name, instrument, kind)
