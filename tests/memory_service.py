"""The project's in-memory harness: ``exchangesim.testing.MemoryVenue`` (what users get), plus raw HTTP
for the tests that write requests byte by byte."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Protocol

from exchangesim.config import Config
from exchangesim.failures.testing import raw_request
from exchangesim.testing import PEER, START, MemoryVenue, MemoryWebSocket

__all__ = [
    "PEER",
    "START",
    "HttpClient",
    "MemoryService",
    "memory_config",
    "request_bytes",
    "status_and_json",
]


def memory_config() -> Config:
    """Defaults, minus the agents and the journal: a quiet, diskless service."""
    config = Config()
    config.server.endpoint = "tcp:0:interface=127.0.0.1"
    config.liquidity.enabled = False
    config.persistence.enabled = False
    return config


class HttpClient(Protocol):
    """Raw HTTP/1.1: writes what it is told to, keeps every byte it gets."""

    def __init__(self) -> None:
        self.received = b""
        self.lost = False

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: object = None) -> None:
        self.lost = True


class MemoryService(MemoryVenue):
    """The venue as users get it, with raw HTTP requests and the harness's older names."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, start=START, capture_log=False)

    def send_json(self, websocket: MemoryWebSocket, *messages: Any) -> list[Any]:
        """Send messages on ``websocket``; returns (and forgets) what arrived meanwhile."""
        websocket.send(*messages)
        return websocket.take()

    def http(self, request: bytes, client: HttpClient | None = None, peer: IPv4Address = PEER) -> HttpClient:
        """Send raw ``request`` bytes on a new connection from ``peer`` (or on ``client``'s) and let it be
        served."""
        if client is None:
            client = HttpClient()
            self.connect(client, peer)
        client.transport.write(request)
        self.settle()
        return client

    def settle(self, seconds: float = 0.0) -> None:
        """Move bytes both ways and let the reactor turn (advancing ``seconds`` first)."""
        if seconds:
            self.reactor.advance(seconds)
        super().settle()


def status_and_json(raw: bytes) -> tuple[int, dict[str, Any], bytes]:
    """The status, JSON body and head of one raw HTTP response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body), head


def request_bytes(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    """One raw HTTP/1.1 request; ``headers`` are ``Name: value`` lines."""
    return raw_request(method, path, dict(header.split(": ", 1) for header in headers), body)
