"""The native streams as the hub keys them, and native messages as faults see them.

A stream is a channel for one symbol (TICKER, TRADES, BOOK), one symbol and interval (CANDLES), one
symbol and ``interval_ms`` (a conflated BOOK or TICKER) or one account (ORDERS, FILLS, BALANCES); its hub
key is ``(channel, key)``. Every message of a stream carries the next ``seq``, so a client can see gaps,
duplicates and reordering; BOOK uses the book's own sequence, the one ``GET /orderbook`` reports.
Every message leaves labeled with what faults target (``labeled``); only a client's own messages are
parsed to see their fields.
"""

from __future__ import annotations

import functools
import json
from typing import Any, TypeAlias

from ..requests import json_too_deep
from ..responses import encode
from ..streams import LabeledMessage, Stream

__all__ = [
    "ACCOUNT_CHANNELS",
    "AUDIT_CHANNEL",
    "CONFLATED_CHANNELS",
    "MARKET_CHANNELS",
    "MAX_INTERVAL_MS",
    "MIN_INTERVAL_MS",
    "StreamKey",
    "labeled",
    "message_fields",
    "stream_fields",
    "stream_labels",
    "stream_message",
    "stream_snapshot",
]

MARKET_CHANNELS = ("TICKER", "TRADES", "BOOK", "CANDLES")
ACCOUNT_CHANNELS = ("ORDERS", "FILLS", "BALANCES")
AUDIT_CHANNEL = "FAULTS"
"""Every injected fault's audit event; its messages go around the fault pipeline (to the outbox), so
watching faults never causes faults."""
CONFLATED_CHANNELS = ("TICKER", "BOOK")
MIN_INTERVAL_MS, MAX_INTERVAL_MS = 10, 60_000

StreamKey: TypeAlias = str | tuple[str, str] | tuple[str, int]
"""A symbol, an account, (symbol, interval) for CANDLES, or (symbol, interval_ms) for a conflated stream."""

_MESSAGE_FIELDS = ("type", "channel", "symbol", "account", "seq", "order_id", "client_order_id", "op")


def stream_labels(channel: str, key: StreamKey) -> dict[str, Any]:
    """The fields that name a stream in its messages: its symbol (and interval) or its account."""
    if channel == AUDIT_CHANNEL:
        return {}
    if channel == "CANDLES":
        symbol, interval = key
        return {"symbol": symbol, "interval": interval}
    if isinstance(key, tuple):  # conflated
        symbol, interval_ms = key
        return {"symbol": symbol, "interval_ms": interval_ms}
    return {"symbol": key} if channel in MARKET_CHANNELS else {"account": key}


def stream_fields(channel: str, key: StreamKey) -> dict[str, Any]:
    """What every message of stream (channel, key) starts with: its type, channel and labels."""
    kind = "MARKET_DATA" if channel in MARKET_CHANNELS else "ACCOUNT_DATA"
    if channel == AUDIT_CHANNEL:
        kind = "FAULT"
    return {"type": kind, "channel": channel, **stream_labels(channel, key)}


def stream_message(stream: Stream, body: dict[str, Any], ts: int, seq: int | None = None) -> LabeledMessage:
    """The next message of ``stream`` (``seq`` given: a stream that follows another counter)."""
    return labeled({**stream.fields, "seq": stream.advance(seq), "ts": ts, **body})


def stream_snapshot(stream: Stream, body: dict[str, Any], ts: int, seq: int | None = None) -> LabeledMessage:
    """A snapshot for a new subscriber: the current ``seq``, without advancing it."""
    if seq is not None:
        stream.seq = seq
    return labeled({**stream.fields, "seq": stream.seq, "ts": ts, "snapshot": True, **body})


def labeled(document: dict[str, Any]) -> LabeledMessage:
    """``document`` encoded, labeled with what faults target: channel, symbol, seq, ids."""
    return LabeledMessage.of(encode(document), _fields_of(document))


def message_fields(message: bytes) -> dict[str, Any]:
    """What faults target and the audit names in a native message: a labeled one's fields, else (a
    client's operation) the same fields and its ``op``, read from it."""
    fields = getattr(message, "fields", None)
    return _parsed_fields(message) if fields is None else fields


@functools.lru_cache(maxsize=1)
def _parsed_fields(message: bytes) -> dict[str, Any]:
    """Parsed once for all the faults that look at one message (callers only read the dict)."""
    if json_too_deep(message):  # a client's: it gets its ERROR once faults let it through
        return {}
    try:
        document = json.loads(message)
    except ValueError:
        return {}
    return _fields_of(document) if isinstance(document, dict) else {}


def _fields_of(document: dict[str, Any]) -> dict[str, Any]:
    fields = {key: document[key] for key in _MESSAGE_FIELDS if key in document}
    if "seq" not in fields:  # a reply or an operation names a channel it is not part of
        fields.pop("channel", None)
    return fields
