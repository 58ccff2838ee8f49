"""The native WebSocket at ``/ws``: JSON operations in, stream messages out through one outbox.

Operations: ``subscribe`` / ``unsubscribe`` (``channel``, ``symbol``; ``interval`` for CANDLES;
``interval_ms`` for a conflated BOOK or TICKER; ``batch: true`` asks for BATCH frames), ``auth``
(``api_key``, ``timestamp``, ``signature`` of ``GET /ws`` as ``exchangesim.signing`` defines it; each
signature is accepted once) before the private channels ORDERS, FILLS and BALANCES, and ``ping``.
Every reply and stream message leaves through the connection's ``Outbox``, the single send path. A bad
operation is answered with an ERROR message and the connection lives on; a client that floods, or falls
too far behind, is closed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from twisted.internet.interfaces import IReactorTime

from ...config import ServerConfig
from ...engine import Exchange
from ...failures.controller import FaultController
from ..auth import Authenticator, check_admin
from ..errors import ApiError
from ..outbox import Outbox
from ..requests import check_fields, json_int, json_object, text_field
from ..responses import error_payload
from ..streams import LabeledMessage, Subscriber
from ..ws_connection import FaultyWebSocket, FaultyWebSocketFactory
from .feeds import StreamFeed
from .parsing import instrument_of, interval_of
from .streams import (
    ACCOUNT_CHANNELS,
    AUDIT_CHANNEL,
    CONFLATED_CHANNELS,
    MARKET_CHANNELS,
    MAX_INTERVAL_MS,
    MIN_INTERVAL_MS,
    StreamKey,
    labeled,
    message_fields,
    stream_labels,
    stream_snapshot,
)

__all__ = ["NativeWebSocketFactory", "NativeWebSocketProtocol"]

_CHANNEL_FIELDS = ("op", "channel", "symbol", "interval", "interval_ms", "batch", "admin_token")
_FIELDS = {
    "ping": ("op",),
    "auth": ("op", "api_key", "timestamp", "signature"),
    "subscribe": _CHANNEL_FIELDS,
    "unsubscribe": _CHANNEL_FIELDS,
}
"""The fields each operation takes; any other is refused, naming it, rather than ignored."""
WHOLE_BOOK = sys.maxsize  # a BOOK snapshot carries every level, so every later delta applies to it


class _AroundFaults:
    """The audit stream's subscriber on one connection: straight to its outbox, past the fault pipeline,
    so watching faults never causes faults."""

    __slots__ = ("deliver",)

    def __init__(self, outbox: Outbox) -> None:
        self.deliver = outbox.push


class NativeWebSocketProtocol(FaultyWebSocket):
    """One client connection."""

    factory: NativeWebSocketFactory
    describe = staticmethod(message_fields)

    def opened(self) -> None:
        self.account: str | None = None
        self.streams: dict[tuple[str, StreamKey], Subscriber] = {}  # each stream and who it delivers to

    def closed(self) -> None:
        for (channel, key), subscriber in self.streams.items():
            self.factory.feed.unsubscribe(subscriber, channel, key)
        self.streams.clear()

    def subscribed(self) -> bool:
        return bool(self.streams)

    def binary_frame(self) -> None:
        error = ApiError(400, "BINARY_FRAME", "send operations as JSON text frames", "frame")
        self.reply({"type": "ERROR", **error.payload()})

    def handle(self, payload: bytes) -> None:
        """One operation; a bad one is answered with an ERROR message and the connection lives on."""
        try:
            self._handle(payload)
        except ApiError as error:
            self.reply({"type": "ERROR", **error.payload()})
        except Exception:
            self.logger.failure("failed handling a WebSocket message from {peer}", peer=self.peer)
            self.reply(
                {"type": "ERROR", **error_payload("INTERNAL", "the server failed handling this message")}
            )

    # -- the send path --------------------------------------------------------------------------
    def deliver(self, message: LabeledMessage) -> None:
        """Subscriber API: one stream message, through the ws layer's faults to the outbox."""
        self.send(message)

    def reply(self, message: dict[str, Any]) -> None:
        """Queue one reply to this client."""
        self.send(labeled(message))

    # -- operations ------------------------------------------------------------------------------
    def _handle(self, payload: bytes) -> None:
        message = json_object(payload, "message")
        op = message.get("op")
        handler = self._OPERATIONS.get(op) if isinstance(op, str) else None
        if handler is None:
            known = ", ".join(self._OPERATIONS)
            raise ApiError(400, "UNKNOWN_OP", f"unknown op {message.get('op')!r}; known: {known}", "op")
        try:
            check_fields(message, _FIELDS[op])  # type: ignore[index]
            handler(self, message)
        except ApiError as error:
            echo = {
                key: message[key]
                for key in ("op", "channel", "symbol", "interval", "interval_ms")
                if key in message
            }
            self.reply({"type": "ERROR", **echo, **error.payload()})

    def _ping(self, message: dict[str, Any]) -> None:
        self.reply({"type": "PONG", "ts": self.factory.now_ms()})

    def _auth(self, message: dict[str, Any]) -> None:
        # verify uses the signature up: a captured auth message replayed on another connection is refused
        self.account = self.factory.authenticator.verify(
            text_field(message, "api_key"),
            str(message.get("timestamp", "")),
            text_field(message, "signature"),
            "GET",
            "/ws",
        )
        self.link.account = self.account
        self.reply({"type": "AUTHENTICATED", "account": self.account})

    def _subscribe(self, message: dict[str, Any]) -> None:
        channel, key = self._stream_key(message)
        factory = self.factory
        if len(self.streams) >= factory.server.ws_max_subscriptions:
            raise ApiError(
                400,
                "TOO_MANY_SUBSCRIPTIONS",
                "this connection holds the most subscriptions allowed",
                "channel",
            )
        if message.get("batch") is True:
            self.outbox.batch = True
        subscriber = self.streams.setdefault(
            (channel, key), _AroundFaults(self.outbox) if channel == AUDIT_CHANNEL else self
        )
        feed, ts = factory.feed, factory.now_ms()
        stream = feed.subscribe(subscriber, channel, key)
        self.reply({"type": "SUBSCRIBED", "channel": channel, **stream_labels(channel, key)})
        conflated = isinstance(key, tuple) and channel in CONFLATED_CHANNELS
        symbol = key[0] if conflated else key
        if channel == "CANDLES":
            self.deliver(stream_snapshot(stream, feed.candle_body(*key), ts))  # type: ignore[misc]
        elif channel == "TICKER":
            self.deliver(stream_snapshot(stream, feed.ticker_body(symbol, ts), ts))  # type: ignore[arg-type]
        elif channel == "BOOK":
            levels, sequence = feed.book_body(symbol, WHOLE_BOOK)  # type: ignore[arg-type]
            if conflated:  # its own seq; book_sequence ties it to GET /orderbook
                self.deliver(stream_snapshot(stream, {**levels, "book_sequence": sequence}, ts))
            else:
                self.deliver(stream_snapshot(stream, levels, ts, sequence))
        elif channel == "BALANCES":
            self.deliver(stream_snapshot(stream, feed.balances_body(key), ts))  # type: ignore[arg-type]

    def _unsubscribe(self, message: dict[str, Any]) -> None:
        channel, key = self._stream_key(message)
        subscriber = self.streams.pop((channel, key), None)
        if subscriber is None or not self.factory.feed.unsubscribe(subscriber, channel, key):
            raise ApiError(400, "NOT_SUBSCRIBED", f"not subscribed to {channel} {key}", "channel")
        self.reply({"type": "UNSUBSCRIBED", "channel": channel, **stream_labels(channel, key)})

    def _stream_key(self, message: dict[str, Any]) -> tuple[str, StreamKey]:
        channel = message.get("channel")
        if channel == "CANDLES":
            symbol = instrument_of(self.factory.exchange, message.get("symbol")).symbol
            return channel, (symbol, interval_of(message.get("interval")))
        if channel in MARKET_CHANNELS:
            symbol = instrument_of(self.factory.exchange, message.get("symbol")).symbol
            if "interval_ms" not in message:
                return channel, symbol
            if channel not in CONFLATED_CHANNELS:
                raise ApiError(400, "INVALID_PARAMETER", f"{channel} has no conflated form", "interval_ms")
            interval_ms = json_int(
                message["interval_ms"],
                "interval_ms",
                low=MIN_INTERVAL_MS,
                high=MAX_INTERVAL_MS,
                unit="milliseconds",
            )
            return channel, (symbol, interval_ms)
        if channel == AUDIT_CHANNEL:  # the audit names every account's orders: operators only
            factory = self.factory
            given = message.get("admin_token")
            host = getattr(self.transport.getPeer(), "host", None)
            token = given.encode("utf-8") if isinstance(given, str) else b""
            check_admin(token, host, factory.admin_token, factory.server.admin_allow_remote, "admin_token")
            return channel, "*"
        if channel in ACCOUNT_CHANNELS:
            if self.account is None:
                raise ApiError(
                    401, "AUTH_REQUIRED", f"send an auth operation before subscribing to {channel}", "channel"
                )
            return channel, self.account
        known = ", ".join((*MARKET_CHANNELS, *ACCOUNT_CHANNELS, AUDIT_CHANNEL))
        raise ApiError(400, "UNKNOWN_CHANNEL", f"unknown channel {channel!r}; known: {known}", "channel")

    _OPERATIONS = {"ping": _ping, "auth": _auth, "subscribe": _subscribe, "unsubscribe": _unsubscribe}


class NativeWebSocketFactory(FaultyWebSocketFactory):
    """Builds a protocol per native WebSocket client, over the feed of the native streams."""

    protocol = NativeWebSocketProtocol

    def __init__(
        self,
        clock: IReactorTime,
        faults: FaultController,
        server: ServerConfig,
        *,
        feed: StreamFeed,
        exchange: Exchange,
        authenticator: Authenticator,
        admin_token: str,
        now_ms: Callable[[], int],
    ) -> None:
        super().__init__(clock, faults, server)
        self.feed = feed
        self.exchange = exchange
        self.authenticator = authenticator
        self.admin_token = admin_token
        self.now_ms = now_ms
