"""Binance market streams at ``/ws/<anything>`` (raw payloads) and ``/stream`` (combined frames).

Requests are Binance's: ``{"method": "SUBSCRIBE" | "UNSUBSCRIBE", "params": [names], "id": N}``
answered ``{"result": null, "id": N}``; ``LIST_SUBSCRIPTIONS``; ``SET_PROPERTY`` / ``GET_PROPERTY``
``combined``. A bad request is answered ``{"error": {"code": .., "msg": ..}, "id": N}`` and the
connection lives on. Streams named in the path (``/ws/btcusd@trade``, ``/stream?streams=a/b``) are
subscribed on connect; path parts without ``@`` are ignored, so ccxt.pro's ``/ws/0`` is a bare
connection. A combined connection frames each payload as ``{"stream": name, "data": payload}``.
"""

from __future__ import annotations

import json
from typing import Any

from autobahn.websocket.types import ConnectionDeny, ConnectionRequest

from ...venue import Venue
from ..requests import MAX_JSON_DEPTH, json_too_deep
from ..responses import encode
from ..ws_connection import FaultedWebSocket, FaultedWebSocketFactory, LabeledMessage
from .stream_feed import MarketStreamFeed
from .stream_names import StreamName, parse_stream_name, stream_symbols

__all__ = ["MarketStreamFactory", "MarketStreamProtocol"]

_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


class StreamRequestError(Exception):
    """A request Binance would refuse: its error ``code`` (0 to 3) and ``msg``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _invalid(msg: str) -> StreamRequestError:
    return StreamRequestError(2, f"Invalid request: {msg}")


class MarketStreamProtocol(FaultedWebSocket):
    """One market stream connection."""

    factory: MarketStreamFactory

    def onConnect(self, request: ConnectionRequest) -> None:
        """Read the streams the path names; an unknown one refuses the handshake with 400."""
        path = request.path.rstrip("/")
        self.combined = path == "/stream"
        if self.combined:
            parts = "/".join(request.params.get("streams", [])).split("/")
        else:
            parts = path.split("/")[2:]
        try:
            self._initial = [self._parse(part) for part in parts if "@" in part]
        except StreamRequestError as error:
            raise ConnectionDeny(400, error.msg) from None
        limit = self.factory.venue.config.server.ws_max_subscriptions
        if len({stream.name for stream in self._initial}) > limit:
            raise ConnectionDeny(400, f"too many streams: at most {limit} per connection")
        self.streams: dict[str, StreamName] = {}

    def opened(self) -> None:
        for stream in self._initial:
            self._add(stream)

    def closed(self) -> None:
        for name in list(self.streams):
            self.factory.feed.unsubscribe(self, name)
        self.streams.clear()

    def subscribed(self) -> bool:
        return bool(self.streams)

    def deliver(self, stream: str, payload: bytes, fields: dict[str, Any]) -> None:
        """Feed listener: one payload of ``stream``, framed as this connection asked."""
        if self.combined:
            payload = b'{"stream":"' + stream.encode("ascii") + b'","data":' + payload + b"}"
        self.send(LabeledMessage.of(payload, fields))

    # -- requests ------------------------------------------------------------------------------------
    def handle(self, payload: bytes) -> None:
        request_id = None
        try:
            request = _decode(payload)
            request_id = request.get("id")
            if isinstance(request_id, bool) or not isinstance(request_id, int | str | None):
                request_id = None
                raise _invalid("request ID must be an unsigned integer")
            method = request.get("method")
            if "method" not in request:
                raise _invalid("missing field `method`")
            if method not in _METHODS:
                raise _invalid(f"unknown variant `{method}`, expected one of {', '.join(_METHODS)}")
            unknown = set(request) - {"method", "params", "id"}
            if unknown:
                raise _invalid(f"unknown field `{sorted(unknown)[0]}`, expected one of method, params, id")
            params = request.get("params", [])
            if not isinstance(params, list):
                raise _invalid("invalid type: `params` must be a sequence")
            result = getattr(self, "_on_" + method.lower())(params)
        except StreamRequestError as error:
            self.send(encode({"error": {"code": error.code, "msg": error.msg}, "id": request_id}))
            return
        self.send(encode({"result": result, "id": request_id}))

    def _on_subscribe(self, params: list[Any]) -> None:
        streams = [self._parse(name) for name in params]  # all valid, or none subscribed
        limit = self.factory.venue.config.server.ws_max_subscriptions
        if len(self.streams.keys() | {stream.name for stream in streams}) > limit:
            raise _invalid(f"too many subscriptions: at most {limit} streams per connection")
        for stream in streams:
            self._add(stream)

    def _on_unsubscribe(self, params: list[Any]) -> None:
        for name in [self._parse(name).name for name in params]:
            if self.streams.pop(name, None) is not None:
                self.factory.feed.unsubscribe(self, name)

    def _on_list_subscriptions(self, params: list[Any]) -> list[str]:
        if params:
            raise _invalid("too many parameters")
        return list(self.streams)

    def _on_set_property(self, params: list[Any]) -> None:
        if len(params) != 2 or params[0] != "combined":
            raise StreamRequestError(0, "Unknown property")
        if not isinstance(params[1], bool):
            raise StreamRequestError(1, "Invalid value type: expected Boolean")
        self.combined = params[1]

    def _on_get_property(self, params: list[Any]) -> bool:
        if params != ["combined"]:
            raise StreamRequestError(0, "Unknown property")
        return self.combined

    def _add(self, stream: StreamName) -> None:
        if stream.name not in self.streams:
            self.streams[stream.name] = stream
            self.factory.feed.subscribe(self, stream)

    def _parse(self, name: object) -> StreamName:
        try:
            return parse_stream_name(name, self.factory.symbols)
        except ValueError as error:
            raise _invalid(str(error)) from None


def _decode(payload: bytes) -> dict[str, Any]:
    if json_too_deep(payload):
        raise StreamRequestError(3, f"Invalid JSON: nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        request = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise StreamRequestError(3, f"Invalid JSON: {error}") from None
    if not isinstance(request, dict):
        raise _invalid("expected a JSON object")
    return request


class MarketStreamFactory(FaultedWebSocketFactory):
    """Builds a protocol per market stream client; holds the feed they share."""

    protocol = MarketStreamProtocol

    def __init__(self, venue: Venue) -> None:
        super().__init__(venue)
        self.symbols = stream_symbols(venue.exchange.instruments())
        self.feed = MarketStreamFeed(venue)
