"""CSV replay: a recorded price series played back on the simulator's ticks, faster or slower.

A file is read as it comes, in the layout that the number of fields of its first data row tells:

- ``timestamp,price`` (2 fields): epoch milliseconds and a price.
- Binance public-data klines (12 fields; data.binance.vision ``.../klines/BTCUSDT/1m/BTCUSDT-1m-*.csv``):
  ``open_time,open,high,low,close,volume,close_time,...``. A candle gives two prices: its open at
  open_time and its close at close_time, the only two whose times are recorded (high and low are left
  out: when they traded is not). close_time is the candle's last millisecond (or microsecond), so a tick
  shows the open of its candle, the first trade in it, and a close shows through a gap in the recording
  and after the last candle, where it holds. For a finer path, replay 1s klines or aggTrades.
- Binance public-data aggTrades (8 fields in spot files, 7 in futures ones, which have no is_best_match):
  ``agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,...``: the trade prices at
  their transact_time. A taker order that sweeps several price levels leaves several rows with the same
  time, so equal times are accepted here, in file order, and the last price of an instant is kept (the
  one every tick at or after that instant shows anyway).

Binance's timestamps are milliseconds (13 digits) in older files and microseconds (16 digits) in spot files
from 2025 on: each is read by its size and kept as milliseconds, fractions included. The first line may be
a header (Binance's spot files have none, its futures files have had one since 2022); blank lines are
skipped; times must increase (strictly, except between aggTrades) and prices be positive, or the file is
refused with its name and line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from typing import TextIO

import attrs
import numpy as np

from exchangesim.marketdata.models import ModelSettings, PriceModel

__all__ = ["CsvReplay", "ReplayFileError", "read_prices"]

# A Binance timestamp from 10**14 on is in microseconds: in milliseconds it would be past the year 5000,
# in microseconds it is after 1973.
MICROSECONDS_FROM = 10**14


class ReplayFileError(ValueError):
    """A replay file that cannot be used; the message names the file and, where there is one, the line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = path if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line


def read_prices(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The times (epoch milliseconds, strictly increasing) and prices of a replay file in any of the
    module's layouts, checked row by row."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            recording = _read_rows(path, file)
    except OSError as exc:
        raise ReplayFileError(path, None, f"cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ReplayFileError(path, None, f"not UTF-8 text ({exc.reason})") from exc
    if not recording.times:
        raise ReplayFileError(path, None, "no price rows")
    return np.array(recording.times), np.array(recording.prices)


class _Recording:
    """The times and prices read so far, and the last time with the line it came from."""

    __slots__ = ("last", "last_line", "path", "prices", "times")

    def __init__(self, path: str) -> None:
        self.path = path
        self.times: list[float] = []
        self.prices: list[float] = []
        self.last = -math.inf
        self.last_line = 0

    def add(self, line: int, time: float, price: float) -> None:
        """Record ``price`` at ``time`` (not before the last time; at it, the new price replaces the last)."""
        if time == self.last:
            self.prices[-1] = price
        else:
            self.times.append(time)
            self.prices.append(price)
            self.last = time
        self.last_line = line


@attrs.frozen
class _Layout:
    """A kind of replay file: its name in messages and how one of its rows is recorded."""

    name: str
    read: Callable[[_Recording, int, list[str]], None]


def _read_rows(path: str, file: TextIO) -> _Recording:
    """The checked times and prices of the rows of a CSV file, in the layout of its first data row."""
    rows = csv.reader(file, strict=True)
    recording = _Recording(path)
    layout: _Layout | None = None
    width = 0
    try:
        for row in rows:
            line = rows.line_num
            if not any(field.strip() for field in row):
                continue
            if layout is None:
                if line == 1 and _number(row[0]) is None:
                    continue  # the header
                width = len(row)
                layout = _layout_of(path, line, width)
            elif len(row) != width:
                raise ReplayFileError(path, line, f"expected {width} fields ({layout.name}), got {len(row)}")
            layout.read(recording, line, row)
    except csv.Error as exc:
        raise ReplayFileError(path, rows.line_num, f"not a CSV row ({exc})") from exc
    return recording


def _read_price(recording: _Recording, line: int, row: list[str]) -> None:
    """A ``timestamp,price`` row."""
    path = recording.path
    time = _time(path, line, "timestamp", row[0], binance=False)
    price = _price(path, line, "price", row[1])
    if time <= recording.last:
        late = f"timestamp {row[0].strip()} is not after the one on line {recording.last_line}"
        raise ReplayFileError(path, line, late)
    recording.add(line, time, price)


def _read_kline(recording: _Recording, line: int, row: list[str]) -> None:
    """A Binance kline: its open at open_time, then its close at close_time."""
    path = recording.path
    open_time = _time(path, line, "open_time", row[0])
    close_time = _time(path, line, "close_time", row[6])
    open_price = _price(path, line, "open", row[1])
    close_price = _price(path, line, "close", row[4])
    if open_time <= recording.last:
        late = f"open_time {row[0].strip()} is not after the close_time on line {recording.last_line}"
        raise ReplayFileError(path, line, late)
    if close_time <= open_time:
        raise ReplayFileError(path, line, f"close_time {row[6].strip()} is not after its open_time")
    recording.add(line, open_time, open_price)
    recording.add(line, close_time, close_price)


def _read_agg_trade(recording: _Recording, line: int, row: list[str]) -> None:
    """A Binance aggTrade: its price at transact_time, which may equal the one before."""
    path = recording.path
    time = _time(path, line, "transact_time", row[5])
    price = _price(path, line, "price", row[1])
    if time < recording.last:
        late = f"transact_time {row[5].strip()} is before the one on line {recording.last_line}"
        raise ReplayFileError(path, line, late)
    recording.add(line, time, price)


_PRICES = _Layout("timestamp,price", _read_price)
_KLINES = _Layout("Binance klines", _read_kline)
_AGG_TRADES = _Layout("Binance aggTrades", _read_agg_trade)
_LAYOUTS = {2: _PRICES, 12: _KLINES, 7: _AGG_TRADES, 8: _AGG_TRADES}


def _layout_of(path: str, line: int, width: int) -> _Layout:
    """The layout of a file whose first data row, at ``line``, has ``width`` fields."""
    try:
        return _LAYOUTS[width]
    except KeyError:
        raise ReplayFileError(
            path,
            line,
            f"expected 2 fields (timestamp,price), 12 (Binance klines) or 7 or 8 (Binance aggTrades),"
            f" got {width}",
        ) from None


def _time(path: str, line: int, name: str, field: str, *, binance: bool = True) -> float:
    """The time in ``field`` in epoch milliseconds; a Binance time may be written in microseconds."""
    time = _number(field)
    if time is None:
        raise ReplayFileError(path, line, f"{name} {field!r} is not a number")
    return time / 1000 if binance and time >= MICROSECONDS_FROM else time


def _price(path: str, line: int, name: str, field: str) -> float:
    """The positive price in ``field``."""
    price = _number(field)
    if price is None or price <= 0:
        raise ReplayFileError(path, line, f"{name} {field!r} is not a positive number")
    return price


def _number(field: str) -> float | None:
    """The finite number written in ``field``, or None."""
    try:
        value = float(field)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class CsvReplay(PriceModel):
    """Replays a recorded series: tick k shows the last price recorded at or before t0 + k * tick * speed.

    t0 is the first timestamp, tick is tick_seconds and speed replay_speed (2.0 plays twice as fast); after
    the last row the price holds. The replay starts at the first recorded price (initial_price is not used),
    drift and volatility have no effect, and a jump scales the rest of the replay by the same factor.
    """

    name = "csv"

    def __init__(self, settings: ModelSettings, rng: np.random.Generator) -> None:
        if settings.replay_file is None:
            raise ValueError("the csv price model needs replay_file")
        self._times, self._recorded = read_prices(settings.replay_file)
        self._ms_per_tick = settings.tick_seconds * 1000 * settings.replay_speed
        self._state = 0  # ticks played
        self._scale = 1.0
        super().__init__(attrs.evolve(settings, initial_price=self._recorded[0].item()), rng)

    def next_price(self, current: float) -> float:
        """The price one tick after the current one (a recording does not depend on ``current``)."""
        return self._price_of(np.array([self._state + 1])).item()

    def _move_to(self, price: float) -> None:
        self._scale = price / self._recorded_at(np.array([self._state])).item()
        self.price = price

    def _price_of(self, states: np.ndarray) -> np.ndarray:
        return self._scale * self._recorded_at(states)

    def _recorded_at(self, ticks: np.ndarray) -> np.ndarray:
        """The recorded prices at those ticks."""
        times = self._times[0] + ticks * self._ms_per_tick
        return self._recorded[np.searchsorted(self._times, times, side="right") - 1]

    def _draw(self, n: int) -> np.ndarray:
        """No random numbers: a recording plays as it is."""
        return np.empty((0, n))

    def _states(self, start: int, draws: np.ndarray) -> np.ndarray:
        return np.arange(start + 1, start + draws.shape[1] + 1)
