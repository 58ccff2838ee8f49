"""What a client lived through: the faults it noticed, each named so it can be matched against the audit.

Kinds, and the identity each is counted by (the audit event of the same kind carries the same one):

- ``lost_ack``: ``POST /api/v1/orders`` got no answer and the order was found by its client order id
  (the engine acted): the client order id.
- ``lost_request``: the same, and no order was found (the request never reached the engine).
- ``throttled``: a request answered 429: its route (``GET /api/v1/ticker``).
- ``unavailable``: a request answered 502, 503 or 504: its route.
- ``gap``: a stream message that never came, seen as a jump in ``seq``: (channel, symbol, seq).
- ``duplicate``: a stream message that came again: (channel, symbol, seq).
- ``disconnect``: the server ended the WebSocket: one per connection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

import attrs

__all__ = ["KINDS", "Observations"]

KINDS = ("lost_ack", "lost_request", "throttled", "unavailable", "gap", "duplicate", "disconnect")


@attrs.define
class Observations:
    """Faults seen by one scenario's clients, by kind, and what was done about them."""

    seen: dict[str, Counter[Hashable]] = attrs.field(factory=lambda: {kind: Counter() for kind in KINDS})
    retries: int = 0
    rate_limited: int = 0  # 429s of the venue's own request limit: retried, but no fault (not audited)
    waited_s: float = 0.0
    connection: int = 0  # the WebSocket connection in use, counted from 1
    spans: dict[tuple[int, str, str], list[int]] = attrs.field(factory=dict)
    """(connection, channel, label) -> [first, last] seq read of that stream on that connection."""

    def note(self, kind: str, identity: Hashable = None) -> None:
        self.seen[kind][identity] += 1

    def retract(self, kind: str, identity: Hashable) -> None:
        """Take back one ``note`` (a gap that was a late message after all)."""
        counter = self.seen[kind]
        counter[identity] -= 1
        if counter[identity] <= 0:
            del counter[identity]

    def count(self, kind: str) -> int:
        return sum(self.seen[kind].values())

    def connected(self) -> None:
        """A new WebSocket connection: its streams' spans start afresh."""
        self.connection += 1

    def received(self, channel: str, label: str, seq: int) -> None:
        """A stream message arrived (so the audit's faults can be told observable or not)."""
        span = self.spans.setdefault((self.connection, channel, label), [seq, seq])
        span[0], span[1] = min(span[0], seq), max(span[1], seq)

    def where(self, channel: str, label: str, seq: int) -> str | None:
        """Whether a fault on message ``seq`` of this stream could be seen: ``"read"`` if a connection
        read around it; ``"maybe"`` if it also borders a connection's end: the last one a connection read
        (copies of it may have been in flight when it ended), or the first a later connection read (it
        may have been sent, unread, on the one before too); None if no connection read around it (lost
        in flight: it could not be seen)."""
        found = None
        stream = [
            (connection, span) for (connection, *key), span in self.spans.items() if key == [channel, label]
        ]
        earliest = min((connection for connection, _ in stream), default=0)
        for connection, (first, last) in stream:
            if first <= seq <= last:
                if seq == last or (seq == first and connection > earliest):
                    return "maybe"
                found = "read"
        return found

    def summary(self) -> dict[str, int]:
        """Count per kind, the kinds seen only."""
        return {kind: count for kind in KINDS if (count := self.count(kind))}
