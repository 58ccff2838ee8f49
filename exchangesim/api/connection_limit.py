"""``[server] max_connections`` and ``max_connections_per_address``: the connections served at once, in
all and from one client address, and the answer to one too many.

The limits count the connections of a ``WrappingFactory`` (the connection-level fault wrapper tracks
every HTTP and WebSocket connection already), so they cost nothing per byte. A connection past either
is answered ``503`` with a JSON body naming the limit, which an HTTP client and a WebSocket handshake
both understand, and closed. The per-address cap keeps one client (a slowloris, a runaway bot) from
holding every slot: others still get in.
"""

from __future__ import annotations

from collections.abc import Iterable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProtocolFactory
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from zope.interface import implementer

from ..failures.tcp import FaultyFactory
from .http_channel import whole_response
from .responses import error_payload

__all__ = ["ConnectionLimit"]


def _refusal(limit: int, name: str, scope: str) -> bytes:
    """The whole HTTP answer to a connection past ``limit`` (the ``[server]`` key ``name``)."""
    message = f"the server serves at most {limit} connections at once{scope}; retry later"
    payload = error_payload("TOO_MANY_CONNECTIONS", message)
    payload["error"]["limit"] = name
    return whole_response(503, payload, b"Retry-After: 1")


class _Refused(Protocol):
    """Writes the refusal and closes, whatever the client sends."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def connectionMade(self) -> None:
        self.transport.write(self._answer)
        self.transport.loseConnection()


@implementer(IProtocolFactory)
class ConnectionLimit:
    """An ``IProtocolFactory`` over ``wrapped`` that refuses connections past ``limit``, or past
    ``per_address`` from one host (an address without a host, a UNIX socket's, is not capped)."""

    log = Logger()

    def __init__(self, wrapped: FaultyFactory, limit: int, per_address: int | None = None) -> None:
        self.wrapped = wrapped
        self.limit = limit
        self.per_address = per_address
        self.refused = 0  # connections refused so far, by either limit
        self._answer = _refusal(limit, "max_connections", "")
        if per_address is not None:
            self._answer_per_address = _refusal(
                per_address, "max_connections_per_address", " from one address"
            )
        # The protocols built for each host; those the wrapper no longer holds are closed and pruned
        # when the host connects again, or in a sweep once hosts outnumber open connections.
        self._by_host: dict[str, list[Protocol]] = {}

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        if len(self.wrapped.protocols) >= self.limit:
            return self._refuse(addr, self._answer, self.limit, "connections open")
        host = getattr(addr, "host", None)
        if self.per_address is None or host is None:
            return self.wrapped.buildProtocol(addr)
        open_here = self._open_from(host)
        if len(open_here) >= self.per_address:
            return self._refuse(addr, self._answer_per_address, self.per_address, "connections open from it")
        protocol = self.wrapped.buildProtocol(addr)
        if protocol is not None:
            open_here.append(protocol)
        return protocol

    def _open_from(self, host: str) -> list[Protocol]:
        """The connections ``host`` holds now (a list kept for it, pruned of the closed ones)."""
        if len(self._by_host) > 2 * len(self.wrapped.protocols) + 64:
            self._by_host = {h: live for h, built in self._by_host.items() if (live := self._live(built))}
        open_here = self._by_host[host] = self._live(self._by_host.get(host, ()))
        return open_here

    def _live(self, built: Iterable[Protocol]) -> list[Protocol]:
        held = self.wrapped.protocols  # a protocol is in it from connectionMade to connectionLost
        return [protocol for protocol in built if protocol in held]

    def _refuse(self, addr: IAddress, answer: bytes, limit: int, what: str) -> Protocol:
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            self.log.warn(
                "refused a connection from {peer}: {limit} {what} ({refused} refused so far)",
                peer=getattr(addr, "host", addr),
                limit=limit,
                what=what,
                refused=self.refused,
            )
        return _Refused(answer)

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
