"""The market's clock under ``/api/v1/admin/clock``: read it, pause it, resume it, advance it.

With ``[exchange] clock = manual`` the market starts paused, and an external test steps it between its
own actions: ``POST /api/v1/admin/clock {"advance_ms": 500}`` answers once every tick of those 500 ms
has run (in chunks across reactor turns, so the daemon keeps serving meanwhile). ``AdminAPI`` checks
the admin token and the peer before any route here; every change is an event of the fault ``admin`` in
the audit.
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...failures.audit import AuditLog
from ...marketdata.clock import MarketClock
from ...marketdata.schedule import MarketSchedule
from ..klein_errors import answer_errors_as_json
from ..requests import check_fields, json_body, json_int
from ..responses import respond

__all__ = ["MAX_ADVANCE_MS", "ClockAdmin"]

MAX_ADVANCE_MS = 86_400_000
"""One request advances the market by a day at most."""


class ClockAdmin:
    """The routes; the market's ``clock`` and its ``schedule`` are what they act on, and ``audit``
    records each change; ``mode`` is [exchange] clock, as the state reports it."""

    app = Klein()
    answer_errors_as_json(app)
    log = Logger()

    def __init__(
        self, max_body_bytes: int, clock: MarketClock, schedule: MarketSchedule, audit: AuditLog, mode: str
    ) -> None:
        self._max_body_bytes = max_body_bytes
        self._clock = clock
        self._schedule = schedule
        self._audit_log = audit
        self._mode = mode

    def resource(self) -> IResource:
        return self.app.resource()

    def state(self) -> dict[str, Any]:
        clock = self._clock
        return {
            "mode": self._mode,
            "paused": clock.paused,
            "market_time": clock.now_ms(),
            "speed": clock.speed,
        }

    @app.route("/", methods=["GET"], strict_slashes=False)
    def read(self, request: IRequest) -> bytes:
        return respond(request, self.state())

    @app.route("/", methods=["POST"], strict_slashes=False)
    def advance(self, request: IRequest) -> Deferred[bytes]:
        """``{"advance_ms": N}``: make N more ms of market time due and answer once its ticks have run."""
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("advance_ms",), required=("advance_ms",))
        advance = json_int(body["advance_ms"], "advance_ms", low=0, high=MAX_ADVANCE_MS, unit="milliseconds")
        target = self._clock.advance(advance)
        self._audit("clock_advance", advance_ms=advance, to_ms=target)
        ran = self._schedule.reached(target)
        return ran.addCallback(lambda _: respond(request, {**self.state(), "advanced_ms": advance}))

    @app.route("/pause", methods=["POST"])
    def pause(self, request: IRequest) -> bytes:
        self._clock.pause()
        self._schedule.wake()
        self._audit("clock_pause")
        return respond(request, self.state())

    @app.route("/resume", methods=["POST"])
    def resume(self, request: IRequest) -> bytes:
        self._clock.resume()
        self._schedule.wake()
        self._audit("clock_resume")
        return respond(request, self.state())

    def _audit(self, action: str, **detail: Any) -> None:
        now = self._clock.now_ms()
        self.log.info(
            "market clock: {action} {detail} (market time {now})", action=action, detail=detail, now=now
        )
        self._audit_log.control(now, action, **detail)
