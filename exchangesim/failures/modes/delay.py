"""``delay``: base + jitter (uniform, normal or pareto, optionally correlated); messages keep their
order on a connection, requests wait before the engine (pre_engine) or their answer waits (post_engine)."""

from __future__ import annotations

import random

from ..mode import FailureMode
from ..params import DURATION, NUMBER, TEXT, Parameter
from ..requests import Delay as DelayVerdict
from ..requests import RequestEffect
from ..stream import HoldingEffect

__all__ = ["Delay", "Jitter"]


class Jitter:
    """Delays in ms: ``base`` plus a draw from the distribution, each draw pulled towards the last by
    ``correlation`` (0: independent, 1: constant); the first draw is taken as it comes. A delay longer
    than ``cap_ms`` (``[failures] max_fault_duration``: a pareto tail has no end) is cut to it."""

    def __init__(self, params, rng: random.Random, cap_ms: float = float("inf")) -> None:
        self._base = params["base_ms"]
        self._jitter = params["jitter_ms"]
        self._distribution = params["distribution"]
        self._alpha = params["pareto_alpha"]
        self._correlation = params["correlation"]
        self._rng = rng
        self._cap = cap_ms
        self._last: float | None = None

    def next_ms(self) -> float:
        fresh = self._draw()
        last = self._last
        # Starting from the first draw, not from 0: else correlation 1 would mean no jitter at all.
        self._last = fresh if last is None else self._correlation * last + (1 - self._correlation) * fresh
        return min(max(0.0, self._base + self._last), self._cap)

    def _draw(self) -> float:
        if self._jitter == 0:
            return 0.0
        if self._distribution == "uniform":
            return self._rng.uniform(0, self._jitter)
        if self._distribution == "normal":
            return self._rng.gauss(0, self._jitter)
        return self._jitter * (self._rng.paretovariate(self._alpha) - 1)


class Delay(FailureMode):
    name = "delay"
    description = "Hold messages, requests or responses for base + jitter ms, keeping their order."
    layers = ("rest", "ws", "tcp")
    stages = ("pre_engine", "post_engine")
    parameters = (
        Parameter("base_ms", DURATION, 100.0, "Delay every hit message gets.", "ms"),
        Parameter("jitter_ms", DURATION, 0.0, "Spread: uniform 0..jitter, normal sd, or pareto scale.", "ms"),
        Parameter(
            "distribution", TEXT, "uniform", "How jitter is drawn.", choices=("uniform", "normal", "pareto")
        ),
        Parameter(
            "correlation", NUMBER, 0.0, "How much each jitter draw follows the last one.", low=0, high=1
        ),
        Parameter(
            "pareto_alpha", NUMBER, 2.5, "pareto: tail index (smaller: heavier tail).", low=1.01, high=100
        ),
    )

    def request_effect(self, fault, scope):
        return _DelayRequest(fault, scope)

    def stream_effect(self, fault, scope, downstream):
        return _DelayStream(fault, scope, downstream)


class _DelayRequest(RequestEffect):
    def __init__(self, fault, scope) -> None:
        super().__init__(fault, scope)
        self._jitter = Jitter(fault.spec.params, self.rng, fault.spec.max_duration_ms)

    def before(self, call):
        return DelayVerdict(self._jitter.next_ms() / 1000)

    def after(self, call, response):
        return DelayVerdict(self._jitter.next_ms() / 1000)


class _DelayStream(HoldingEffect):
    """Order-preserving: a message due earlier than one held before it waits for that one."""

    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._jitter = Jitter(fault.spec.params, scope.rng, fault.spec.max_duration_ms)

    def inject(self, data):
        delay_ms = self._jitter.next_ms()
        self.record("delay", data, delay_ms=round(delay_ms, 3))
        self.hold(data, self.clock.seconds() + delay_ms / 1000)
