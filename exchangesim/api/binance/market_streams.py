"""Binance market streams at ``/ws/<anything>`` (raw payloads) and ``/stream`` (combined frames).

Requests are Binance's: ``{"method": "SUBSCRIBE" | "UNSUBSCRIBE", "params": [names], "id": N}``
answered ``{"result": null, "id": N}``; ``LIST_SUBSCRIPTIONS``; ``SET_PROPERTY`` / ``GET_PROPERTY``
``combined``. A bad request is answered ``{"error": {"code": .., "msg": ..}, "id": N}`` and the
connection lives on. Streams named in the path (``/ws/btcusd@trade``, ``/stream?streams=a/b``) are
subscribed on connect; path parts without ``@`` that are no live listenKey are ignored, so ccxt.pro's
``/ws/0`` is a bare connection. A combined connection frames each payload as ``{"stream": name, "data":
payload}``.

A live listenKey is a stream too (in the path or subscribed): the account's user data events, raw or
framed with the key as ``stream``, and ``listenKeyExpired`` when it expires. Once the key expired or was
closed the connection no longer lists it; unsubscribing a key it does not hold is no error.
"""

from __future__ import annotations

import json
from typing import Any

from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.interfaces import IReactorTime

from ...config import ServerConfig
from ...engine import Exchange
from ...failures.controller import FaultController
from ..requests import MAX_JSON_DEPTH, json_too_deep
from ..responses import encode
from ..streams import LabeledMessage
from ..ws_connection import FaultyWebSocket, FaultyWebSocketFactory
from .errors import BinanceError
from .listen_keys import ListenKeys
from .stream_feed import MarketStreamFeed
from .stream_names import StreamName, parse_stream_name, stream_symbols

__all__ = ["MarketStreamFactory", "MarketStreamProtocol"]

_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


def _refused(code: int, msg: str) -> BinanceError:
    """A request Binance refuses on this endpoint: its error ``code`` (0 to 3) and ``msg`` (no status)."""
    return BinanceError(400, code, msg)


def _invalid(msg: str) -> BinanceError:
    return _refused(2, f"Invalid request: {msg}")


class _Subscription:
    """One stream (or listenKey) of one connection, as the hub's subscriber: frames each message as the
    connection asked (combined: ``{"stream": name, "data": payload}``)."""

    __slots__ = ("_connection", "name")

    def __init__(self, connection: MarketStreamProtocol, name: str) -> None:
        self._connection = connection
        self.name = name

    def deliver(self, message: LabeledMessage) -> None:
        connection = self._connection
        if connection.combined:
            framed = b'{"stream":"' + self.name.encode("ascii") + b'","data":' + message + b"}"
            message = LabeledMessage.of(framed, message.fields)
        connection.send(message)

    def listen_key_ended(self) -> None:
        """Listen key registry: the key expired or was closed."""
        self._connection.listen_keys.pop(self.name, None)


class MarketStreamProtocol(FaultyWebSocket):
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
        except BinanceError as error:
            raise ConnectionDeny(400, error.msg) from None
        self._initial_keys = [part for part in dict.fromkeys(parts) if self._is_listen_key(part)]
        limit = self.factory.server.ws_max_subscriptions
        if len({stream.name for stream in self._initial}) + len(self._initial_keys) > limit:
            raise ConnectionDeny(400, f"too many streams: at most {limit} per connection")
        self.streams: dict[str, _Subscription] = {}
        self.listen_keys: dict[str, _Subscription] = {}

    def opened(self) -> None:
        for stream in self._initial:
            self._add(stream)
        for key in self._initial_keys:
            self._listen(key)

    def closed(self) -> None:
        for name, subscription in self.streams.items():
            self.factory.feed.unsubscribe(subscription, name)
        self.streams.clear()
        for key, subscription in list(self.listen_keys.items()):
            self.factory.listen_keys.unlisten(key, subscription)
        self.listen_keys.clear()

    def subscribed(self) -> bool:
        return bool(self.streams or self.listen_keys)

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
        except BinanceError as error:
            self.send(encode({"error": error.payload(), "id": request_id}))
            return
        self.send(encode({"result": result, "id": request_id}))

    def _on_subscribe(self, params: list[Any]) -> None:
        keys = [name for name in params if self._is_listen_key(name)]
        streams = [self._parse(name) for name in params if name not in keys]  # all valid, or none subscribed
        limit = self.factory.server.ws_max_subscriptions
        held = self.streams.keys() | {stream.name for stream in streams} | self.listen_keys.keys() | set(keys)
        if len(held) > limit:
            raise _invalid(f"too many subscriptions: at most {limit} streams per connection")
        for stream in streams:
            self._add(stream)
        for key in keys:
            self._listen(key)

    def _on_unsubscribe(self, params: list[Any]) -> None:
        keys = [name for name in params if isinstance(name, str) and "@" not in name]
        names = [self._parse(name).name for name in params if name not in keys]
        for name in names:
            subscription = self.streams.pop(name, None)
            if subscription is not None:
                self.factory.feed.unsubscribe(subscription, name)
        for key in keys:
            subscription = self.listen_keys.pop(key, None)
            if subscription is not None:
                self.factory.listen_keys.unlisten(key, subscription)

    def _on_list_subscriptions(self, params: list[Any]) -> list[str]:
        if params:
            raise _invalid("too many parameters")
        return [*self.streams, *self.listen_keys]

    def _on_set_property(self, params: list[Any]) -> None:
        if len(params) != 2 or params[0] != "combined":
            raise _refused(0, "Unknown property")
        if not isinstance(params[1], bool):
            raise _refused(1, "Invalid value type: expected Boolean")
        self.combined = params[1]

    def _on_get_property(self, params: list[Any]) -> bool:
        if params != ["combined"]:
            raise _refused(0, "Unknown property")
        return self.combined

    def _add(self, stream: StreamName) -> None:
        if stream.name not in self.streams:
            subscription = self.streams[stream.name] = _Subscription(self, stream.name)
            self.factory.feed.subscribe(subscription, stream)

    def _listen(self, key: str) -> None:
        """Listen to ``key`` (if still live); faults see the connection as its account's."""
        if key in self.listen_keys:
            return
        subscription = _Subscription(self, key)
        account = self.factory.listen_keys.listen(key, subscription)
        if account is not None:
            self.listen_keys[key] = subscription
            self.link.account = account

    def _is_listen_key(self, name: object) -> bool:
        return isinstance(name, str) and self.factory.listen_keys.is_live(name)

    def _parse(self, name: object) -> StreamName:
        try:
            return parse_stream_name(name, self.factory.symbols)
        except ValueError as error:
            raise _invalid(str(error)) from None


def _decode(payload: bytes) -> dict[str, Any]:
    if json_too_deep(payload):
        raise _refused(3, f"Invalid JSON: nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        request = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise _refused(3, f"Invalid JSON: {error}") from None
    if not isinstance(request, dict):
        raise _invalid("expected a JSON object")
    return request


class MarketStreamFactory(FaultyWebSocketFactory):
    """Builds a protocol per market stream client, over the market stream feed and the venue's listenKeys."""

    protocol = MarketStreamProtocol

    def __init__(
        self,
        clock: IReactorTime,
        faults: FaultController,
        server: ServerConfig,
        *,
        exchange: Exchange,
        feed: MarketStreamFeed,
        listen_keys: ListenKeys,
    ) -> None:
        super().__init__(clock, faults, server)
        self.symbols = stream_symbols(exchange.instruments())
        self.feed = feed
        self.listen_keys = listen_keys
