"""``bandwidth``: deliver at most ``bytes_per_second``, queueing the rest in order, as a thin link would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..mode import FailureMode
from ..params import INTEGER, Parameter
from ..stream import ORDER, HoldingEffect, Sink
from ..token_bucket import TokenBucket

if TYPE_CHECKING:
    from ..fault import Fault, Scope
    from ..spec import FaultSpec

__all__ = ["Bandwidth"]


class Bandwidth(FailureMode):
    name = "bandwidth"
    description = "Cap the bytes per second a connection delivers, queueing the rest."
    layers = ("ws", "tcp")
    parameters = (
        Parameter("bytes_per_second", INTEGER, 65536, "The link's capacity.", "B/s", low=1, high=10**10),
        Parameter(
            "burst_bytes",
            INTEGER,
            None,
            "Bytes that may pass at once (empty: a tenth of a second's).",
            "B",
            low=1,
            high=10**10,
        ),
        ORDER,
    )
    restarted_by = ("order",)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> HoldingEffect:
        return _Bandwidth(fault, scope, downstream)


class _Bandwidth(HoldingEffect):
    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        params = fault.spec.params
        self._bucket = TokenBucket(self.clock, *_rate_and_burst(params))

    def retune(self, previous: FaultSpec) -> None:
        self._bucket.retune(*_rate_and_burst(self.fault.spec.params))

    def inject(self, data: bytes) -> None:
        if not self.held and self._bucket.take(len(data)):
            self.downstream(data)
            return
        wait = self._bucket.reserve(len(data))
        self.record("bandwidth_queue", data, bytes=len(data), wait_ms=round(wait * 1000, 3))
        self.hold(data, self.clock.seconds() + wait)


def _rate_and_burst(params: Mapping[str, Any]) -> tuple[int, int]:
    rate = params["bytes_per_second"]
    return rate, params["burst_bytes"] or max(1, rate // 10)
