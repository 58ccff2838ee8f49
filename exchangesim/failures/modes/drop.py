"""``drop``: lose messages, or lose requests (pre_engine: no order) or their responses (post_engine:
the engine acted, the client never hears), Bernoulli or in Gilbert-Elliott bursts."""

from __future__ import annotations

from ..gilbert_elliott import gilbert_elliott
from ..mode import FailureMode
from ..params import BOOLEAN, DURATION, NUMBER, TEXT, Parameter
from ..requests import Lose, RequestEffect
from ..stream import StreamEffect

__all__ = ["Drop"]


class Drop(FailureMode):
    name = "drop"
    description = "Lose messages, requests or responses (Bernoulli or Gilbert-Elliott bursts)."
    layers = ("rest", "ws")
    stages = ("pre_engine", "post_engine")
    parameters = (
        Parameter(
            "model",
            TEXT,
            "bernoulli",
            "Loss model: bernoulli (probability) or gilbert_elliott.",
            choices=("bernoulli", "gilbert_elliott"),
        ),
        Parameter(
            "enter_bad",
            NUMBER,
            0.01,
            "gilbert_elliott: chance per message of entering the bad state.",
            low=0,
            high=1,
        ),
        Parameter(
            "leave_bad",
            NUMBER,
            0.3,
            "gilbert_elliott: chance per message of leaving the bad state.",
            low=0,
            high=1,
        ),
        Parameter("loss_good", NUMBER, 0.0, "gilbert_elliott: loss in the good state.", low=0, high=1),
        Parameter("loss_bad", NUMBER, 1.0, "gilbert_elliott: loss in the bad state.", low=0, high=1),
        Parameter(
            "hold_ms",
            DURATION,
            0.0,
            "rest: how long to hold a dropped request before closing its connection without an answer.",
            "ms",
        ),
        Parameter("hang", BOOLEAN, False, "rest: never answer nor close; the client's timeout ends it."),
    )

    restarted_by = ()

    def check(self, params):
        if params["model"] == "gilbert_elliott" and params["leave_bad"] == 0 and params["enter_bad"] > 0:
            return [("leave_bad", "0 keeps the link bad for ever once it turns bad")]
        return []

    def decider(self, params, probability, rng):
        if params["model"] == "bernoulli":
            return super().decider(params, probability, rng)
        chain = gilbert_elliott(
            rng, params["enter_bad"], params["leave_bad"], params["loss_good"], params["loss_bad"]
        )
        thin = super().decider(params, probability, rng)
        return lambda: chain() and thin()

    def request_effect(self, fault, scope):
        return _DropRequest(fault, scope)

    def stream_effect(self, fault, scope, downstream):
        return _DropMessage(fault, scope, downstream)


class _DropRequest(RequestEffect):
    def before(self, call):
        return self._lose()

    def after(self, call, response):
        return self._lose()

    def _lose(self):
        params = self.fault.spec.params
        return Lose(None if params["hang"] else params["hold_ms"] / 1000)


class _DropMessage(StreamEffect):
    def inject(self, data):
        self.record("drop", data)
