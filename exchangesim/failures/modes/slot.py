"""``slot``: bursty release: hit messages wait for the next slot boundary (every ``slot_ms``) and leave
together, at most ``per_slot`` of them per slot, as with a batching gateway or a congested scheduler."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..mode import FailureMode
from ..params import DURATION, INTEGER, Parameter
from ..stream import ORDER, HoldingEffect, Sink

if TYPE_CHECKING:
    from ..fault import Fault, Scope
    from ..spec import FaultSpec

__all__ = ["Slot"]


class Slot(FailureMode):
    name = "slot"
    description = "Release messages in bursts at slot boundaries."
    layers = ("ws", "tcp")
    parameters = (
        Parameter("slot_ms", DURATION, 100.0, "Time between two releases.", "ms"),
        Parameter("per_slot", INTEGER, None, "Most messages released per slot (empty: all waiting).", low=1),
        ORDER,
    )
    restarted_by = ("order",)

    def check(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("slot_ms", "must be more than 0")] if params["slot_ms"] <= 0 else []

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> HoldingEffect:
        return _Slot(fault, scope, downstream)


class _Slot(HoldingEffect):
    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._slot = fault.spec.params["slot_ms"] / 1000
        self._origin = self.clock.seconds()
        self._last_slot = 0
        self._in_last_slot = 0

    def retune(self, previous: FaultSpec) -> None:
        if previous.params["slot_ms"] != self.fault.spec.params["slot_ms"]:  # new slots, from now
            self._slot = self.fault.spec.params["slot_ms"] / 1000
            self._origin = self.clock.seconds()
            self._last_slot = self._in_last_slot = 0

    def inject(self, data: bytes) -> None:
        per_slot = self.fault.spec.params["per_slot"]
        # Rounded to the microsecond: a message right on a boundary waits for the next one, rather
        # than float noise in epoch seconds (~0.2 us) deciding whether it goes now or a slot later.
        elapsed_ms = round((self.clock.seconds() - self._origin) * 1000, 3)
        slots = math.floor(round(elapsed_ms / self.fault.spec.params["slot_ms"], 9))
        index = max(self._last_slot, slots + 1)
        if index == self._last_slot and per_slot is not None and self._in_last_slot >= per_slot:
            index += 1
        if index != self._last_slot:
            self._last_slot, self._in_last_slot = index, 0
        self._in_last_slot += 1
        due = self._origin + index * self._slot
        self.record("slot", data, release_in_ms=round((due - self.clock.seconds()) * 1000, 3))
        self.hold(data, due)
