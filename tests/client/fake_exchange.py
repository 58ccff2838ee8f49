"""A scripted stand-in for the daemon on 127.0.0.1:0 (aiohttp), recording what the client sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WsScript = Callable[[web.WebSocketResponse], Awaitable[None]]


@attrs.frozen
class Received:
    """One HTTP request as it arrived: the request target byte for byte, the headers and the body."""

    method: str
    target: str
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def reply(payload: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    """Answer with ``payload`` as JSON."""
    return raw_reply(json.dumps(payload).encode(), status, "application/json", headers)


def raw_reply(
    body: bytes,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Handler:
    """Answer with ``body`` as it is."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type=content_type, headers=headers)

    return handle


def error_reply(
    status: int,
    code: str,
    message: str = "refused",
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Handler:
    """Answer with the server's error body."""
    error = {"code": code, "message": message, **({"field": field} if field else {}), **extra}
    return reply({"error": error}, status, headers)


class FakeExchange:
    """``async with FakeExchange() as fake``: routes answer as scripted (``fake.route``), others with
    ``default``; ``/ws`` runs ``fake.ws_script`` and then keeps the socket open until the client closes."""

    def __init__(self, default: Handler | None = None) -> None:
        self.received: list[Received] = []
        self.ws_script: WsScript | None = None
        self._routes: dict[tuple[str, str], Handler] = {}
        self._default = default or error_reply(404, "NOT_FOUND", "no such endpoint", "path")
        self._release = asyncio.Event()
        self._server = TestServer(self._app(), host="127.0.0.1", port=0)

    @property
    def base_url(self) -> str:
        return str(self._server.make_url(""))

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` (without the query) with ``handler``."""
        self._routes[method, path] = handler

    async def hang(self, request: web.Request) -> web.StreamResponse:
        """A handler that never answers (until the fake closes): a lost response."""
        await self._release.wait()
        return web.Response(status=504)

    async def abort(self, request: web.Request) -> web.StreamResponse:
        """A handler that drops the connection without answering."""
        assert request.transport is not None
        request.transport.abort()
        await self._release.wait()
        return web.Response(status=504)

    async def __aenter__(self) -> FakeExchange:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        await self._server.close()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ws", self._websocket)
        app.router.add_route("*", "/{tail:.*}", self._http)
        return app

    async def _http(self, request: web.Request) -> web.StreamResponse:
        self.received.append(
            Received(request.method, request.raw_path, request.headers, await request.read())
        )
        handler = self._routes.get((request.method, request.path), self._default)
        return await handler(request)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if self.ws_script is not None:
            await self.ws_script(ws)
        async for _ in ws:
            pass
        return ws
