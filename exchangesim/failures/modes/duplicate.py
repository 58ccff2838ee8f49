"""``duplicate``: send a message again (ws), or execute a request twice (rest, as a retrying proxy
would); with a client order id the engine refuses the second order. The repeat meets the checks a real
one would: the native API refuses a signed request's repeat (its signature is used up, REPLAYED_SIGNATURE),
the Binance dialect executes it twice as Binance does; the audit's ``repeat`` says which happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..mode import FailureMode
from ..params import INTEGER, TEXT, Parameter
from ..requests import Repeat, RequestEffect, RestCall
from ..stream import Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Duplicate"]


class Duplicate(FailureMode):
    name = "duplicate"
    description = "Deliver messages twice, or execute requests twice."
    layers = ("rest", "ws")
    stages = ("pre_engine",)
    parameters = (
        Parameter("copies", INTEGER, 1, "ws: extra copies of each hit message.", low=1, high=100),
        Parameter(
            "answer",
            TEXT,
            "first",
            "rest: which execution's response the client gets.",
            choices=("first", "second"),
        ),
    )

    restarted_by = ()

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _RepeatRequest(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _DuplicateMessage(fault, scope, downstream)


class _RepeatRequest(RequestEffect):
    def before(self, call: RestCall) -> Repeat:
        return Repeat(self.fault.spec.params["answer"])


class _DuplicateMessage(StreamEffect):
    def inject(self, data: bytes) -> None:
        copies = self.fault.spec.params["copies"]
        self.record("duplicate", data, copies=copies)
        for _ in range(copies + 1):
            self.downstream(data)
