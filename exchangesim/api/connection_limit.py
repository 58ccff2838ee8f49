"""``[server] max_connections``: the connections served at once, and the answer to one too many.

The limit counts the connections of a ``WrappingFactory`` (the connection-level fault wrapper tracks
every HTTP and WebSocket connection already), so it costs nothing per byte. A connection past it is
answered ``503`` with a JSON body, which an HTTP client and a WebSocket handshake both understand, and
closed.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProtocolFactory
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from zope.interface import implementer

from ..failures.tcp import FaultyFactory
from .responses import encode, error_payload

__all__ = ["ConnectionLimit"]


def _refusal(limit: int) -> bytes:
    """The whole HTTP answer to a connection past ``limit``."""
    message = f"the server serves at most {limit} connections at once; retry later"
    body = encode(error_payload("TOO_MANY_CONNECTIONS", message))
    head = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" % len(body)
    )
    return head + body


class _Refused(Protocol):
    """Writes the refusal and closes, whatever the client sends."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def connectionMade(self) -> None:
        self.transport.write(self._answer)
        self.transport.loseConnection()


@implementer(IProtocolFactory)
class ConnectionLimit:
    """An ``IProtocolFactory`` over ``wrapped`` that refuses connections past ``limit``."""

    log = Logger()

    def __init__(self, wrapped: FaultyFactory, limit: int) -> None:
        self.wrapped = wrapped
        self.limit = limit
        self.refused = 0  # connections refused so far
        self._answer = _refusal(limit)

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        if len(self.wrapped.protocols) < self.limit:
            return self.wrapped.buildProtocol(addr)
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            self.log.warn(
                "refused a connection from {peer}: {limit} connections open ({refused} refused so far)",
                peer=getattr(addr, "host", addr),
                limit=self.limit,
                refused=self.refused,
            )
        return _Refused(self._answer)

    def close_all(self) -> Deferred[None]:
        """Close every connection still open (at shutdown, once what had to finish has finished); fires
        when all are closed (the reactor writes a closing connection's last bytes on a later turn)."""
        for protocol in list(self.wrapped.protocols):
            protocol.loseConnection()  # the wrapper's: what it still holds goes out first
        return self.wrapped.emptied()

    def doStart(self) -> None:
        self.wrapped.doStart()

    def doStop(self) -> None:
        self.wrapped.doStop()

    def logPrefix(self) -> str:
        return "exchangesim"
