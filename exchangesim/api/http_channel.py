"""The daemon's HTTP/1.1 channel: a request head has a deadline and a size, and a refused head is
answered with a status and a JSON body rather than a dropped connection.

twisted.web's ``HTTPChannel`` restarts its one timeout (``[server] idle_timeout_s``) at every byte, so
a client sending a header byte every few seconds holds its connection, and a slot of
``max_connections``, for as long as it likes (slowloris). Past its size limits (16 KiB for the request
line, any header line and the whole head; 500 headers) it drops the connection or answers a bare 400.
Here a head (a WebSocket upgrade's too) must be complete within ``request_head_timeout`` of the
connection opening or, on a keep-alive connection, of the next request's first byte (else ``408``;
the idle timeout still governs the wait between requests); a request line too long is ``414``,
headers too large or too many ``431``; a declared ``Content-Length`` past ``max_body_bytes`` is
``413`` at once, before the body is sent. Each closes the connection.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger
from twisted.web.http import HTTPChannel

from .responses import encode, error_payload

__all__ = ["BoundedChannel", "whole_response"]

_REASONS = {
    408: b"Request Timeout",
    413: b"Content Too Large",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def whole_response(status: int, payload: Any, *headers: bytes) -> bytes:
    """A complete HTTP/1.1 answer with a JSON body, after which the server closes the connection."""
    body = encode(payload)
    head = [
        b"HTTP/1.1 %d %s" % (status, _REASONS[status]),
        b"Content-Type: application/json",
        b"Content-Length: %d" % len(body),
        *headers,
        b"Connection: close",
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class BoundedChannel(HTTPChannel):
    """One HTTP connection of a ``BoundedSite``: reads ``request_head_timeout`` and ``max_body_bytes``
    from the site, and counts its own answers in the site's ``answers`` (``/metrics``)."""

    log = Logger()
    _head_deadline: IDelayedCall | None = None
    _awaiting_head = False  # the deadline is for a head not yet complete (else it is left to lapse)
    _answered = False  # a refusal went out: what else arrives is ignored

    def connectionMade(self) -> None:
        super().connectionMade()
        self._expect_head()

    def dataReceived(self, data: bytes) -> None:
        if self._answered:
            return
        if not self._awaiting_head and self.line_mode and not self._handlingRequest:
            self._expect_head()  # the first byte of a keep-alive connection's next request
        super().dataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if self._answered:
            return
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            self._head_too_large()
            return
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        self._head_too_large()

    def headerReceived(self, line: bytes) -> bool:
        if self._receivedHeaderCount >= self.maxHeaders:
            message = f"the request has more than {self.maxHeaders} headers"
            self._answer(431, error_payload("TOO_MANY_HEADERS", message))
            return False
        return bool(super().headerReceived(line))

    def allHeadersReceived(self) -> None:
        self._awaiting_head = False  # its deadline stays set, moved for the next request (see _expect_head)
        limit = self.site.max_body_bytes
        if self.length is not None and self.length > limit:  # refused before the body is sent
            message = f"the body is larger than {limit} bytes"
            if self._path.startswith(b"/api/v3"):
                payload: Any = {"code": -1000, "msg": message}
            else:
                payload = error_payload("BODY_TOO_LARGE", message, "body")
            self._answer(413, payload)
            return
        super().allHeadersReceived()

    def rawDataReceived(self, data: bytes) -> None:
        if not self._answered:
            super().rawDataReceived(data)

    def connectionLost(self, reason: Any) -> None:
        self.stop_head_deadline()
        super().connectionLost(reason)

    def _expect_head(self) -> None:
        """Start the deadline of a head. On a keep-alive connection the last head's deadline, when it
        has not lapsed yet, is moved: a later time is only noted until the call comes due, which costs
        less than a new call and the cancelled one in the reactor's heap on every request."""
        self._awaiting_head = True
        timeout = self.site.request_head_timeout
        if timeout is None:
            return
        if self._head_deadline is not None and self._head_deadline.active():
            self._head_deadline.reset(timeout)
        else:
            self._head_deadline = self.callLater(timeout, self._head_overdue)

    def stop_head_deadline(self) -> None:
        """No head deadline stays scheduled: the connection is refused, closed, or no longer HTTP."""
        self._awaiting_head = False
        if self._head_deadline is not None:
            if self._head_deadline.active():
                self._head_deadline.cancel()
            self._head_deadline = None

    def _head_overdue(self) -> None:
        self._head_deadline = None
        if not self._awaiting_head:  # the deadline of a head that came in time, not moved since
            return
        timeout = self.site.request_head_timeout
        overdue = self.site.answers[408] + 1
        if overdue == 1 or overdue % 1000 == 0:  # a slowloris opens hundreds: a line now and then
            self.log.info(
                "closed {peer}: no whole request head within {timeout} s ({overdue} so far)",
                peer=str(self.transport.getPeer()),
                timeout=timeout,
                overdue=overdue,
            )
        message = f"the request line and headers did not arrive within {timeout:g} s"
        self._answer(408, error_payload("REQUEST_HEAD_TIMEOUT", message))

    def _head_too_large(self) -> None:
        """The request line (when nothing of the head is counted yet) or the headers are too large."""
        if self._receivedHeaderSize == 0:
            message = f"the request line is longer than {self.MAX_LENGTH} bytes"
            self._answer(414, error_payload("URI_TOO_LONG", message))
        else:
            message = f"the request line and headers are larger than {self.totalHeadersSize} bytes"
            self._answer(431, error_payload("HEADERS_TOO_LARGE", message))

    def _answer(self, status: int, payload: Any) -> None:
        """Write a whole answer and close; what else the client sends is not read."""
        self._answered = True
        self.stop_head_deadline()
        self.setTimeout(None)
        self.clearLineBuffer()
        self.site.answers[status] += 1
        self.transport.write(whole_response(status, payload))
        self.loseConnection()
        if self.abortTimeout is not None:  # a client that does not read: as twisted.web's own timeout
            self._abortingCall = self.callLater(self.abortTimeout, self.forceAbortClient)
