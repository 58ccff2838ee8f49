"""``error``: answer a request with a server error and Retry-After; pre_engine the engine never saw it,
post_engine it acted and the client only sees the error."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..answers import SERVER_ERRORS, FaultError
from ..mode import FailureMode
from ..params import DURATION, INTEGER, TEXT, Parameter
from ..requests import Answer, RequestEffect, Response, RestCall

if TYPE_CHECKING:
    from ..fault import Fault, Scope

__all__ = ["Error", "server_error"]


def server_error(status: int, retry_after_ms: float, message: str, action: str, at_ms: int) -> Answer:
    """A server error answer (its code by ``status``, in the dialect's words), with Retry-After (whole
    seconds, rounded up) when ``retry_after_ms`` is set."""
    retry_after = math.ceil(retry_after_ms / 1000) if retry_after_ms else None
    error = FaultError(status, SERVER_ERRORS[status], message, retry_after_s=retry_after, at_ms=at_ms)
    return Answer.refusing(error, action)


class Error(FailureMode):
    name = "error"
    description = "Answer requests with 500, 502, 503 or 504 (and Retry-After)."
    layers = ("rest",)
    stages = ("pre_engine", "post_engine")
    parameters = (
        Parameter("status", INTEGER, 503, "The status to answer with.", choices=(500, 502, 503, 504)),
        Parameter(
            "retry_after_ms", DURATION, 1000.0, "Retry-After to send (rounded up to seconds; 0: none).", "ms"
        ),
        Parameter("message", TEXT, "the exchange is temporarily unavailable", "The error message."),
    )

    restarted_by = ()

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _ErrorAnswer(fault, scope)


class _ErrorAnswer(RequestEffect):
    def before(self, call: RestCall) -> Answer:
        return self._answer()

    def after(self, call: RestCall, response: Response) -> Answer:
        return self._answer()

    def _answer(self) -> Answer:
        params = self.fault.spec.params
        at_ms = int(self.clock.seconds() * 1000)
        return server_error(params["status"], params["retry_after_ms"], params["message"], "error", at_ms)
