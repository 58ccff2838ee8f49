"""The connection-level fault wrapper: a ``twisted.protocols.policies`` wrapper around the daemon's
site, inside TLS when the endpoint is ``ssl:``, so whole-connection faults (refusal, reset, stall,
bandwidth, latency) act on the bytes of every HTTP and WebSocket connection alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IProtocolFactory
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory

from .connections import FaultyConnection
from .controller import FaultController

__all__ = ["FaultyFactory"]


class FaultyProtocol(ProtocolWrapper):
    """One accepted connection: bytes out and in pass through the tcp layer's faults."""

    factory: FaultyFactory

    def connectionMade(self) -> None:
        peer = self.transport.getPeer()
        self.link = FaultyConnection(
            "tcp",
            f"{getattr(peer, 'host', peer)}:{getattr(peer, 'port', '')}",
            {"out": self._write_out, "in": self._receive},
            lambda data: {"bytes": len(data)},
            lambda code, reason: self.loseConnection(),
            self.abortConnection,
        )
        self._closing = False
        self.factory.controller.connect(self.link)
        super().connectionMade()

    def write(self, data: bytes) -> None:
        self.link.pipelines["out"].send(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.write(b"".join(data))

    def dataReceived(self, data: bytes) -> None:
        self.link.pipelines["in"].send(data)

    def loseConnection(self) -> None:
        """Close once what faults hold has gone out (an HTTP response must not be cut short)."""
        if self.link.held:
            self._closing = True
        else:
            super().loseConnection()

    def connectionLost(self, reason: Any) -> None:
        self.factory.controller.disconnect(self.link)
        super().connectionLost(reason)

    def _write_out(self, data: bytes) -> None:
        self.transport.write(data)
        if self._closing and not self.link.held:
            super().loseConnection()

    def _receive(self, data: bytes) -> None:
        self.wrappedProtocol.dataReceived(data)  # Autobahn swaps wrappedProtocol on upgrade


class TrackingFactory(WrappingFactory):
    """A wrapping factory that knows its open connections (``protocols``); ``emptied()`` tells when none
    is left open."""

    def __init__(self, wrapped: IProtocolFactory) -> None:
        super().__init__(wrapped)
        self._emptied: list[Deferred[None]] = []

    def emptied(self) -> Deferred[None]:
        """Fires once no connection is open (at once when none is)."""
        if not self.protocols:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._emptied.append(waiter)
        return waiter

    def unregisterProtocol(self, p: ProtocolWrapper) -> None:
        super().unregisterProtocol(p)
        if not self.protocols:
            waiters, self._emptied = self._emptied, []
            for waiter in waiters:
                if not waiter.called:  # one given up on (timed out) is already called
                    waiter.callback(None)


class FaultyFactory(TrackingFactory):
    """Wraps the daemon's factory; every connection it accepts is registered with the controller, and
    ``emptied()`` tells when none is left open."""

    protocol = FaultyProtocol

    def __init__(self, wrapped: IProtocolFactory, controller: FaultController) -> None:
        super().__init__(wrapped)
        self.controller = controller
