"""Streams of the native WebSocket: who listens to which (channel, key), and each stream's ``seq``.

A stream is a channel for one symbol (TICKER, TRADES, BOOK), one symbol and interval (CANDLES) or one
account (ORDERS, FILLS, BALANCES).
Every message of a stream carries the next ``seq``, so a client can see gaps, duplicates and
reordering; BOOK uses the book's own sequence, the one ``GET /orderbook`` reports.
Messages are encoded once and the same bytes go to every subscriber's outbox.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any, Protocol, TypeAlias

from ..requests import json_too_deep
from ..responses import encode

__all__ = [
    "ACCOUNT_CHANNELS",
    "AUDIT_CHANNEL",
    "MARKET_CHANNELS",
    "Stream",
    "StreamHub",
    "StreamKey",
    "Subscriber",
    "message_fields",
    "stream_labels",
]

MARKET_CHANNELS = ("TICKER", "TRADES", "BOOK", "CANDLES")
ACCOUNT_CHANNELS = ("ORDERS", "FILLS", "BALANCES")
AUDIT_CHANNEL = "FAULTS"
"""Every injected fault's audit event; its messages go around the fault pipeline (``deliver_audit``),
so watching faults never causes faults."""

StreamKey: TypeAlias = str | tuple[str, str] | tuple[str, int]
"""A symbol, an account, (symbol, interval) for CANDLES, or (symbol, interval_ms) for a conflated stream."""


class Subscriber(Protocol):
    """What a stream needs of a connection: somewhere to put encoded messages."""

    def deliver(self, message: bytes) -> None: ...

    def deliver_audit(self, message: bytes) -> None: ...


class Stream:
    """One stream: its subscribers, the fields naming it in every message, and the seq of its last one."""

    __slots__ = ("_head", "channel", "key", "seq", "subscribers")

    def __init__(self, channel: str, key: StreamKey) -> None:
        self.channel = channel
        self.key = key
        kind = "MARKET_DATA" if channel in MARKET_CHANNELS else "ACCOUNT_DATA"
        if channel == AUDIT_CHANNEL:
            kind = "FAULT"
        self._head = {"type": kind, "channel": channel, **stream_labels(channel, key)}
        self.seq = 0
        self.subscribers: dict[Subscriber, None] = {}

    def message(self, body: dict[str, Any], ts: int, seq: int | None = None) -> bytes:
        """Encode the next message (``seq`` given: a stream that follows another counter)."""
        self.seq = self.seq + 1 if seq is None else seq
        return encode({**self._head, "seq": self.seq, "ts": ts, **body})

    def snapshot(self, body: dict[str, Any], ts: int, seq: int | None = None) -> bytes:
        """Encode a snapshot for a new subscriber: the current ``seq``, without advancing it."""
        if seq is not None:
            self.seq = seq
        return encode({**self._head, "seq": self.seq, "ts": ts, "snapshot": True, **body})

    def publish(self, body: dict[str, Any], ts: int, seq: int | None = None) -> None:
        """Send the next message to every subscriber."""
        message = self.message(body, ts, seq)
        for subscriber in self.subscribers:
            subscriber.deliver(message)


def stream_labels(channel: str, key: StreamKey) -> dict[str, str]:
    """The fields that name a stream in its messages: its symbol (and interval) or its account."""
    if channel == AUDIT_CHANNEL:
        return {}
    if channel == "CANDLES":
        symbol, interval = key
        return {"symbol": symbol, "interval": interval}
    if isinstance(key, tuple):  # conflated
        symbol, interval_ms = key
        return {"symbol": symbol, "interval_ms": interval_ms}  # type: ignore[dict-item]
    return {"symbol": key} if channel in MARKET_CHANNELS else {"account": key}  # type: ignore[dict-item]


@functools.lru_cache(maxsize=1)
def message_fields(message: bytes) -> dict[str, Any]:
    """What faults target and the audit names in a native message: channel, symbol, seq, ids.

    A stream hands every subscriber the same bytes, so a fault on N connections parses a message
    once (callers only read the dict).
    """
    return _fields_of(message)


def _fields_of(message: bytes) -> dict[str, Any]:
    if json_too_deep(message):  # a client's: it gets its ERROR once faults let it through
        return {}
    try:
        document = json.loads(message)
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    fields = {key: document[key] for key in _MESSAGE_FIELDS if key in document}
    if "seq" not in fields:  # a reply (SUBSCRIBED, ERROR) names a channel it is not part of
        fields.pop("channel", None)
    if "op" in document:
        fields["op"] = document["op"]
    return fields


_MESSAGE_FIELDS = ("type", "channel", "symbol", "account", "seq", "order_id", "client_order_id")


class StreamHub:
    """Every stream of the venue, created on first subscription and kept (so ``seq`` never restarts)."""

    def __init__(self) -> None:
        self._streams: dict[tuple[str, StreamKey], Stream] = {}
        self.subscriptions = 0  # over every stream: none, and the feed skips a command's events

    def subscribe(self, subscriber: Subscriber, channel: str, key: StreamKey) -> Stream:
        stream = self._streams.get((channel, key))
        if stream is None:
            stream = self._streams[channel, key] = Stream(channel, key)
        if subscriber not in stream.subscribers:
            stream.subscribers[subscriber] = None
            self.subscriptions += 1
        return stream

    def unsubscribe(self, subscriber: Subscriber, channel: str, key: StreamKey) -> bool:
        """Stop delivering (channel, key) to ``subscriber``; False if it was not subscribed."""
        stream = self._streams.get((channel, key))
        if stream is None or stream.subscribers.pop(subscriber, False) is not None:
            return False
        self.subscriptions -= 1
        return True

    def live(self, channel: str, key: StreamKey) -> Stream | None:
        """The stream if someone listens to it (callers skip rendering otherwise)."""
        stream = self._streams.get((channel, key))
        return stream if stream is not None and stream.subscribers else None

    def streams_of(self, subscriber: Subscriber) -> Iterator[Stream]:
        return (stream for stream in self._streams.values() if subscriber in stream.subscribers)
