"""CSV replay: a recorded price series played back on the simulator's ticks, faster or slower."""

from __future__ import annotations

import csv
import math
from typing import TextIO

import attrs
import numpy as np

from exchangesim.marketdata.models import ModelSettings, PriceModel

__all__ = ["CsvReplay", "ReplayFileError", "read_prices"]


class ReplayFileError(ValueError):
    """A replay file that cannot be used; the message names the file and, where there is one, the line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = path if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line


def read_prices(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The timestamps (epoch milliseconds) and prices of a replay file, checked row by row.

    Rows are ``timestamp,price``; the first line may be a header, blank lines are skipped, timestamps must
    increase strictly and prices be positive.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            times, prices = _parse_rows(path, file)
    except OSError as exc:
        raise ReplayFileError(path, None, f"cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ReplayFileError(path, None, f"not UTF-8 text ({exc.reason})") from exc
    if not times:
        raise ReplayFileError(path, None, "no price rows")
    return np.array(times), np.array(prices)


def _parse_rows(path: str, file: TextIO) -> tuple[list[float], list[float]]:
    """The checked timestamps and prices of the rows of a CSV file."""
    rows = csv.reader(file, strict=True)
    times: list[float] = []
    prices: list[float] = []
    last_line = 0
    try:
        for row in rows:
            line = rows.line_num
            if not any(field.strip() for field in row):
                continue
            if len(row) != 2:
                raise ReplayFileError(path, line, f"expected 2 fields (timestamp,price), got {len(row)}")
            time, price = _number(row[0]), _number(row[1])
            if time is None and line == 1:
                continue  # the header
            if time is None:
                raise ReplayFileError(path, line, f"timestamp {row[0]!r} is not a number")
            if price is None or price <= 0:
                raise ReplayFileError(path, line, f"price {row[1]!r} is not a positive number")
            if times and time <= times[-1]:
                raise ReplayFileError(
                    path, line, f"timestamp {row[0].strip()} is not after the one on line {last_line}"
                )
            times.append(time)
            prices.append(price)
            last_line = line
    except csv.Error as exc:
        raise ReplayFileError(path, rows.line_num, f"not a CSV row ({exc})") from exc
    return times, prices


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

    def _states(self, start: int, n: int) -> np.ndarray:
        return np.arange(start + 1, start + n + 1)
