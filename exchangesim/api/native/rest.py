"""The native REST API under ``/api/v1``: a Klein app over the running exchange."""

from __future__ import annotations

from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ... import __version__
from ...config import Config
from ..responses import error_payload, json_body

__all__ = ["NativeAPI"]


class NativeAPI:
    """Routes of ``/api/v1``; one instance per running exchange, testable with ``StubTreq``."""

    app = Klein()

    def __init__(self, config: Config, clock: IReactorTime) -> None:
        self._config = config
        self._clock = clock
        self._started = clock.seconds()

    def resource(self) -> IResource:
        """The twisted.web resource to mount at ``/api/v1``."""
        return self.app.resource()

    @app.route("/health", methods=["GET"])
    def health(self, request: IRequest) -> bytes:
        """Liveness and identity: status, version, uptime and the seed this run replays from."""
        uptime_ms = int((self._clock.seconds() - self._started) * 1000)
        payload = {
            "status": "ok",
            "version": __version__,
            "uptime_ms": uptime_ms,
            "seed": self._config.exchange.seed,
        }
        return json_body(request, payload)

    @app.handle_errors(NotFound)
    def not_found(self, request: IRequest, failure: Failure) -> bytes:
        path = request.path.decode("utf-8", "replace")
        return json_body(request, error_payload("NOT_FOUND", f"no such endpoint: {path}", "path"), 404)

    @app.handle_errors(MethodNotAllowed)
    def method_not_allowed(self, request: IRequest, failure: Failure) -> bytes:
        allowed = ", ".join(failure.value.valid_methods or ())
        request.setHeader(b"allow", allowed.encode("ascii"))
        method = request.method.decode("ascii", "replace")
        message = f"{method} is not allowed here; use {allowed}"
        return json_body(request, error_payload("METHOD_NOT_ALLOWED", message, "method"), 405)
