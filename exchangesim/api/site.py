"""The resource tree served on the daemon's one port."""

from __future__ import annotations

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from .. import __version__
from .responses import json_body

__all__ = ["build_root"]


class _Index(Resource):
    """``/``: where everything is, for a person or a client finding its way."""

    def getChild(self, path: bytes, request: IRequest) -> Resource:
        return self if path == b"" else super().getChild(path, request)

    def render_GET(self, request: IRequest) -> bytes:
        links = {"health": "/api/v1/health", "rest": "/api/v1", "websocket": "/ws"}
        return json_body(request, {"name": "exchangesim", "version": __version__, "links": links})


def build_root(native_api: IResource, native_ws: WebSocketServerFactory) -> Resource:
    """Mount the native REST API at ``/api/v1`` and its WebSocket at ``/ws``."""
    root = _Index()
    api = Resource()
    api.putChild(b"v1", native_api)
    root.putChild(b"api", api)
    root.putChild(b"ws", WebSocketResource(native_ws))
    return root
