"""``latency_spike``: most of the time nothing happens; now and then a spike starts (each eligible
message or request starts one with the fault's ``probability``) and for ``spike_ms`` every message or
request the fault targets waits ``extra_ms`` more, keeping its order on the connection.

Built as the built-in modes are: a ``FailureMode`` declaring its layers and parameters, a
``HoldingEffect`` for the ws and tcp layers and a ``RequestEffect`` answering ``Delay`` for rest.
"""

from __future__ import annotations

from exchangesim.failures import DURATION, Delay, FailureMode, HoldingEffect, Parameter, RequestEffect

__all__ = ["LatencySpike"]


class LatencySpike(FailureMode):
    name = "latency_spike"
    description = "Now and then a spike: for spike_ms, every message or request waits extra_ms more."
    layers = ("rest", "ws", "tcp")
    stages = ("pre_engine", "post_engine")
    parameters = (
        Parameter(
            "extra_ms",
            DURATION,
            250.0,
            "Latency a spike adds to each message or request.",
            "ms",
            low=1,
            high=600_000,
        ),
        Parameter(
            "spike_ms",
            DURATION,
            2000.0,
            "How long a spike lasts once a message or request starts it.",
            "ms",
            low=1,
            high=3_600_000,
        ),
    )

    def request_effect(self, fault, scope):
        return _SpikeRequests(fault, scope)

    def stream_effect(self, fault, scope, downstream):
        return _SpikeStream(fault, scope, downstream)


class Spikes:
    """Whether a spike is on for a scope: a hit message either falls inside the current spike, or
    starts one with the fault's probability.

    It takes the scope's decision: ``Fault.fires`` asks it only after the fault's targeting, schedule
    and count triggers have found the message eligible, so a spike delays only what the fault targets.
    """

    def __init__(self, scope, spike_ms: float) -> None:
        self._starts = scope.decide  # the mode's decider: Bernoulli with the fault's probability
        self._clock = scope.fault.clock
        self._length = spike_ms / 1000
        self.until: float | None = None
        self.started = False  # whether the last hit started a spike
        scope.decide = self.hit

    def hit(self) -> bool:
        now = self._clock.seconds()
        if self.until is not None and now < self.until:
            self.started = False
            return True
        if self._starts():
            self.until = now + self._length
            self.started = True
            return True
        return False


class _SpikeRequests(RequestEffect):
    """rest: a request hit during a spike waits (pre_engine) or its answer waits (post_engine)."""

    def __init__(self, fault, scope) -> None:
        super().__init__(fault, scope)
        self._spikes = Spikes(scope, fault.spec.params["spike_ms"])

    def before(self, call):
        return self._delay()

    def after(self, call, response):
        return self._delay()

    def _delay(self):
        # The rest wrapper writes the audit event, with this action and the delay.
        return Delay(self.fault.spec.params["extra_ms"] / 1000, "latency_spike")


class _SpikeStream(HoldingEffect):
    """ws and tcp: every message hit during a spike is held ``extra_ms``; since every hit waits the same,
    and a message not hit waits behind held ones, the connection's order is kept."""

    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._spikes = Spikes(scope, fault.spec.params["spike_ms"])

    def inject(self, data):
        extra_ms = self.fault.spec.params["extra_ms"]
        spikes = self._spikes
        self.record(
            "latency_spike",
            data,
            delay_ms=extra_ms,
            spike_start=spikes.started,
            spike_ends_ms=round(spikes.until * 1000),
        )
        self.hold(data, self.clock.seconds() + extra_ms / 1000)
