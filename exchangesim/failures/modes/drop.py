"""``drop``: lose messages, or lose requests (pre_engine: no order) or their responses (post_engine:
the engine acted, the client never hears), Bernoulli or in Gilbert-Elliott bursts."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..gilbert_elliott import gilbert_elliott
from ..mode import FailureMode
from ..params import BOOLEAN, DURATION, NUMBER, TEXT, Parameter
from ..requests import Lose, RequestEffect, Response, RestCall
from ..stream import Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope

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

    def check(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        if params["model"] == "gilbert_elliott" and params["leave_bad"] == 0 and params["enter_bad"] > 0:
            return [("leave_bad", "0 keeps the link bad for ever once it turns bad")]
        return []

    def decider(
        self, params: Mapping[str, Any], probability: float, rng: random.Random
    ) -> Callable[[], bool]:
        if params["model"] == "bernoulli":
            return super().decider(params, probability, rng)
        chain = gilbert_elliott(
            rng, params["enter_bad"], params["leave_bad"], params["loss_good"], params["loss_bad"]
        )
        thin = super().decider(params, probability, rng)
        return lambda: chain() and thin()

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _DropRequest(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _DropMessage(fault, scope, downstream)


class _DropRequest(RequestEffect):
    def before(self, call: RestCall) -> Lose:
        return self._lose()

    def after(self, call: RestCall, response: Response) -> Lose:
        return self._lose()

    def _lose(self) -> Lose:
        params = self.fault.spec.params
        return Lose(None if params["hang"] else params["hold_ms"] / 1000)


class _DropMessage(StreamEffect):
    def inject(self, data: bytes) -> None:
        self.record("drop", data)
