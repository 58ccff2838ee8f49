"""``disconnect``: end a connection, reset or with a clean close, when the fault hits a message, or,
with ``after_ms``, that long after the connection opened (after the fault was installed, for a
connection already open then), whatever messages pass meanwhile in either direction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall

from ..mode import FailureMode
from ..params import DURATION, INTEGER, TEXT, Parameter
from ..stream import Sink, StreamEffect

if TYPE_CHECKING:
    from ..fault import Fault, Scope
    from ..spec import FaultSpec

__all__ = ["Disconnect"]


class Disconnect(FailureMode):
    name = "disconnect"
    description = "Close or reset connections (on a hit message, or after_ms after they open)."
    layers = ("ws", "tcp")
    parameters = (
        Parameter(
            "how",
            TEXT,
            "reset",
            "reset (abort, no close frame) or close (a clean close).",
            choices=("reset", "close"),
        ),
        Parameter(
            "after_ms",
            DURATION,
            None,
            "End connections this long after they opened (or the fault was installed), instead of on a"
            " hit message.",
            "ms",
        ),
        Parameter("close_code", INTEGER, 1001, "ws, how = close: the close code.", low=1000, high=4999),
    )

    restarted_by = ()

    def check(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        if params["close_code"] in (1005, 1006, 1015):
            return [("close_code", "1005, 1006 and 1015 cannot be sent in a close frame")]
        return []

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        return _Disconnect(fault, scope, downstream)


class _Disconnect(StreamEffect):
    """With ``after_ms`` only the outbound effect (the one that owns the connection) acts, on the clock;
    messages pass both ways meanwhile. Without it each direction ends the connection on a hit."""

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._timer: IDelayedCall | None = None
        self._due: float | None = None
        self._since = self.clock.seconds()  # the connection opened, or the fault reached it
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = self._due = None
        after_ms = self.fault.spec.params["after_ms"]
        if after_ms is not None and self.owns_connection and not self.stopped:
            self._due = self._since + after_ms / 1000
            self._timer = self.clock.callLater(max(0.0, self._due - self.clock.seconds()), self._time_up)

    def send(self, data: bytes) -> None:
        if self.fault.spec.params["after_ms"] is None or self.stopped:
            super().send(data)
        else:  # with after_ms, time alone ends the connection
            self.downstream(data)

    def retune(self, previous: FaultSpec) -> None:
        if previous.params["after_ms"] != self.fault.spec.params["after_ms"]:
            self._arm()  # still counted from when the connection opened

    def inject(self, data: bytes) -> None:
        self._end(data, "disconnect")

    def _time_up(self) -> None:
        self._timer = None
        if self.fault.live():  # else the schedule's start ends it (schedule_changed)
            self._end(b"", "disconnect_after")

    def schedule_changed(self, live: bool) -> None:
        if live and self._timer is None and self._due is not None and self.clock.seconds() >= self._due:
            self._end(b"", "disconnect_after")

    def _end(self, data: bytes, action: str) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.record(action, data, how=self.fault.spec.params["how"])
        connection = self.scope.connection
        if self.fault.spec.params["how"] == "reset":
            connection.abort()
        else:
            connection.close(self.fault.spec.params["close_code"], "closed by fault injection")

    def stop(self) -> None:
        super().stop()
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
