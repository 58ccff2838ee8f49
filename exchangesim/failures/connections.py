"""A connection as faults see it: its layer, ordinal, account and one fault pipeline per direction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .answers import FaultError, FaultErrorShape
from .fault import Describe, Fault, Scope
from .stream import Pipeline, Sink, StreamEffect

__all__ = ["FaultyConnection"]


class FaultyConnection:
    """One ws or tcp connection: ``send(direction, data)`` passes data through that direction's faults.

    ``close`` ends it with a code and reason (ws close codes; tcp closes cleanly), ``abort`` resets it,
    ``queued`` counts what waits in its own send queue besides what faults hold, and ``error_shape``
    (its dialect's; None for tcp, or a protocol that answers no request) words what faults refuse.
    """

    def __init__(
        self,
        layer: str,
        peer: str,
        sinks: dict[str, Sink],
        describe: Describe,
        close: Callable[[int, str], None],
        abort: Callable[[], None],
        queued: Callable[[], int] = lambda: 0,
        error_shape: FaultErrorShape | None = None,
    ) -> None:
        self.layer = layer
        self.error_shape = error_shape
        self.peer = peer
        self.describe = describe
        self.close = close
        self.abort = abort
        self.queued = queued
        self.account: str | None = None
        self.ordinal = 0
        self.id = ""
        self.pipelines = {direction: Pipeline(sink) for direction, sink in sinks.items()}
        self.faulted = False
        """Whether any fault acts on it: only then can faults hold anything (read per message)."""

    def rebuild(self, faults: list[Fault]) -> None:
        """Chain the effects of ``faults`` that target this connection, per direction."""
        for direction, pipeline in self.pipelines.items():
            targeted = [fault for fault in faults if fault.targets(self.layer, direction, self.ordinal)]
            pipeline.rebuild(
                targeted, lambda fault, sink, direction=direction: self._effect(fault, direction, sink)
            )
        self.faulted = any(pipeline.effects for pipeline in self.pipelines.values())

    def _effect(self, fault: Fault, direction: str, sink: Sink) -> StreamEffect:
        scope = Scope(fault, self.layer, f"{self.id}/{direction}", self.describe, self, direction)
        return fault.mode.stream_effect(fault, scope, sink)

    def refuse(self, data: bytes, error: FaultError) -> bool:
        """Answer ``data``, an inbound message a fault refused, with ``error`` in the connection's
        dialect, straight to the send path (past the outbound faults, as a REST fault's answer is);
        False when the connection answers no message."""
        reply = None if self.error_shape is None else self.error_shape.reply(error, data)
        if reply is None or "out" not in self.pipelines:
            return False
        self.pipelines["out"].sink(reply)
        return True

    def effects(self) -> list[StreamEffect]:
        return [effect for pipeline in self.pipelines.values() for effect in pipeline.effects]

    @property
    def held(self) -> int:
        """Messages (ws) or chunks (tcp) that faults hold back."""
        return sum(pipeline.held for pipeline in self.pipelines.values())

    def stop(self) -> None:
        for pipeline in self.pipelines.values():
            pipeline.stop()
        self.faulted = False

    def describe_json(self) -> dict[str, Any]:
        """The connection for the admin API: who, which faults act on it, and what waits."""
        return {
            "id": self.id,
            "layer": self.layer,
            "ordinal": self.ordinal,
            "peer": self.peer,
            "account": self.account,
            "faults": sorted({effect.fault.name for effect in self.effects()}),
            "queued": self.queued(),
            "held_by_faults": self.held,
        }
