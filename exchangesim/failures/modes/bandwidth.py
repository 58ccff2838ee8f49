"""``bandwidth``: deliver at most ``bytes_per_second``, queueing the rest in order, as a thin link would."""

from __future__ import annotations

from ..mode import FailureMode
from ..params import INTEGER, Parameter
from ..stream import HoldingEffect
from ..token_bucket import TokenBucket

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
    )

    def stream_effect(self, fault, scope, downstream):
        return _Bandwidth(fault, scope, downstream)


class _Bandwidth(HoldingEffect):
    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        params = fault.spec.params
        rate = params["bytes_per_second"]
        self._bucket = TokenBucket(self.clock, rate, params["burst_bytes"] or max(1, rate // 10))

    def inject(self, data):
        if not self.held and self._bucket.take(len(data)):
            self.downstream(data)
            return
        wait = self._bucket.reserve(len(data))
        self.record("bandwidth_queue", data, bytes=len(data), wait_ms=round(wait * 1000, 3))
        self.hold(data, self.clock.seconds() + wait)
