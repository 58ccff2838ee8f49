"""Faults on a stream of messages (ws) or bytes (tcp): the effect base classes and the per-connection
chain that passes each message through the active faults' effects before the real send path."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall

if TYPE_CHECKING:
    from .fault import Fault, Scope

__all__ = ["HoldingEffect", "Pipeline", "StreamEffect"]

Sink = Callable[[bytes], None]


class StreamEffect:
    """One fault acting on one connection in one direction; subclasses implement ``inject``.

    ``send`` is called with each message; what the effect lets through, now or later, goes to
    ``downstream``. An effect whose fault is removed is flushed (what it held goes on, in order) and
    then stopped; a stopped effect passes everything straight through.
    """

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        self.fault = fault
        self.scope = scope
        self.downstream = downstream
        self.clock = fault.clock
        self.stopped = False

    def send(self, data: bytes) -> None:
        if not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
        else:
            self.downstream(data)

    @property
    def owns_connection(self) -> bool:
        """Whether this effect takes the fault's whole-connection actions (close, reset): of the two
        effects a connection has, the outbound one, unless the fault acts inbound only."""
        return self.scope.direction == "out" or self.fault.spec.direction == "in"

    def inject(self, data: bytes) -> None:
        """Act on one message the fault hits."""
        raise NotImplementedError

    def record(self, action: str, data: bytes, **detail: object) -> None:
        """Audit one action on ``data``."""
        self.fault.record(action, self.scope, data, **detail)

    @property
    def held(self) -> int:
        """Messages this effect holds back right now."""
        return 0

    def flush(self) -> None:
        """Let everything held go on, in order (the fault is being removed)."""

    def schedule_changed(self, live: bool) -> None:
        """The fault's schedule started (``live``) or stopped it; effects that act on the connection
        as a whole (stall, outage) react here rather than on the next message."""

    def stop(self) -> None:
        """Stop acting: cancel timers and drop what is held (the connection is gone)."""
        self.stopped = True


class HoldingEffect(StreamEffect):
    """An effect that holds messages until a time (delay, reorder, throttle, slot, stall, bandwidth).

    Held messages are released in the order they were held, each no earlier than its due time; one
    timer waits for the first of them. A message the fault does not hit waits behind held ones, so the
    connection's order is kept.
    """

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._held: deque[tuple[float, bytes]] = deque()
        self._timer: IDelayedCall | None = None

    @property
    def held(self) -> int:
        return len(self._held)

    def send(self, data: bytes) -> None:
        if not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
        elif self._held:
            self.hold(data, 0.0)  # due at once, but released only after what is held before it
        else:
            self.downstream(data)

    def hold(self, data: bytes, due: float) -> None:
        """Keep ``data`` until the clock reads ``due`` (and everything held before it has gone), at most
        ``[failures] max_fault_duration`` from now (a throttle's or a thin link's queue may grow longer)."""
        self._held.append((min(due, self.clock.seconds() + self.fault.spec.max_duration_ms / 1000), data))
        if self._timer is None:
            self._arm()

    def release_due(self) -> None:
        """Send on every held message that is due, in order, and wait for the next."""
        self._timer = None
        now = self.clock.seconds()
        held = self._held
        while held and held[0][0] <= now:
            self.downstream(held.popleft()[1])
        if held and self._timer is None:
            self._arm()

    def _arm(self) -> None:
        delay = max(0.0, self._held[0][0] - self.clock.seconds())
        self._timer = self.clock.callLater(delay, self.release_due)

    def take_held(self) -> Iterable[bytes]:
        """Remove and return everything held, in order, cancelling the timer."""
        self._cancel()
        held, self._held = self._held, deque()
        return (data for _, data in held)

    def flush(self) -> None:
        for data in self.take_held():
            self.downstream(data)

    def stop(self) -> None:
        super().stop()
        self._cancel()
        self._held.clear()

    def _cancel(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None


class Pipeline:
    """One connection's effects in one direction, in fault order, ending at ``sink``.

    ``send`` is the head of the chain: the sink itself while no fault acts on the connection, so an
    idle pipeline costs one attribute lookup.
    """

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.send: Sink = sink
        self.effects: list[StreamEffect] = []

    def rebuild(self, faults: list[Fault], make: Callable[[Fault, Sink], StreamEffect]) -> None:
        """Chain effects for ``faults``: kept faults keep their effect (and what it holds), removed
        ones are flushed head first, so what they held passes through the rest in order."""
        kept = {effect.fault: effect for effect in self.effects if effect.fault in faults}
        removed = [effect for effect in self.effects if effect.fault not in kept]
        for effect in removed:  # no longer acting, so what is flushed into them passes, in order
            effect.stopped = True
        for effect in removed:
            effect.flush()
            effect.stop()
        effects = [kept.get(fault) or make(fault, self.sink) for fault in faults]
        downstream = self.sink
        for effect in reversed(effects):
            effect.downstream = downstream
            downstream = effect.send
        self.effects = effects
        self.send = downstream

    @property
    def held(self) -> int:
        return sum(effect.held for effect in self.effects)

    def stop(self) -> None:
        for effect in self.effects:
            effect.stop()
        self.effects = []
        self.send = self.sink
