"""``reorder``: hold a message back until ``gap`` later messages of its stream have overtaken it, or
``hold_ms`` has passed, whichever comes first.

While a message of a stream is held, the next ones of that stream are the ones that overtake it: they
are not held themselves (nor counted by the triggers), so every hit ends in a visible reordering, even
at the default probability 1 (1 2 3 4 5 6 leave as 2 3 1 5 6 4 with ``gap = 2``). Other streams pass.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall

from ..mode import FailureMode
from ..params import DURATION, INTEGER, Parameter
from ..stream import Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Reorder"]


class Reorder(FailureMode):
    name = "reorder"
    description = "Let later messages of a stream overtake a held one (after gap messages or hold_ms)."
    layers = ("ws",)
    parameters = (
        Parameter("gap", INTEGER, 2, "Messages that overtake a held one before it goes.", low=1, high=10_000),
        Parameter("hold_ms", DURATION, 1000.0, "Longest a message is held when fewer than gap follow.", "ms"),
    )
    restarted_by = ()

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _Reorder(fault, scope, downstream)


class _Held:
    __slots__ = ("data", "overtaken", "since", "timer")

    def __init__(self, data: bytes, since: float, timer: IDelayedCall) -> None:
        self.data = data
        self.since = since
        self.overtaken = 0
        self.timer = timer  # releases it after hold_ms


class _Reorder(StreamEffect):
    """At most one message held per stream; it is audited when it goes: ``reorder`` with how many
    overtook it, or ``held`` when none came within ``hold_ms`` (it only arrived late)."""

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._held: dict[Hashable, _Held] = {}

    @property
    def held(self) -> int:
        return len(self._held)

    def stream_of(self, data: bytes) -> Hashable:
        fields = self.scope.describe(data)
        return fields.get("channel"), fields.get("symbol")

    def send(self, data: bytes) -> None:
        if self._held:
            stream = self.stream_of(data)
            held = self._held.get(stream)
            if held is not None:  # it overtakes the held one
                self.downstream(data)
                held.overtaken += 1
                if held.overtaken >= self.fault.spec.params["gap"]:
                    self._release(stream)
                return
        if not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
        else:
            self.downstream(data)

    def inject(self, data: bytes) -> None:
        self.fault.note_hit()  # audited when it goes, counted now: ``count`` stops the next hit
        stream = self.stream_of(data)
        timer = self.clock.callLater(self.fault.spec.params["hold_ms"] / 1000, self._release, stream)
        self._held[stream] = _Held(data, self.clock.seconds(), timer)

    def _release(self, stream: Hashable) -> None:
        held = self._held.pop(stream, None)
        if held is None:
            return
        if held.timer.active():
            held.timer.cancel()
        held_ms = round((self.clock.seconds() - held.since) * 1000, 3)
        if held.overtaken:
            gap = self.fault.spec.params["gap"]
            self.record(
                "reorder", held.data, hit=False, gap=gap, overtaken_by=held.overtaken, held_ms=held_ms
            )
        else:
            self.record("held", held.data, hit=False, held_ms=held_ms)
        self.downstream(held.data)

    def flush(self) -> None:
        for stream in list(self._held):  # in the order they were held
            self._release(stream)

    def stop(self) -> None:
        super().stop()
        for held in self._held.values():
            if held.timer.active():
                held.timer.cancel()
        self._held = {}
