"""What a fault answers with, in no dialect's words (``FaultError``), and how a dialect words it
(``FaultErrorShape``).

Each dialect hands the fault wrappers its shape where the daemon is wired, so one fault answers
``{"error": {"code": "THROTTLED", ...}}`` on the native API and ``{"code": -1003, "msg": ...}`` on
``/api/v3``, and this package knows neither dialect.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from ..wire import encode

__all__ = [
    "PLAIN_ERRORS",
    "SERVER_ERRORS",
    "THROTTLED",
    "FaultError",
    "FaultErrorShape",
    "FaultRefusedError",
]

THROTTLED = "THROTTLED"
SERVER_ERRORS = {500: "INTERNAL", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}
"""The code of each server error a fault answers with: a 502 or a 504 says what it is."""


@attrs.frozen
class FaultError:
    """A refusal a fault (or the fault wrapper) answers with: an HTTP ``status``, a machine ``code`` and
    a ``message``.

    The codes: THROTTLED, INTERNAL, BAD_GATEWAY, SERVICE_UNAVAILABLE, GATEWAY_TIMEOUT (faults);
    TOO_MANY_FAULTS, INVALID_FAULT_HEADER (``X-Sim-Fault-*`` headers); a plugin may add its own, which a
    dialect words by ``status``. ``field`` names what the client got wrong; ``retry_after_s`` is when
    to try again (Retry-After), counted from ``at_ms`` (epoch ms), when the fault answered.
    """

    status: int
    code: str
    message: str
    field: str | None = None
    retry_after_s: int | None = None
    at_ms: int | None = attrs.field(default=None, eq=False)  # when, not what: equal refusals stay equal


class FaultRefusedError(Exception):
    """A request refused before any fault acted on it (a bad or one-too-many fault header)."""

    def __init__(self, error: FaultError) -> None:
        super().__init__(error.status, error.code, error.message)
        self.error = error


class FaultErrorShape(Protocol):
    """How one dialect words a ``FaultError``."""

    def body(self, error: FaultError) -> bytes:
        """The JSON body of a REST answer with ``error.status``."""

    def reply(self, error: FaultError, request: bytes) -> bytes | None:
        """The message answering ``request``, an inbound WebSocket message a fault refused (a throttle
        over its rate, an outage); None when the protocol answers no message."""


@attrs.frozen
class _PlainErrors:
    """The shape when no dialect hands one: ``{"error": {"code", "message", "field"}}``, no replies."""

    def body(self, error: FaultError) -> bytes:
        fields: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.field is not None:
            fields["field"] = error.field
        return encode({"error": fields})

    def reply(self, error: FaultError, request: bytes) -> bytes | None:
        return None


PLAIN_ERRORS: FaultErrorShape = _PlainErrors()
