"""Streams sent on the clock, one mechanism for both dialects: conflation windows and periodic streams.

At 1 ms ticks a book changes far faster than a screen or a slow consumer can use (DESIGN §10.2), so a
stream may ask for what changed once per period instead (the native ``interval_ms``, Binance's
``@100ms`` and ``@1000ms`` depth). A window gathers a stream's changes: it opens with the first change and
closes ``period_ms`` later, when the stream's ``send`` gets all of them at once; a period without change
sends nothing, and a period of 0 sends each change at once. A periodic stream (Binance's partial depth,
window tickers, average price) is sent every ``period_ms`` from its first subscriber on, changed or not.
The feeds ``watch`` which windowed streams want the changes of a source (a book, a symbol's ticker) and
``forget`` a stream when its last subscriber leaves: its timer stops and what it gathered is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from twisted.internet.interfaces import IDelayedCall, IReactorTime

__all__ = ["Conflator"]

Send = Callable[[Hashable, list[Any]], None]
"""A windowed stream's send: its key and the changes gathered in the window, oldest first."""


class Conflator:
    """The windows and periodic timers of every stream sent on the clock."""

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._watching: dict[Hashable, dict[Hashable, int]] = {}  # source -> stream key -> period_ms
        self._sources: dict[Hashable, Hashable] = {}  # stream key -> its source
        self._gathered: dict[Hashable, list[Any]] = {}  # stream key -> changes of its open window
        self._timers: dict[Hashable, IDelayedCall] = {}  # stream key -> its window's end, or next send

    # -- windows -------------------------------------------------------------------------------------
    def watch(self, source: Hashable, key: Hashable, period_ms: int) -> None:
        """Stream ``key`` wants the changes of ``source`` once per ``period_ms`` (0: each at once)."""
        self._watching.setdefault(source, {})[key] = period_ms
        self._sources[key] = source

    def watching(self, source: Hashable) -> dict[Hashable, int]:
        """The streams that want the changes of ``source``, with their periods (read per change)."""
        return self._watching.get(source, _NONE)

    def gather(self, key: Hashable, period_ms: int, changes: Iterable[Any], send: Send) -> None:
        """Add ``changes`` to the window of stream ``key``, opening one if none is open."""
        if not period_ms:
            send(key, list(changes))
            return
        gathered = self._gathered.get(key)
        if gathered is None:
            gathered = self._gathered[key] = []
            self._timers[key] = self._clock.callLater(period_ms / 1000, self._close, key, send)
        gathered += changes

    def _close(self, key: Hashable, send: Send) -> None:
        del self._timers[key]
        send(key, self._gathered.pop(key))

    # -- periodic streams ------------------------------------------------------------------------------
    def every(self, key: Hashable, period_ms: int, send: Callable[[Hashable], None]) -> None:
        """Send stream ``key`` every ``period_ms`` from now on, until it is forgotten."""
        if key not in self._timers:
            self._timers[key] = self._clock.callLater(period_ms / 1000, self._tick, key, period_ms, send)

    def _tick(self, key: Hashable, period_ms: int, send: Callable[[Hashable], None]) -> None:
        # first: a subscriber leaving while it is sent cancels the next one
        self._timers[key] = self._clock.callLater(period_ms / 1000, self._tick, key, period_ms, send)
        send(key)

    # -- ending --------------------------------------------------------------------------------------
    def forget(self, key: Hashable) -> None:
        """Stream ``key`` lost its last subscriber: no window, no timer, no changes for it any more."""
        source = self._sources.pop(key, None)
        if source is not None:
            watchers = self._watching[source]
            del watchers[key]
            if not watchers:
                del self._watching[source]
        self._gathered.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None and timer.active():
            timer.cancel()

    def stop(self) -> None:
        """The service stops: every window, timer and watch with it."""
        for key in {**self._timers, **self._sources}:
            self.forget(key)


_NONE: dict[Hashable, int] = {}
