"""``stall``: the connection stays open and nothing is delivered while the fault is live; what was held
is released when it ends (or discarded, ``release = false``). REST requests wait for the end likewise.

On ws a stall holds the streams it hit (channel and symbol): from the first message it hits in a stream
until it ends, that stream's later messages are held too, and other streams pass (``order =
connection``: everything on the connection is held behind it)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import TYPE_CHECKING

from ..mode import FailureMode
from ..params import BOOLEAN, Parameter
from ..requests import Delay, Lose, RequestEffect, Response, RestCall
from ..stream import ORDER, Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Stall"]


class Stall(FailureMode):
    name = "stall"
    description = "Deliver nothing while live, keeping the connection open."
    layers = ("rest", "ws", "tcp")
    silences_connections = True
    stages = ("pre_engine", "post_engine")
    parameters = (
        Parameter(
            "release",
            BOOLEAN,
            True,
            "Deliver what was held when the stall ends (false: lose it; on tcp that resets the connection).",
        ),
        ORDER,
    )
    restarted_by = ("order",)

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _StallRequest(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _StallStream(fault, scope, downstream)


class _StallRequest(RequestEffect):
    def before(self, call: RestCall) -> Lose | Delay:
        return self._wait()

    def after(self, call: RestCall, response: Response) -> Lose | Delay:
        return self._wait()

    def _wait(self) -> Lose | Delay:
        remaining = self.fault.until_change()
        return Lose(None, "stall") if remaining is None else Delay(remaining, "stall")


class _StallStream(StreamEffect):
    """Holds (stream, message, since, waits) in the order they came; ``waits``: the fault does not aim
    at the message, it only waits behind a stalled stream (``order = connection``)."""

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._held: deque[tuple[bytes, float, bool]] = deque()
        self._stalled: set[Hashable] = set()

    @property
    def held(self) -> int:
        return len(self._held)

    def send(self, data: bytes) -> None:
        if self._stalled and self.stream_of(data) in self._stalled:
            aimed = self.fault.aims_at(self.scope, data)
            self._held.append((data, self.clock.seconds(), not aimed))
        elif not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
        else:
            self.downstream(data)

    def inject(self, data: bytes) -> None:
        self.record("stall", data)  # the stream's stall begins: its later messages are held with it
        self._stalled.add(self.stream_of(data))
        self._held.append((data, self.clock.seconds(), False))

    def schedule_changed(self, live: bool) -> None:
        if not live:
            if self.fault.spec.params["release"]:
                self.flush()
            elif self._held:
                self._stalled.clear()
                while self._held:  # one event per message lost, so the audit names each gap
                    self.record("stall_discard", self._held.popleft()[0])
                if self.scope.layer == "tcp":  # a byte stream with a hole in it is broken: reset it
                    self.scope.connection.abort()

    def flush(self) -> None:
        self._stalled.clear()
        now = self.clock.seconds()
        while self._held:
            data, since, waits = self._held.popleft()
            if waits and now > since:
                self.record("wait", data, hit=False, wait_ms=round((now - since) * 1000, 3))
            self.downstream(data)

    def stop(self) -> None:
        super().stop()
        self._held.clear()
        self._stalled.clear()
