"""The whole ``ExchangeService`` on a memory reactor: every connection goes through the real port
factory (connection limit, tcp faults, Site, WebSocket upgrade) over in-memory transports."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.test import iosim

from exchangesim.config import Config, seal
from exchangesim.service import ExchangeService

START = 1_700_000_000
PEER = IPv4Address("TCP", "127.0.0.1", 40000)


def memory_config() -> Config:
    """Defaults, minus the agents and the journal: a quiet, diskless service."""
    config = Config()
    config.server.endpoint = "tcp:0:interface=127.0.0.1"
    config.liquidity.enabled = False
    config.persistence.enabled = False
    return config


class WebSocketClient(WebSocketClientProtocol):
    """Keeps what it receives (``received``, JSON decoded) and how it was closed (``closed``)."""

    def onOpen(self):
        self.factory.opened = True

    def onMessage(self, payload, isBinary):
        self.factory.received.append(json.loads(payload))

    def onClose(self, wasClean, code, reason):
        self.factory.closed = (code, reason)


class HttpClient(Protocol):
    """Raw HTTP/1.1: writes what it is told to, keeps every byte it gets."""

    def __init__(self) -> None:
        self.received = b""
        self.lost = False

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: object = None) -> None:
        self.lost = True


class MemoryService:
    """A started service (``service``), its reactor (``reactor``) and clients connected in memory."""

    def __init__(self, config: Config) -> None:
        self.reactor = MemoryReactorClock()
        self.reactor.advance(START)
        self.service = ExchangeService(seal(config), self.reactor)
        self.service.privilegedStartService()
        self.service.startService()
        self.factory = self.reactor.tcpServers[0][1]
        self.factory.doStart()  # as a listening port does: the site opens its access log
        self.pumps: list[iosim.IOPump] = []

    def connect(self, client: Protocol, peer: IPv4Address = PEER) -> iosim.IOPump:
        server = self.factory.buildProtocol(peer)
        server_side = iosim.FakeTransport(server, isServer=True, peerAddress=peer)
        pump = iosim.connect(server, server_side, client, iosim.makeFakeClient(client))
        self.pumps.append(pump)
        return pump

    def settle(self, seconds: float = 0.0) -> None:
        """Move bytes both ways and let the reactor turn (advancing ``seconds`` first)."""
        self.reactor.advance(seconds)
        for _ in range(3):
            for pump in self.pumps:
                pump.flush()
            self.reactor.advance(0)

    def websocket(self, path: str = "/ws") -> WebSocketClientFactory:
        """An open WebSocket client of ``path``; its factory holds ``received`` and ``closed``."""
        factory = WebSocketClientFactory(f"ws://127.0.0.1{path}", reactor=self.reactor)
        factory.protocol = WebSocketClient
        factory.opened, factory.received, factory.closed = False, [], None
        factory.client = factory.buildProtocol(PEER)
        self.connect(factory.client)
        self.settle()
        return factory

    def send_json(self, websocket: WebSocketClientFactory, *messages: Any) -> list[Any]:
        """Send messages on ``websocket``; returns (and forgets) what arrived meanwhile."""
        for message in messages:
            websocket.client.sendMessage(
                message if isinstance(message, bytes) else json.dumps(message).encode()
            )
        self.settle()
        received, websocket.received = websocket.received, []
        return received

    def http(self, request: bytes, client: HttpClient | None = None, peer: IPv4Address = PEER) -> HttpClient:
        """Send raw ``request`` bytes on a new connection from ``peer`` (or on ``client``'s) and let it be
        served."""
        if client is None:
            client = HttpClient()
            self.connect(client, peer)
        client.transport.write(request)
        self.settle()
        return client


def status_and_json(raw: bytes) -> tuple[int, dict[str, Any], bytes]:
    """The status, JSON body and head of one raw HTTP response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body), head


def request_bytes(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    """One raw HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: sim", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
