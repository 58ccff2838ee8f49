"""Conflated streams: a BOOK or TICKER subscription with ``interval_ms`` gets one message per interval.

At 1 ms ticks a book changes far faster than a screen or a slow consumer can use (DESIGN §10.2). A
conflated BOOK stream sends, every ``interval_ms`` on the clock, the levels that changed since its
last message with their quantity now (0: gone) and the ``book_sequence`` they bring the book to; a
conflated TICKER stream sends the ticker when it moved. Each is a stream of its own, with its own
contiguous ``seq``; nothing is sent for an interval in which nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall

from ...engine import BookLevelChanged
from .streams import StreamHub

__all__ = ["CONFLATED_CHANNELS", "Conflator", "check_interval_ms"]

CONFLATED_CHANNELS = ("TICKER", "BOOK")
MIN_INTERVAL_MS, MAX_INTERVAL_MS = 10, 60_000


def check_interval_ms(value: object) -> int:
    """``interval_ms`` of a subscribe op (a JSON number, so a Decimal) as whole milliseconds."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        if MIN_INTERVAL_MS <= value <= MAX_INTERVAL_MS:
            return int(value)
    raise ValueError(
        f"interval_ms must be a whole number of milliseconds from {MIN_INTERVAL_MS} to {MAX_INTERVAL_MS}"
    )


class Conflator:
    """Collects what changed for every conflated stream and publishes it once per interval."""

    def __init__(
        self,
        clock: IReactorTime,
        hub: StreamHub,
        now_ms: Callable[[], int],
        render_level: Callable[[str, str, int, int], dict[str, Any]],
        ticker_body: Callable[[str, int], dict[str, Any]],
    ) -> None:
        self._clock = clock
        self._hub = hub
        self._now_ms = now_ms
        self._render_level = render_level
        self._ticker_body = ticker_body
        # (symbol, interval_ms) -> {(side, price): lots} changed since the last message, and the sequence
        self._levels: dict[tuple[str, int], dict[tuple[str, int], int]] = {}
        self._sequences: dict[str, int] = {}
        self._tickers: set[tuple[str, int]] = set()  # (symbol, interval_ms) whose ticker moved
        self._timers: dict[int, LoopingCall] = {}  # one per interval in use
        self._streams: dict[int, set[tuple[str, tuple[str, int]]]] = {}  # interval -> (channel, key)

    def watch(self, channel: str, key: tuple[str, int]) -> None:
        """A conflated stream got a subscriber: flush its interval on schedule from now on."""
        interval_ms = key[1]
        self._streams.setdefault(interval_ms, set()).add((channel, key))
        if interval_ms not in self._timers:
            timer = self._timers[interval_ms] = LoopingCall(self._flush, interval_ms)
            timer.clock = self._clock
            timer.start(interval_ms / 1000, now=False)

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.stop()
        self._timers.clear()
        self._streams.clear()

    def level_changed(self, event: BookLevelChanged) -> None:
        """Feed hook: a book level changed."""
        for interval_ms in self._timers:
            key = (event.symbol, interval_ms)
            if self._hub.live("BOOK", key) is not None:
                self._levels.setdefault(key, {})[event.side, event.price] = event.quantity
                self._sequences[event.symbol] = event.sequence

    def ticker_moved(self, symbol: str) -> None:
        """Feed hook: the last price or the top of the book of ``symbol`` may have moved."""
        for interval_ms in self._timers:
            if self._hub.live("TICKER", (symbol, interval_ms)) is not None:
                self._tickers.add((symbol, interval_ms))

    def _flush(self, interval_ms: int) -> None:
        streams = self._streams[interval_ms]
        streams -= {(channel, key) for channel, key in streams if self._hub.live(channel, key) is None}
        if not streams:  # the last subscriber of this interval left: its timer goes too
            del self._streams[interval_ms]
            self._timers.pop(interval_ms).stop()
        ts = self._now_ms()
        for key in [key for key in self._levels if key[1] == interval_ms]:
            changed = self._levels.pop(key)
            stream = self._hub.live("BOOK", key)
            if stream is not None and changed:
                symbol = key[0]
                levels = [
                    self._render_level(symbol, side, price, lots) for (side, price), lots in changed.items()
                ]
                stream.publish({"levels": levels, "book_sequence": self._sequences[symbol]}, ts)
        for key in [key for key in self._tickers if key[1] == interval_ms]:
            self._tickers.discard(key)
            stream = self._hub.live("TICKER", key)
            if stream is not None:
                stream.publish(self._ticker_body(key[0], ts), ts)
