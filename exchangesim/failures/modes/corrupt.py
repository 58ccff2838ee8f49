"""``corrupt``: deliver a message, or a response the engine produced, with its content broken but its
framing whole (see ``exchangesim.failures.corruption``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..corruption import KINDS, corrupt
from ..mode import FailureMode
from ..params import TEXT, Parameter
from ..requests import RequestEffect, Response, RestCall, Rewrite
from ..stream import Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Corrupt"]


class Corrupt(FailureMode):
    name = "corrupt"
    description = "Break the content of messages or responses, never their framing."
    layers = ("rest", "ws")
    stages = ("post_engine",)
    parameters = (
        Parameter(
            "kind",
            TEXT,
            "any",
            "truncate, flip_digit (of a price or quantity), drop_key, invalid_utf8 (strict WebSocket"
            " clients close with 1007), or any (one of the first three at random).",
            choices=("any", *KINDS),
        ),
    )

    restarted_by = ()

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _CorruptResponse(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _CorruptMessage(fault, scope, downstream)


class _CorruptResponse(RequestEffect):
    def after(self, call: RestCall, response: Response) -> Rewrite:
        body, kind = corrupt(response.body, self.fault.spec.params["kind"], self.rng)
        return Rewrite(body, detail=(("corruption", kind),))


class _CorruptMessage(StreamEffect):
    def inject(self, data: bytes) -> None:
        corrupted, kind = corrupt(data, self.fault.spec.params["kind"], self.scope.rng)
        self.record("corrupt", data, corruption=kind)
        self.downstream(corrupted)
