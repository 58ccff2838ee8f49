"""``error``: answer a request with a server error and Retry-After; pre_engine the engine never saw it,
post_engine it acted and the client only sees the error."""

from __future__ import annotations

import math

from ...api.responses import encode, error_payload
from ..mode import FailureMode
from ..params import DURATION, INTEGER, TEXT, Parameter
from ..requests import Answer, RequestEffect

__all__ = ["Error", "server_error"]


def server_error(status: int, retry_after_ms: float, code: str, message: str, action: str) -> Answer:
    """A JSON error answer, with Retry-After (whole seconds, rounded up) when ``retry_after_ms`` is set."""
    headers = ((b"retry-after", b"%d" % math.ceil(retry_after_ms / 1000)),) if retry_after_ms else ()
    return Answer(status, encode(error_payload(code, message)), headers, action)


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

    def request_effect(self, fault, scope):
        return _ErrorAnswer(fault, scope)


class _ErrorAnswer(RequestEffect):
    def before(self, call):
        return self._answer()

    def after(self, call, response):
        return self._answer()

    def _answer(self):
        params = self.fault.spec.params
        code = "INTERNAL" if params["status"] == 500 else "SERVICE_UNAVAILABLE"
        return server_error(params["status"], params["retry_after_ms"], code, params["message"], "error")
