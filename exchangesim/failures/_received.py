"""A real ``twisted.web.server.Request``, as the server parses it from the wire, for tests that hand one
to a fault or a guard without a daemon: Twisted's public test transport, not its private doubles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

__all__ = ["LOOPBACK", "raw_request", "received_request"]

LOOPBACK = IPv4Address("TCP", "127.0.0.1", 40000)
"""The peer a request comes from unless told otherwise."""


def raw_request(
    method: str, target: str, headers: Mapping[str, str] | None = None, body: bytes = b""
) -> bytes:
    """The bytes an HTTP/1.1 client sends for ``method target`` with ``headers`` (``Host: exchangesim``
    unless they name one) and ``body`` (its ``Content-Length`` added when there is one)."""
    fields = {"Host": "exchangesim", **(headers or {})}
    head = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.items())]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def received_request(
    method: str,
    target: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    peer: IPv4Address | IPv6Address = LOOPBACK,
) -> Request:
    """``method target`` (a path and query) with ``headers`` and ``body``, as received from ``peer``
    on a connection over a ``StringTransport``; it has reached a resource, which has not answered yet.

    Whatever answers it writes the response to ``request.transport``.
    """
    held = _Held()
    channel = Site(held, reactor=Clock()).buildProtocol(peer)  # its timeouts on a clock nobody moves
    channel.makeConnection(StringTransport(peerAddress=peer))
    channel.dataReceived(raw_request(method, target, headers, body))
    if held.request is None:
        raise ValueError(f"twisted.web refused {method} {target}: {channel.transport.value()[:200]!r}")
    return cast(Request, held.request)  # a Site's requests are twisted.web.server.Request


class _Held(Resource):
    """Keeps the one request it is asked to render, unanswered."""

    isLeaf = True
    request: IRequest | None = None

    def render(self, request: IRequest) -> int:
        self.request = request
        return NOT_DONE_YET
