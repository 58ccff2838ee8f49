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
from typing import Any

from ...venue import Venue
from ..auth import check_admin
from ..errors import ApiError
from ..requests import check_fields, json_object, text_field
from ..responses import encode, error_payload
from ..ws_connection import FaultedWebSocket, FaultedWebSocketFactory
from .conflation import CONFLATED_CHANNELS, check_interval_ms
from .feeds import StreamFeed
from .parsing import instrument_of, interval_of
from .streams import (
    ACCOUNT_CHANNELS,
    AUDIT_CHANNEL,
    MARKET_CHANNELS,
    StreamHub,
    StreamKey,
    message_fields,
    stream_labels,
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


class NativeWebSocketProtocol(FaultedWebSocket):
    """One client connection."""

    factory: NativeWebSocketFactory
    describe = staticmethod(message_fields)

    def opened(self) -> None:
        self.account: str | None = None

    def closed(self) -> None:
        for stream in list(self.factory.hub.streams_of(self)):
            self.factory.hub.unsubscribe(self, stream.channel, stream.key)

    def subscribed(self) -> bool:
        return any(True for _ in self.factory.hub.streams_of(self))

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
    def deliver(self, message: bytes) -> None:
        """Subscriber API: one encoded stream message, through the ws layer's faults to the outbox."""
        self.send(message)

    def deliver_audit(self, message: bytes) -> None:
        """Subscriber API: one FAULTS message, straight to the outbox."""
        self.outbox.push(message)

    def reply(self, message: dict[str, Any]) -> None:
        """Queue one reply to this client."""
        self.send(encode(message))

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
        self.reply({"type": "PONG", "ts": self.factory.venue.now_ms()})

    def _auth(self, message: dict[str, Any]) -> None:
        # verify uses the signature up: a captured auth message replayed on another connection is refused
        self.account = self.factory.venue.authenticator.verify(
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
        hub = self.factory.hub
        if sum(1 for _ in hub.streams_of(self)) >= self.factory.venue.config.server.ws_max_subscriptions:
            raise ApiError(
                400,
                "TOO_MANY_SUBSCRIPTIONS",
                "this connection holds the most subscriptions allowed",
                "channel",
            )
        if message.get("batch") is True:
            self.outbox.batch = True
        stream = hub.subscribe(self, channel, key)
        self.reply({"type": "SUBSCRIBED", "channel": channel, **stream_labels(channel, key)})
        feed, ts = self.factory.feed, self.factory.venue.now_ms()
        conflated = isinstance(key, tuple) and channel in CONFLATED_CHANNELS
        symbol = key[0] if conflated else key
        if conflated:
            feed.conflator.watch(channel, key)  # type: ignore[arg-type]
        if channel == "CANDLES":
            self.deliver(stream.snapshot(feed.candle_body(*key), ts))  # type: ignore[misc]
        elif channel == "TICKER":
            self.deliver(stream.snapshot(feed.ticker_body(symbol, ts), ts))  # type: ignore[arg-type]
        elif channel == "BOOK":
            levels, sequence = feed.book_body(symbol, WHOLE_BOOK)  # type: ignore[arg-type]
            if conflated:  # its own seq; book_sequence ties it to GET /orderbook
                self.deliver(stream.snapshot({**levels, "book_sequence": sequence}, ts))
            else:
                self.deliver(stream.snapshot(levels, ts, sequence))
        elif channel == "BALANCES":
            self.deliver(stream.snapshot(feed.balances_body(key), ts))

    def _unsubscribe(self, message: dict[str, Any]) -> None:
        channel, key = self._stream_key(message)
        if not self.factory.hub.unsubscribe(self, channel, key):
            raise ApiError(400, "NOT_SUBSCRIBED", f"not subscribed to {channel} {key}", "channel")
        self.reply({"type": "UNSUBSCRIBED", "channel": channel, **stream_labels(channel, key)})

    def _stream_key(self, message: dict[str, Any]) -> tuple[str, StreamKey]:
        channel = message.get("channel")
        if channel == "CANDLES":
            symbol = instrument_of(self.factory.venue.exchange, message.get("symbol")).symbol
            return channel, (symbol, interval_of(message.get("interval")))
        if channel in MARKET_CHANNELS:
            symbol = instrument_of(self.factory.venue.exchange, message.get("symbol")).symbol
            if "interval_ms" not in message:
                return channel, symbol
            if channel not in CONFLATED_CHANNELS:
                raise ApiError(400, "INVALID_PARAMETER", f"{channel} has no conflated form", "interval_ms")
            try:
                return channel, (symbol, check_interval_ms(message["interval_ms"]))
            except ValueError as error:
                raise ApiError(400, "INVALID_PARAMETER", str(error), "interval_ms") from None
        if channel == AUDIT_CHANNEL:  # the audit names every account's orders: operators only
            server = self.factory.venue.config.server
            given = message.get("admin_token")
            host = getattr(self.transport.getPeer(), "host", None)
            token = given.encode("utf-8") if isinstance(given, str) else b""
            check_admin(token, host, self.factory.venue.admin_token, server.admin_allow_remote, "admin_token")
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


class NativeWebSocketFactory(FaultedWebSocketFactory):
    """Builds a protocol per native WebSocket client; holds the streams they share."""

    protocol = NativeWebSocketProtocol

    def __init__(self, venue: Venue) -> None:
        super().__init__(venue)
        self.hub = StreamHub()
        self.feed = StreamFeed(venue, self.hub)
        venue.faults.audit.listeners.append(self.feed.publish_fault)

    def stopFactory(self) -> None:
        super().stopFactory()
        self.feed.conflator.stop()
