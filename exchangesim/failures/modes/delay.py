"""``delay``: base + jitter (uniform, normal or pareto, optionally correlated); messages keep their
order in their stream (or on the connection, ``order = connection``), requests wait before the engine
(pre_engine) or their answer waits (post_engine)."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..mode import FailureMode
from ..params import DURATION, NUMBER, TEXT, Parameter
from ..requests import Delay as DelayVerdict
from ..requests import RequestEffect, Response, RestCall
from ..stream import ORDER, HoldingEffect, Sink

if TYPE_CHECKING:
    from ..fault import Fault, Scope
    from ..spec import FaultSpec

__all__ = ["Delay", "Jitter"]


class Jitter:
    """Delays in ms: ``base`` plus a draw from the distribution, each draw following the last by
    ``correlation`` (0: independent, 1: constant, the first draw for ever) without changing the
    distribution of a single draw. A delay longer than ``cap_ms`` (``[failures] max_fault_duration``:
    a pareto tail has no end) is cut to it.

    Correlated draws come from a Gaussian copula: an AR(1) series z(n) = c z(n-1) + sqrt(1 - c^2) e(n)
    of standard normals (so every z is standard normal) mapped through the normal CDF and the
    distribution's inverse CDF. Averaging the draws themselves, as netem does, would shrink their spread
    (a uniform 0..200 ms jitter with correlation 0.9 would keep an sd of 13 ms of its 58).
    """

    def __init__(self, params: Mapping[str, Any], rng: random.Random, cap_ms: float = float("inf")) -> None:
        self._rng = rng
        self._cap = cap_ms
        self._z: float | None = None
        self.retune(params)

    def retune(self, params: Mapping[str, Any]) -> None:
        """Draw with these parameters from now on; the series goes on from where it is."""
        self._base = params["base_ms"]
        self._jitter = params["jitter_ms"]
        self._distribution = params["distribution"]
        self._alpha = params["pareto_alpha"]
        self._correlation = params["correlation"]

    def next_ms(self) -> float:
        return min(max(0.0, self._base + self._draw()), self._cap)

    def _draw(self) -> float:
        if self._jitter == 0:
            return 0.0
        if self._correlation == 0:
            self._z = None
            return self._independent()
        c = self._correlation
        e = self._rng.gauss(0.0, 1.0)
        z = self._z = e if self._z is None else c * self._z + math.sqrt(1 - c * c) * e
        if self._distribution == "normal":
            return self._jitter * z
        if self._distribution == "uniform":
            return self._jitter * 0.5 * math.erfc(-z / math.sqrt(2))  # the normal CDF at z
        above = 0.5 * math.erfc(z / math.sqrt(2))  # 1 - CDF, exact far into the upper tail
        return self._jitter * (max(above, sys.float_info.min) ** (-1 / self._alpha) - 1)

    def _independent(self) -> float:
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
            "correlation",
            NUMBER,
            0.0,
            "How much each jitter draw follows the last one (the distribution of each stays the same).",
            low=0,
            high=1,
        ),
        Parameter(
            "pareto_alpha", NUMBER, 2.5, "pareto: tail index (smaller: heavier tail).", low=1.01, high=100
        ),
        ORDER,
    )
    restarted_by = ("order",)

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _DelayRequest(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> HoldingEffect:
        return _DelayStream(fault, scope, downstream)


class _DelayRequest(RequestEffect):
    def __init__(self, fault: Fault, scope: Scope) -> None:
        super().__init__(fault, scope)
        self._jitter = Jitter(fault.spec.params, self.rng, fault.spec.max_duration_ms)

    def before(self, call: RestCall) -> DelayVerdict:
        return DelayVerdict(self._jitter.next_ms() / 1000)

    def after(self, call: RestCall, response: Response) -> DelayVerdict:
        return DelayVerdict(self._jitter.next_ms() / 1000)

    def retune(self, previous: FaultSpec) -> None:
        self._jitter.retune(self.fault.spec.params)


class _DelayStream(HoldingEffect):
    """Order-preserving: a message due earlier than one held before it in its stream waits for that one."""

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._jitter = Jitter(fault.spec.params, scope.rng, fault.spec.max_duration_ms)

    def inject(self, data: bytes) -> None:
        delay_ms = self._jitter.next_ms()
        self.record("delay", data, delay_ms=round(delay_ms, 3))
        self.hold(data, self.clock.seconds() + delay_ms / 1000)

    def retune(self, previous: FaultSpec) -> None:
        self._jitter.retune(self.fault.spec.params)
