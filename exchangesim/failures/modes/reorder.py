"""``reorder``: hold a message back until ``gap`` later messages have overtaken it, or ``hold_ms``
has passed, whichever comes first."""

from __future__ import annotations

from ..mode import FailureMode
from ..params import DURATION, INTEGER, Parameter
from ..stream import StreamEffect

__all__ = ["Reorder"]


class Reorder(FailureMode):
    name = "reorder"
    description = "Let later messages overtake a held one (after gap messages or hold_ms)."
    layers = ("ws",)
    parameters = (
        Parameter("gap", INTEGER, 2, "Messages that overtake a held one before it goes.", low=1, high=10_000),
        Parameter("hold_ms", DURATION, 1000.0, "Longest a message is held when fewer than gap follow.", "ms"),
    )

    def stream_effect(self, fault, scope, downstream):
        return _Reorder(fault, scope, downstream)


class _Held:
    __slots__ = ("data", "overtaken", "timer")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.overtaken = 0
        self.timer = None


class _Reorder(StreamEffect):
    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._held: list[_Held] = []

    @property
    def held(self):
        return len(self._held)

    def send(self, data):
        if not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
            return
        self.downstream(data)
        gap = self.fault.spec.params["gap"]
        for held in list(self._held):
            held.overtaken += 1
            if held.overtaken >= gap:
                self._release(held)

    def inject(self, data):
        params = self.fault.spec.params
        self.record("reorder", data, gap=params["gap"])
        held = _Held(data)
        held.timer = self.clock.callLater(params["hold_ms"] / 1000, self._release, held)
        self._held.append(held)

    def _release(self, held: _Held) -> None:
        if held in self._held:
            self._held.remove(held)
            if held.timer.active():
                held.timer.cancel()
            self.downstream(held.data)

    def flush(self):
        for held in list(self._held):
            self._release(held)

    def stop(self):
        super().stop()
        for held in self._held:
            if held.timer.active():
                held.timer.cancel()
        self._held = []
