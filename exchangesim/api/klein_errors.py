"""One set of Klein error handlers answering every refusal with the JSON error shape."""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..engine import EngineError
from .errors import ApiError, from_engine_error
from .responses import error_payload, respond

__all__ = ["answer_errors_as_json"]

log = Logger()


def answer_errors_as_json(app: Klein) -> None:
    """Register the handlers on ``app``: API and engine errors, unknown paths and methods, and bugs (500)."""
    app.handle_errors(ApiError)(_api_error)
    app.handle_errors(EngineError)(_engine_error)
    app.handle_errors(NotFound)(_not_found)
    app.handle_errors(MethodNotAllowed)(_method_not_allowed)
    app.handle_errors(_internal_error)


def _api_error(instance: Any, request: IRequest, failure: Failure) -> bytes:
    error = failure.value
    return respond(request, error.payload(), error.status)


def _engine_error(instance: Any, request: IRequest, failure: Failure) -> bytes:
    error = from_engine_error(failure.value)
    return respond(request, error.payload(), error.status)


def _not_found(instance: Any, request: IRequest, failure: Failure) -> bytes:
    path = request.path.decode("utf-8", "replace")
    return respond(request, error_payload("NOT_FOUND", f"no such endpoint: {path}", "path"), 404)


def _method_not_allowed(instance: Any, request: IRequest, failure: Failure) -> bytes:
    allowed = ", ".join(failure.value.valid_methods or ())
    request.setHeader(b"allow", allowed.encode("ascii"))
    method = request.method.decode("ascii", "replace")
    message = f"{method} is not allowed here; use {allowed}"
    return respond(request, error_payload("METHOD_NOT_ALLOWED", message, "method"), 405)


def _internal_error(instance: Any, request: IRequest, failure: Failure) -> bytes:
    log.failure("request {method} {uri} failed", failure, method=request.method, uri=request.uri)
    return respond(request, error_payload("INTERNAL", "the server failed handling this request"), 500)
