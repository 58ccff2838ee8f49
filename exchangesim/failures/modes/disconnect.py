"""``disconnect``: end a connection, reset or with a clean close, when the fault hits a message or
``after_ms`` after the connection opened."""

from __future__ import annotations

from ..mode import FailureMode
from ..params import DURATION, INTEGER, TEXT, Parameter
from ..stream import StreamEffect

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
        Parameter("after_ms", DURATION, None, "Also close this long after the connection opened.", "ms"),
        Parameter("close_code", INTEGER, 1001, "ws, how = close: the close code.", low=1000, high=4999),
    )

    def check(self, params):
        if params["close_code"] in (1005, 1006, 1015):
            return [("close_code", "1005, 1006 and 1015 cannot be sent in a close frame")]
        return []

    def stream_effect(self, fault, scope, downstream):
        return _Disconnect(fault, scope, downstream)


class _Disconnect(StreamEffect):
    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._timer = None
        self._due: float | None = None
        after_ms = fault.spec.params["after_ms"]
        if after_ms is not None and self.owns_connection:
            self._due = self.clock.seconds() + after_ms / 1000
            self._timer = self.clock.callLater(after_ms / 1000, self._time_up)

    def send(self, data):
        if self._due is None or self.stopped:  # with after_ms, time alone ends the connection
            super().send(data)
        else:
            self.downstream(data)

    def inject(self, data):
        self._end(data, "disconnect")

    def _time_up(self) -> None:
        self._timer = None
        if self.fault.live():  # else the schedule's start ends it (schedule_changed)
            self._end(b"", "disconnect_after")

    def schedule_changed(self, live):
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

    def stop(self):
        super().stop()
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
