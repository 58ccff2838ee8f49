"""The resource tree served on the daemon's one port."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import unquote_to_bytes

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import combinedLogFormatter
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request, Site

from .. import __version__
from ..dashboard import dashboard_assets, dashboard_page
from .binance.rest import BINANCE_ONLY_PATHS, NotServed
from .http_channel import BoundedChannel
from .responses import error_payload, respond

__all__ = ["BoundedSite", "WebSocketPaths", "build_root"]


class _Index(Resource):
    """``/``: the dashboard for a browser (it asks for ``text/html``), else where everything is, as JSON."""

    def __init__(self, page: IResource) -> None:
        super().__init__()
        self._page = page

    def getChild(self, path: bytes, request: IRequest) -> Resource:
        return self if path == b"" else super().getChild(path, request)

    def render_GET(self, request: IRequest) -> bytes | int:
        request.setHeader(b"vary", b"accept")
        if b"text/html" in (request.getHeader(b"accept") or b""):
            return self._page.render(request)
        links = {
            "dashboard": "/",
            "health": "/api/v1/health",
            "rest": "/api/v1",
            "websocket": "/ws",
            "binance_rest": "/api/v3",
            "binance_streams": "/ws/<stream>",
            "binance_ws_api": "/ws-api/v3",
            "metrics": "/metrics",
        }
        return respond(request, {"name": "exchangesim", "version": __version__, "links": links})


def build_root(
    native_api: IResource,
    native_ws: WebSocketServerFactory,
    metrics: IResource,
    binance_api: IResource | None = None,
    binance_streams: WebSocketServerFactory | None = None,
    binance_ws_api: WebSocketServerFactory | None = None,
) -> Resource:
    """Mount the native REST API at ``/api/v1``, its WebSocket at exactly ``/ws``, ``/metrics``, and when
    given the Binance REST dialect at ``/api/v3``, its market streams at ``/ws/<anything>`` and
    ``/stream``, and its WS-API at ``/ws-api/v3``; the dashboard at ``/``, its files under ``/dashboard``."""
    root = _Index(dashboard_page())
    root.putChild(b"dashboard", dashboard_assets())
    api = Resource()
    api.putChild(b"v1", native_api)
    if binance_api is not None:
        api.putChild(b"v3", binance_api)
        not_served = NotServed()  # /sapi, /fapi, ...: a ccxt pointed here never reaches the real venue
        for path in BINANCE_ONLY_PATHS:
            root.putChild(path, not_served)
    root.putChild(b"api", api)
    native = WebSocketResource(native_ws)
    if binance_streams is None:
        root.putChild(b"ws", native)
    else:
        streams = WebSocketResource(binance_streams)
        root.putChild(b"ws", WebSocketPaths(native, streams))
        root.putChild(b"stream", streams)
    if binance_ws_api is not None:
        ws_api = Resource()
        ws_api.putChild(b"v3", WebSocketResource(binance_ws_api))
        root.putChild(b"ws-api", ws_api)
    root.putChild(b"metrics", metrics)
    return root


class WebSocketPaths(Resource):
    """``/ws`` itself to one WebSocket resource, ``/ws/<anything>`` to another (both are leaves)."""

    def __init__(self, exact: IResource, deeper: IResource) -> None:
        super().__init__()
        self._exact = exact
        self._deeper = deeper

    def getChild(self, path: bytes, request: IRequest) -> IResource:
        return self._deeper

    def render(self, request: IRequest) -> bytes | int:
        return self._exact.render(request)


_SECRET_PARAMETER = re.compile(r"([?&](?:signature|apiKey|api_key|admin_token)=)[^&\s\"]*", re.IGNORECASE)
_ESCAPED = re.compile(rb"[^ -~]|[\"'\\]")
"""What twisted.web's combined log format escapes: bytes outside printable ASCII, quotes, backslashes."""


def redacted_log_line(timestamp: str, request: IRequest) -> str:
    """The combined access-log line, with query parameters that could authenticate a replay blanked.

    The line is twisted.web's ``combinedLogFormatter``'s, written directly when no field needs escaping
    (every request a client library sends): its escaping costs three times the line itself."""
    client = request.getClientAddress()
    method, uri, protocol = request.method, request.uri, request.clientproto
    referrer = request.getHeader(b"referer") or b"-"
    agent = request.getHeader(b"user-agent") or b"-"
    if type(client) in (IPv4Address, IPv6Address) and not _ESCAPED.search(
        b" ".join((method, uri, protocol, referrer, agent))
    ):
        line = (
            f'"{client.host}" - - {timestamp} "{method.decode()} {uri.decode()} {protocol.decode()}" '
            f'{request.code:d} {request.sentLength or "-"} "{referrer.decode()}" "{agent.decode()}"'
        )
    else:
        line = combinedLogFormatter(timestamp, request)
    return _SECRET_PARAMETER.sub(r"\1<redacted>", line) if "=" in line else line


class BoundedRequest(Request):
    """A request that stops keeping its body past the site's ``max_body_bytes`` (routes answer 413).

    twisted.web buffers a whole body before a resource sees it; this keeps a huge upload from
    filling memory or disk while it arrives.
    """

    body_too_large = False
    _received = 0
    _served = False  # its head and body arrived and a resource was asked to answer
    _log = Logger()

    def process(self) -> None:
        """Serve the request, counted in the site's ``in_flight`` until its response is finished."""
        channel = self.channel  # finishing lets go of it
        self._served = True
        in_flight = channel.site.in_flight
        in_flight.add(self)
        self.notifyFinish().addBoth(lambda _: in_flight.discard(self))
        super().process()
        if channel.transport is None:  # a WebSocket took the connection over: it never "finishes"
            in_flight.discard(self)
            channel.stop_head_deadline()

    def connectionLost(self, reason: Failure) -> None:
        """The access log has a line for a request that got no answer too (a fault dropped it, or the
        client gave up): twisted.web logs a request only when its response is finished."""
        if self._served and not self.finished and not self._disconnected:
            uri = _SECRET_PARAMETER.sub(r"\1<redacted>", self.uri.decode("latin-1"))
            self._log.info(
                '"{client}" "{method} {uri} {protocol}" got no answer:'
                " the connection closed first ({reason})",
                client=self.getClientAddress().host if self.getClientAddress() else "-",
                method=self.method.decode("latin-1"),
                uri=uri,
                protocol=(self.clientproto or b"-").decode("latin-1"),
                reason=reason.getErrorMessage(),
            )
        super().connectionLost(reason)

    def handleContentChunk(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > self.channel.site.max_body_bytes:
            self.body_too_large = True
        else:
            super().handleContentChunk(data)


class BoundedSite(Site):
    """The daemon's ``Site``: requests keep at most ``max_body_bytes`` of a body (one declared larger is
    refused before it is sent), a request head must arrive within ``request_head_timeout`` seconds and
    fit the channel's size limits (see ``BoundedChannel``), paths are UTF-8, an idle keep-alive
    connection is closed after ``idle_timeout`` seconds, unfinished requests are known, and the access
    log shows no credential (it omits the headers keys and tokens travel in; blanks signatures).

    Bodies are never parsed into ``request.args`` (only the query string is): the native API reads JSON
    and the Binance dialect parses its form bodies itself, and twisted.web's form parsing costs about a
    tenth of an order's serving time (it builds an email message to read Content-Type).
    """

    requestFactory = BoundedRequest
    protocol = BoundedChannel

    def __init__(
        self,
        resource: IResource,
        max_body_bytes: int,
        idle_timeout: float | None = None,
        reactor: IReactorTime | None = None,
        request_head_timeout: float | None = None,
    ) -> None:
        super().__init__(
            resource,
            timeout=idle_timeout,
            logFormatter=redacted_log_line,
            reactor=reactor,
            parsePOSTFormSubmission=False,
        )
        self.max_body_bytes = max_body_bytes
        self.request_head_timeout = request_head_timeout
        self.answers: Counter[int] = Counter()  # responses by status, for /metrics
        self.in_flight: set[BoundedRequest] = set()  # requests whose response is not finished yet

    def log(self, request: IRequest) -> None:
        self.answers[request.code] += 1
        super().log(request)

    def getResourceFor(self, request: IRequest) -> IResource:
        try:
            unquote_to_bytes(request.path).decode("utf-8")
        except UnicodeDecodeError:
            return _NotUtf8Path()
        return super().getResourceFor(request)


class _NotUtf8Path(Resource):
    """The JSON answer to a path that is not UTF-8 once unquoted (Klein would answer in text)."""

    isLeaf = True

    def render(self, request: IRequest) -> bytes:
        payload = error_payload("INVALID_PATH", "the path is not UTF-8 once percent-decoded", "path")
        return respond(request, payload, 400)
