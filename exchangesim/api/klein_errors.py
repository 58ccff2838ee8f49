"""One set of Klein error handlers per dialect: every refusal answered in the dialect's JSON error shape."""

from __future__ import annotations

from typing import Any, Protocol

import attrs
from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..engine import EngineError
from ..persistence.commands import JournalFailedError
from .errors import ApiError, from_engine_error, journal_unavailable
from .responses import error_payload, respond

__all__ = ["NATIVE_ERRORS", "ErrorShape", "answer_errors_as_json"]

log = Logger()

Answer = tuple[int, Any]
"""(HTTP status, JSON payload)."""


class ErrorShape(Protocol):
    """How a dialect answers what its routes refuse."""

    refused: tuple[type[Exception], ...]

    def refusal(self, error: Exception) -> Answer:
        """A refusal (one of ``refused``, an ``EngineError``, or a ``JournalFailedError``: 503)."""

    def unknown_path(self, path: str) -> Answer: ...

    def wrong_method(self, method: str, allowed: str) -> Answer: ...

    def internal(self) -> Answer: ...


@attrs.frozen
class _NativeErrors:
    """The native API's ``{"error": {"code", "message", "field"}}``."""

    refused: tuple[type[Exception], ...] = (ApiError,)

    def refusal(self, error: Exception) -> Answer:
        if isinstance(error, JournalFailedError):
            error = journal_unavailable()
        api_error = from_engine_error(error) if isinstance(error, EngineError) else error
        return api_error.status, api_error.payload()  # type: ignore[union-attr]

    def unknown_path(self, path: str) -> Answer:
        return 404, error_payload("NOT_FOUND", f"no such endpoint: {path}", "path")

    def wrong_method(self, method: str, allowed: str) -> Answer:
        return 405, error_payload(
            "METHOD_NOT_ALLOWED", f"{method} is not allowed here; use {allowed}", "method"
        )

    def internal(self) -> Answer:
        return 500, error_payload("INTERNAL", "the server failed handling this request")


NATIVE_ERRORS: ErrorShape = _NativeErrors()


def answer_errors_as_json(app: Klein, shape: ErrorShape = NATIVE_ERRORS) -> None:
    """Register the handlers on ``app``: refusals, engine errors, a journal that cannot be written (503,
    no traceback: the critical log line says why), unknown paths or methods, bugs (500)."""

    def refusal(instance: Any, request: IRequest, failure: Failure) -> bytes:
        status, payload = shape.refusal(failure.value)
        return respond(request, payload, status)

    def not_found(instance: Any, request: IRequest, failure: Failure) -> bytes:
        status, payload = shape.unknown_path(request.path.decode("utf-8", "replace"))
        return respond(request, payload, status)

    def method_not_allowed(instance: Any, request: IRequest, failure: Failure) -> bytes:
        allowed = ", ".join(failure.value.valid_methods or ())
        request.setHeader(b"allow", allowed.encode("ascii"))
        status, payload = shape.wrong_method(request.method.decode("ascii", "replace"), allowed)
        return respond(request, payload, status)

    def internal_error(instance: Any, request: IRequest, failure: Failure) -> bytes:
        log.failure("request {method} {uri} failed", failure, method=request.method, uri=request.uri)
        status, payload = shape.internal()
        return respond(request, payload, status)

    app.handle_errors(*shape.refused, EngineError, JournalFailedError)(refusal)
    app.handle_errors(NotFound)(not_found)
    app.handle_errors(MethodNotAllowed)(method_not_allowed)
    app.handle_errors(internal_error)
