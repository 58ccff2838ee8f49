"""Binance market stream names (``btcusd@depth@100ms``) as the instrument and kind they stand for."""

from __future__ import annotations

import re

import attrs

from ...engine import Instrument
from ...marketdata.candles import INTERVALS

__all__ = ["KINDS", "StreamName", "parse_stream_name", "stream_symbols"]

KINDS = ("depth", "trade", "aggTrade", "miniTicker", "ticker", "bookTicker")
"""The kinds after ``<symbol>@``, besides ``depth@<N>ms`` and ``kline_<interval>``."""
_KLINE = "kline_"
_DEPTH_SPEED = re.compile(r"depth@([0-9]{1,5})ms")
DEFAULT_DEPTH_MS = 1000
"""``<symbol>@depth`` is a diff per second, as on Binance; ``@depth@100ms`` ten a second, and
``@depth@<N>ms`` every N ms (``@depth@0ms``: one per book change, for clients that want every one)."""


@attrs.frozen
class StreamName:
    """One stream: its canonical ``name`` (lower-case symbol), instrument, kind and kline interval."""

    name: str
    instrument: Instrument
    kind: str
    interval: str | None = None
    speed_ms: int | None = None  # depth: how long diffs are gathered before one is sent


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
    speed = _DEPTH_SPEED.fullmatch(kind)
    if speed is not None:
        return StreamName(name, instrument, "depth", speed_ms=int(speed.group(1)))
    if kind == "depth":
        return StreamName(name, instrument, "depth", speed_ms=DEFAULT_DEPTH_MS)
    if kind not in KINDS:
        known = ", ".join(KINDS)
        raise ValueError(f"unknown stream kind {kind!r}; known: {known}, depth@<N>ms, kline_<interval>")
    return StreamName(name, instrument, kind)
