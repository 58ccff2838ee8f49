"""JSON bodies and the one error shape every native route and stream answers with."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest

from ..wire import encode

__all__ = ["encode", "error_payload", "respond"]


def respond(request: IRequest, payload: Any, status: int = 200) -> bytes:
    """Set the status and content type of ``request`` and return ``payload`` encoded as JSON."""
    body = encode(payload)
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"content-length", b"%d" % len(body))  # one write, not chunked encoding
    return body


def error_payload(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The error object: a stable machine ``code``, a human ``message`` and the ``field`` at fault."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}
