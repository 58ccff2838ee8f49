"""The audit of injected faults: one JSON event per fault injected, to a JSONL file, to listeners
(the WebSocket FAULTS channel) and into the counters ``/metrics`` reports."""

from __future__ import annotations

import json
import os
from collections import Counter, deque
from collections.abc import Callable
from typing import IO, Any

from twisted.logger import Logger

__all__ = ["AuditLog"]

RECENT_EVENTS = 10_000
"""Events kept in memory for ``GET /api/v1/admin/failures/events``."""


class AuditLog:
    """Where fault events go; ``open`` starts appending them to ``path`` (one JSON object per line).

    The file is created readable by its owner only (events name accounts and orders), and once it would
    grow past ``max_bytes`` it is renamed ``path.1`` (replacing the one before) and a new one begun.
    """

    log = Logger()

    def __init__(self, path: str | None = None, max_bytes: int = 64 << 20) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.counts: Counter[tuple[str, str, str]] = Counter()  # (fault, action, stage or layer)
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_EVENTS)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.sequence = 0
        self._file: IO[str] | None = None
        self._size = 0

    def open(self) -> None:
        if self.path and self._file is None:
            self._file = self._append()

    def _append(self) -> IO[str]:
        assert self.path is not None
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(descriptor).st_size
        return os.fdopen(descriptor, "a", encoding="utf-8")

    def _rotate(self) -> None:
        """Keep what the file holds as ``path.1`` and start an empty one."""
        assert self.path is not None and self._file is not None
        self._file.close()
        self._file = None
        try:
            os.replace(self.path, self.path + ".1")
        except OSError as error:  # keep appending: losing events would be worse than a big file
            self.log.error(
                "cannot rotate the audit file {path} ({error}); trying again after {max_bytes} more bytes",
                path=self.path,
                error=error,
                max_bytes=self.max_bytes,
            )
            self._file = self._append()
            self._size = 0
            return
        self._file = self._append()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def record(self, event: dict[str, Any], counted_as: str | None = None) -> None:
        """Number ``event`` (``audit_seq``), count it (as fault ``counted_as``, else its own), keep it,
        write it and tell every listener."""
        self.sequence += 1
        event["audit_seq"] = self.sequence
        fault = event["fault"] if counted_as is None else counted_as
        self.counts[fault, event["action"], event.get("stage") or event["layer"]] += 1
        self.recent.append(event)
        if self._file is not None:
            line = json.dumps(event, separators=(",", ":"), default=str) + "\n"  # ASCII: len is bytes
            if self._size and self._size + len(line) > self.max_bytes:
                self._rotate()
            self._file.write(line)
            self._file.flush()
            self._size += len(line)
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
