"""Every stream both dialects serve, in one hub: who listens to which, each stream's ``seq``, and the
fields that faults target and the audit names in every message it sends.

A stream is keyed by what its dialect chooses (a native ``(channel, symbol)``, a Binance stream name, an
account's user data). A dialect renders a payload, encodes it once and labels it (``LabeledMessage``)
with the stream's fields; the hub hands the same message to every subscriber, whose ``deliver`` sends
it through its connection's faults. Streams are kept once made, so a ``seq`` never restarts.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Protocol

__all__ = ["LabeledMessage", "Stream", "StreamHub", "Subscriber", "fields_of"]


class LabeledMessage(bytes):
    """An encoded message that carries what faults target and the audit names (``fields``)."""

    fields: dict[str, Any]

    @classmethod
    def of(cls, message: bytes, fields: dict[str, Any]) -> LabeledMessage:
        labeled = cls(message)
        labeled.fields = fields
        return labeled


def fields_of(message: bytes) -> dict[str, Any]:
    """How faults see a message: a ``LabeledMessage``'s fields; anything else (a client's) has none."""
    return getattr(message, "fields", {})


class Subscriber(Protocol):
    """What a stream needs of whoever listens: somewhere to hand each labeled message."""

    def deliver(self, message: LabeledMessage) -> None: ...


class Stream:
    """One stream: its subscribers, the fields naming it in every message, and the seq of its last one."""

    __slots__ = ("fields", "seq", "subscribers")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.seq = 0
        self.subscribers: dict[Subscriber, None] = {}

    def advance(self, seq: int | None = None) -> int:
        """The next ``seq`` (``seq`` given: a stream that follows another counter, a book's)."""
        self.seq = self.seq + 1 if seq is None else seq
        return self.seq

    def labeled(self, message: bytes, seq: int | None = None) -> LabeledMessage:
        """``message`` labeled with the stream's fields (and ``seq``, when the dialect has one)."""
        return LabeledMessage.of(message, self.fields if seq is None else {**self.fields, "seq": seq})

    def send(self, message: LabeledMessage) -> None:
        """Hand ``message`` to every subscriber (one leaving meanwhile does not disturb the others)."""
        for subscriber in tuple(self.subscribers):
            subscriber.deliver(message)


class StreamHub:
    """Every stream of the venue, made on its first subscription and kept."""

    def __init__(self) -> None:
        self._streams: dict[Hashable, Stream] = {}

    def subscribed(self, subscriber: Subscriber, key: Hashable) -> bool:
        """Whether stream ``key`` is delivered to ``subscriber``."""
        stream = self._streams.get(key)
        return stream is not None and subscriber in stream.subscribers

    def subscribe(self, subscriber: Subscriber, key: Hashable, fields: dict[str, Any]) -> Stream:
        """Deliver stream ``key`` to ``subscriber`` (once, however often asked); ``fields`` name the
        stream when this makes it."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = Stream(fields)
        stream.subscribers[subscriber] = None
        return stream

    def unsubscribe(self, subscriber: Subscriber, key: Hashable) -> bool:
        """Stop delivering ``key`` to ``subscriber``; False if it was not subscribed (``live`` then says
        whether anyone still listens)."""
        stream = self._streams.get(key)
        return stream is not None and stream.subscribers.pop(subscriber, False) is None

    def live(self, key: Hashable) -> Stream | None:
        """The stream if someone listens to it (callers skip rendering otherwise)."""
        stream = self._streams.get(key)
        return stream if stream is not None and stream.subscribers else None
