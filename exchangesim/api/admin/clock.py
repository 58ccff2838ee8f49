"""The market's clock under ``/api/v1/admin/clock``: read it, pause it, resume it, advance it.

With ``[exchange] clock = manual`` the market starts paused, and an external test steps it between its
own actions: ``POST /api/v1/admin/clock {"advance_ms": 500}`` answers once every tick of those 500 ms
has run (in chunks across reactor turns, so the daemon keeps serving meanwhile). Every route checks the
admin token and the peer first; every change is an event of the fault ``admin`` in the audit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...failures.audit import AuditLog
from ...marketdata.clock import MarketClock
from ...marketdata.schedule import MarketSchedule
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..requests import check_fields
from ..responses import respond
from .access import AdminGuard

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
        self, guard: AdminGuard, clock: MarketClock, schedule: MarketSchedule, audit: AuditLog, mode: str
    ) -> None:
        self._guard = guard
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
        self._guard.authorize(request)
        return respond(request, self.state())

    @app.route("/", methods=["POST"], strict_slashes=False)
    def advance(self, request: IRequest) -> Deferred[bytes]:
        """``{"advance_ms": N}``: make N more ms of market time due and answer once its ticks have run."""
        body = self._guard.body(request)
        check_fields(body, ("advance_ms",), required=("advance_ms",))
        advance = body["advance_ms"]
        if not (
            isinstance(advance, int | Decimal)
            and not isinstance(advance, bool)
            and advance == int(advance)
            and 0 <= advance <= MAX_ADVANCE_MS
        ):
            reason = f"advance_ms must be a whole number of milliseconds from 0 to {MAX_ADVANCE_MS}"
            raise ApiError(400, "INVALID_PARAMETER", reason, "advance_ms")
        target = self._clock.advance(int(advance))
        self._audit("clock_advance", advance_ms=int(advance), to_ms=target)
        ran = self._schedule.reached(target)
        return ran.addCallback(lambda _: respond(request, {**self.state(), "advanced_ms": int(advance)}))

    @app.route("/pause", methods=["POST"])
    def pause(self, request: IRequest) -> bytes:
        self._guard.authorize(request)
        self._clock.pause()
        self._schedule.wake()
        self._audit("clock_pause")
        return respond(request, self.state())

    @app.route("/resume", methods=["POST"])
    def resume(self, request: IRequest) -> bytes:
        self._guard.authorize(request)
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
