"""One set of Klein error handlers per dialect: every refusal answered in the dialect's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable
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

__all__ = [
    "NATIVE_ERRORS",
    "ErrorHandler",
    "ErrorShape",
    "answer_errors_as_json",
    "answer_failure",
    "error_handlers",
]

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


ErrorHandler = Callable[[IRequest, Failure], bytes]
"""Answers a failure on a request: sets its status and headers, returns the JSON body."""


def error_handlers(
    shape: ErrorShape = NATIVE_ERRORS,
) -> list[tuple[tuple[type[Exception], ...], ErrorHandler]]:
    """The handlers answering in ``shape``, in the order they are tried, each with the exceptions it takes:
    refusals, engine errors, a journal that cannot be written (503, no traceback: the critical log line
    says why), unknown paths or methods, bugs (500)."""

    def refusal(request: IRequest, failure: Failure) -> bytes:
        status, payload = shape.refusal(failure.value)
        return respond(request, payload, status)

    def not_found(request: IRequest, failure: Failure) -> bytes:
        status, payload = shape.unknown_path(request.path.decode("utf-8", "replace"))
        return respond(request, payload, status)

    def method_not_allowed(request: IRequest, failure: Failure) -> bytes:
        allowed = ", ".join(failure.value.valid_methods or ())
        request.setHeader(b"allow", allowed.encode("ascii"))
        status, payload = shape.wrong_method(request.method.decode("ascii", "replace"), allowed)
        return respond(request, payload, status)

    def internal_error(request: IRequest, failure: Failure) -> bytes:
        log.failure("request {method} {uri} failed", failure, method=request.method, uri=request.uri)
        status, payload = shape.internal()
        return respond(request, payload, status)

    return [
        ((*shape.refused, EngineError, JournalFailedError), refusal),
        ((NotFound,), not_found),
        ((MethodNotAllowed,), method_not_allowed),
        ((Exception,), internal_error),
    ]


def answer_errors_as_json(app: Klein, shape: ErrorShape = NATIVE_ERRORS) -> None:
    """Register ``error_handlers(shape)`` on ``app``, tried in their order."""
    for exceptions, handler in error_handlers(shape):
        app.handle_errors(*exceptions)(_unbound(handler))


def answer_failure(shape: ErrorShape = NATIVE_ERRORS) -> ErrorHandler:
    """``error_handlers(shape)`` as one handler, the first that takes the failure answering: what
    ``answer_errors_as_json`` has Klein do, for routes answered outside Klein (see ``exact_routes``)."""
    handlers = error_handlers(shape)

    def answer(request: IRequest, failure: Failure) -> bytes:
        handler = next(handler for exceptions, handler in handlers if failure.check(*exceptions))
        return handler(request, failure)

    return answer


def _unbound(handler: ErrorHandler) -> Callable[[Any, IRequest, Failure], bytes]:
    """``handler`` as a Klein app's error handler, which gets the app's instance first."""
    return lambda instance, request, failure: handler(request, failure)
