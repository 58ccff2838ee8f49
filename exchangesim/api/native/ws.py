"""The native WebSocket at ``/ws``: JSON operations in, JSON messages out."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from ..responses import error_payload

__all__ = ["NativeWebSocketFactory", "NativeWebSocketProtocol"]


class NativeWebSocketProtocol(WebSocketServerProtocol):
    """One client connection: answers each operation, and never lets a bad one end the daemon."""

    log = Logger()
    factory: NativeWebSocketFactory

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        try:
            self._handle(payload, isBinary)
        except Exception:
            self.log.failure("failed handling a WebSocket message from {peer}", peer=self.peer)
            self.send_json(_error("INTERNAL", "the server failed handling this message"))

    def _handle(self, payload: bytes, is_binary: bool) -> None:
        if is_binary:
            self.send_json(_error("BINARY_FRAME", "send operations as JSON text frames"))
            return
        try:
            message = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.send_json(_error("INVALID_JSON", "the message is not a JSON object"))
            return
        if not isinstance(message, dict):
            self.send_json(_error("INVALID_JSON", "the message is not a JSON object"))
            return
        op = message.get("op")
        if op == "ping":
            self.send_json({"type": "PONG", "ts": int(self.factory.clock.seconds() * 1000)})
        else:
            self.send_json(_error("UNKNOWN_OP", f"unknown op {op!r}; known: ping", "op"))

    def send_json(self, message: dict[str, Any]) -> None:
        """Send one JSON message to this client."""
        self.sendMessage(json.dumps(message, separators=(",", ":")).encode("utf-8"))


class NativeWebSocketFactory(WebSocketServerFactory):
    """Builds a protocol per native WebSocket client; carries the clock they share."""

    protocol = NativeWebSocketProtocol

    def __init__(self, reactor: IReactorTime) -> None:
        super().__init__(reactor=reactor)
        self.clock = reactor


def _error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"type": "ERROR", **error_payload(code, message, field)}
