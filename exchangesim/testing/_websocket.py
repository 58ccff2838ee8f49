"""A WebSocket client of the in-memory venue: Autobahn's client protocol over an in-memory connection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol

if TYPE_CHECKING:
    from ._venue import MemoryVenue

__all__ = ["MemoryWebSocket"]


class _Protocol(WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.factory.socket.opened = True

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        try:
            message: Any = json.loads(payload)
        except ValueError:  # a corrupt fault may send what is not JSON (or not UTF-8): keep the bytes
            message = payload
        self.factory.socket.received.append(message)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.socket.closed = (code, reason)


class MemoryWebSocket:
    """One WebSocket connection to the venue: what arrived (``received``, JSON decoded; bytes when a
    frame is not JSON), whether it opened and how it was closed (``closed``: ``(code, reason)``)."""

    def __init__(self, venue: MemoryVenue, path: str, headers: dict[str, str] | None = None) -> None:
        self._venue = venue
        self.path = path
        self.opened = False
        self.received: list[Any] = []
        self.closed: tuple[int | None, str | None] | None = None
        self.factory = WebSocketClientFactory(
            f"ws://127.0.0.1:{venue.port}{path}", headers=headers, reactor=venue.reactor
        )
        self.factory.protocol = _Protocol
        self.factory.socket = self
        self.client: WebSocketClientProtocol = self.factory.buildProtocol(venue.peer)
        venue.connect(self.client)
        venue.settle()

    def send(self, *messages: Any) -> None:
        """Send each message (JSON-encoded unless bytes) and let the venue answer."""
        for message in messages:
            self.client.sendMessage(message if isinstance(message, bytes) else json.dumps(message).encode())
        self._venue.settle()

    def take(self) -> list[Any]:
        """What arrived since the last ``take``, oldest first (and forget it)."""
        received, self.received = self.received, []
        return received

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.client.sendClose(code, reason)
        self._venue.settle()

    def __repr__(self) -> str:
        state = "open" if self.opened and self.closed is None else f"closed {self.closed}"
        return f"<MemoryWebSocket {self.path} {state}, {len(self.received)} received>"
