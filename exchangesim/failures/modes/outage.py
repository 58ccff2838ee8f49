"""``outage``: the venue is down while the fault is live: REST answers 503, WebSocket connections are
closed with 1001 or 1013 (new ones at once; a request one sends meanwhile is answered 503 where its
protocol answers requests), TCP connections are refused (reset on accept)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..answers import FaultError
from ..mode import FailureMode
from ..params import DURATION, INTEGER, Parameter
from ..requests import Answer, RequestEffect, RestCall
from ..stream import Sink, StreamEffect
from .error import server_error

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Outage"]

DOWN = "the exchange is down"


class Outage(FailureMode):
    name = "outage"
    description = "Take the venue down: REST 503, WebSockets closed, TCP connections refused."
    layers = ("rest", "ws", "tcp")
    stages = ("pre_engine",)
    silences_connections = True
    parameters = (
        Parameter(
            "close_code",
            INTEGER,
            1013,
            "ws: close code, 1001 (going away) or 1013 (try again later).",
            choices=(1001, 1013),
        ),
        Parameter("retry_after_ms", DURATION, 5000.0, "rest: Retry-After of the 503s.", "ms"),
    )

    restarted_by = ()

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _OutageAnswer(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _OutageConnection(fault, scope, downstream)


class _OutageAnswer(RequestEffect):
    def before(self, call: RestCall) -> Answer:
        retry_after = self.fault.spec.params["retry_after_ms"]
        return server_error(503, retry_after, DOWN, "outage", int(self.clock.seconds() * 1000))


class _OutageConnection(StreamEffect):
    """Takes each connection down once (``probability`` decides per connection) when the outage
    starts, or when it opens during one; a message the fault hits meanwhile is lost and ends it too."""

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._closing = False
        if self.owns_connection and fault.live():
            self.clock.callLater(0, self.schedule_changed, True)  # not while the pipeline is being built

    def inject(self, data: bytes) -> None:
        self.record("outage_drop", data, **self._answer(data))
        if self.owns_connection:
            self._take_down()

    def _answer(self, data: bytes) -> dict[str, int]:
        """Answer an inbound request 503 in the connection's dialect (before it closes), where its
        protocol answers requests; the audit detail saying so."""
        if self.scope.direction != "in":
            return {}
        retry_after_ms = self.fault.spec.params["retry_after_ms"]
        error = FaultError(
            503,
            "SERVICE_UNAVAILABLE",
            DOWN,
            retry_after_s=math.ceil(retry_after_ms / 1000) if retry_after_ms else None,
            at_ms=int(self.clock.seconds() * 1000),
        )
        return {"answered": 503} if self.scope.connection.refuse(data, error) else {}

    def schedule_changed(self, live: bool) -> None:
        if live and self.owns_connection and not self.stopped and self.fault.fires(self.scope, b""):
            self._take_down()

    def _take_down(self) -> None:
        if self._closing or self.stopped:
            return
        self._closing = True
        connection = self.scope.connection
        self.record("outage", b"")
        if connection.layer == "tcp":
            connection.abort()
        else:
            connection.close(self.fault.spec.params["close_code"], DOWN)
