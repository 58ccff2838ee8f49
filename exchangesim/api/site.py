"""The resource tree served on the daemon's one port."""

from __future__ import annotations

from collections import Counter
from urllib.parse import unquote_to_bytes

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request, Site

from .. import __version__
from .responses import error_payload, respond

__all__ = ["BoundedSite", "WebSocketPaths", "build_root"]


class _Index(Resource):
    """``/``: where everything is, for a person or a client finding its way."""

    def getChild(self, path: bytes, request: IRequest) -> Resource:
        return self if path == b"" else super().getChild(path, request)

    def render_GET(self, request: IRequest) -> bytes:
        links = {
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
    ``/stream``, and its WS-API at ``/ws-api/v3``."""
    root = _Index()
    api = Resource()
    api.putChild(b"v1", native_api)
    if binance_api is not None:
        api.putChild(b"v3", binance_api)
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


class BoundedRequest(Request):
    """A request that stops keeping its body past the site's ``max_body_bytes`` (routes answer 413).

    twisted.web buffers a whole body before a resource sees it; this keeps a huge upload from
    filling memory or disk while it arrives.
    """

    body_too_large = False
    _received = 0

    def handleContentChunk(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > self.channel.site.max_body_bytes:
            self.body_too_large = True
        else:
            super().handleContentChunk(data)


class BoundedSite(Site):
    """The daemon's ``Site``: requests keep at most ``max_body_bytes`` of a body, and paths are UTF-8."""

    requestFactory = BoundedRequest

    def __init__(self, resource: IResource, max_body_bytes: int) -> None:
        super().__init__(resource)
        self.max_body_bytes = max_body_bytes
        self.answers: Counter[int] = Counter()  # responses by status, for /metrics

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
