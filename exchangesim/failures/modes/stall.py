"""``stall``: the connection stays open and nothing is delivered while the fault is live; what was held
is released when it ends (or discarded, ``release = false``). REST requests wait for the end likewise."""

from __future__ import annotations

from collections import deque

from ..mode import FailureMode
from ..params import BOOLEAN, Parameter
from ..requests import Delay, Lose, RequestEffect
from ..stream import StreamEffect

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
    )

    def request_effect(self, fault, scope):
        return _StallRequest(fault, scope)

    def stream_effect(self, fault, scope, downstream):
        return _StallStream(fault, scope, downstream)


class _StallRequest(RequestEffect):
    def before(self, call):
        return self._wait()

    def after(self, call, response):
        return self._wait()

    def _wait(self):
        remaining = self.fault.until_change()
        return Lose(None, "stall") if remaining is None else Delay(remaining, "stall")


class _StallStream(StreamEffect):
    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._held: deque[bytes] = deque()

    @property
    def held(self):
        return len(self._held)

    def send(self, data):
        if self._held or (not self.stopped and self.fault.fires(self.scope, data)):
            self.inject(data)
        else:
            self.downstream(data)

    def inject(self, data):
        if not self._held:
            self.record("stall", data)
        self._held.append(data)

    def schedule_changed(self, live):
        if not live:
            if self.fault.spec.params["release"]:
                self.flush()
            elif self._held:
                while self._held:  # one event per message lost, so the audit names each gap
                    self.record("stall_discard", self._held.popleft())
                if self.scope.layer == "tcp":  # a byte stream with a hole in it is broken: reset it
                    self.scope.connection.abort()

    def flush(self):
        while self._held:
            self.downstream(self._held.popleft())

    def stop(self):
        super().stop()
        self._held.clear()
