"""Binance market stream names (``btcusd@depth@100ms``) as the instrument and kind they stand for."""

from __future__ import annotations

import re

import attrs

from ...engine import Instrument
from ...marketdata.candles import INTERVALS

__all__ = ["KINDS", "TICKER_WINDOWS", "StreamName", "parse_stream_name", "stream_symbols"]

KINDS = ("depth", "trade", "aggTrade", "miniTicker", "ticker", "bookTicker", "avgPrice")
"""The kinds after ``<symbol>@``, besides ``depth@<N>ms``, ``depth<levels>[@<N>ms]``, ``kline_<interval>``
and ``ticker_<window>``."""
_KLINE = "kline_"
_TICKER_WINDOW = "ticker_"
TICKER_WINDOWS = ("1h", "4h", "1d")
"""The windows of ``<symbol>@ticker_<window>``, as on Binance."""
_DEPTH_SPEED = re.compile(r"depth@([0-9]{1,5})ms")
_PARTIAL_DEPTH = re.compile(r"depth(5|10|20)(?:@([0-9]{1,5})ms)?")
DEFAULT_DEPTH_MS = 1000
"""``<symbol>@depth`` is a diff per second, as on Binance; ``@depth@100ms`` ten a second, and
``@depth@<N>ms`` every N ms (``@depth@0ms``: one per book change, for clients that want every one).
``<symbol>@depth<levels>`` (5, 10 or 20) is a snapshot of the top levels a second, ``@100ms`` ten a
second, ``@<N>ms`` every N ms from 100 on, and ``@0ms`` one per book change."""
MIN_PARTIAL_DEPTH_MS = 100


@attrs.frozen
class StreamName:
    """One stream: its canonical ``name`` (lower-case symbol), instrument, kind and kline interval."""

    name: str
    instrument: Instrument
    kind: str
    interval: str | None = None  # kline: the candle interval; ticker_<window>: the window
    speed_ms: int | None = None  # depth: how long diffs are gathered before one is sent; partial: period
    levels: int | None = None  # partial depth: how many levels a side


def stream_symbols(instruments: list[Instrument]) -> dict[str, Instrument]:
    """Every instrument by its lower-case Binance name (``btcusd``), as stream names spell it."""
    return {(instrument.base + instrument.quote).lower(): instrument for instrument in instruments}


def parse_stream_name(text: object, symbols: dict[str, Instrument]) -> StreamName:
    """The stream ``text`` names; ValueError saying why when it names none."""
    if not isinstance(text, str):
        raise ValueError("stream names are strings")
    symbol, at, kind = text.partition("@")
    instrument = symbols.get(symbol.lower())
    if not at:
        raise ValueError(f"unknown stream {text!r}: neither <symbol>@<kind> nor a live listenKey")
    if instrument is None:
        raise ValueError(f"unknown stream {text!r}: no listed symbol before '@'")
    name = f"{symbol.lower()}@{kind}"
    if kind.startswith(_KLINE):
        interval = kind[len(_KLINE) :]
        if interval not in INTERVALS:
            raise ValueError(f"unknown kline interval {interval!r}; known: {', '.join(INTERVALS)}")
        return StreamName(name, instrument, "kline", interval)
    if kind.startswith(_TICKER_WINDOW):
        window = kind[len(_TICKER_WINDOW) :]
        if window not in TICKER_WINDOWS:
            raise ValueError(f"unknown ticker window {window!r}; known: {', '.join(TICKER_WINDOWS)}")
        return StreamName(name, instrument, "windowTicker", window)
    speed = _DEPTH_SPEED.fullmatch(kind)
    if speed is not None:
        return StreamName(name, instrument, "depth", speed_ms=int(speed.group(1)))
    partial = _PARTIAL_DEPTH.fullmatch(kind)
    if partial is not None:
        levels, period = int(partial.group(1)), partial.group(2)
        speed_ms = DEFAULT_DEPTH_MS if period is None else int(period)
        if 0 < speed_ms < MIN_PARTIAL_DEPTH_MS:
            raise ValueError(f"partial depth every {speed_ms} ms: 0 (each book change) or 100 ms and up")
        return StreamName(name, instrument, "partialDepth", speed_ms=speed_ms, levels=levels)
    if kind == "depth":
        return StreamName(name, instrument, "depth", speed_ms=DEFAULT_DEPTH_MS)
    if kind not in KINDS:
        known = ", ".join(KINDS)
        raise ValueError(
            f"unknown stream kind {kind!r}; known: {known}, depth@<N>ms, depth<5|10|20>[@<N>ms],"
            " kline_<interval>, ticker_<window>"
        )
    return StreamName(name, instrument, kind)
