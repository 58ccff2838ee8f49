"""The audit of injected faults: one JSON event per fault injected, to a JSONL file, to listeners
(the WebSocket FAULTS channel) and into the counters ``/metrics`` reports."""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable
from typing import IO, Any

__all__ = ["AuditLog"]

RECENT_EVENTS = 10_000
"""Events kept in memory for ``GET /api/v1/admin/failures/events``."""


class AuditLog:
    """Where fault events go; ``open`` starts appending them to ``path`` (one JSON object per line)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.counts: Counter[tuple[str, str, str]] = Counter()  # (fault, action, stage or layer)
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_EVENTS)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.sequence = 0
        self._file: IO[str] | None = None

    def open(self) -> None:
        if self.path and self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def record(self, event: dict[str, Any]) -> None:
        """Number ``event`` (``audit_seq``), count it, keep it, write it and tell every listener."""
        self.sequence += 1
        event["audit_seq"] = self.sequence
        self.counts[event["fault"], event["action"], event.get("stage") or event["layer"]] += 1
        self.recent.append(event)
        if self._file is not None:
            self._file.write(json.dumps(event, separators=(",", ":"), default=str) + "\n")
            self._file.flush()
        for listener in self.listeners:
            listener(event)

    def control(self, ts: int, action: str, **detail: Any) -> None:
        """Record an operator's action (a fault added, a market paused) in the same audit trail."""
        self.record(
            {"ts": ts, "fault": "admin", "mode": "control", "action": action, "layer": "admin", **detail}
        )

    def since(self, audit_seq: int, limit: int) -> list[dict[str, Any]]:
        """Kept events numbered after ``audit_seq``, oldest first, at most ``limit``."""
        events = [event for event in self.recent if event["audit_seq"] > audit_seq]
        return events[:limit]
