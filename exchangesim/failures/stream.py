"""Faults on a stream of messages (ws) or bytes (tcp): the effect base classes and the per-connection
chain that passes each message through the active faults' effects before the real send path."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from itertools import count
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall

from .params import TEXT, Parameter

if TYPE_CHECKING:
    from .fault import Fault, Scope
    from .spec import FaultSpec

__all__ = ["ORDER", "HoldingEffect", "Pipeline", "StreamEffect"]

Sink = Callable[[bytes], None]

ORDER = Parameter(
    "order",
    TEXT,
    "stream",
    "ws: what a held message holds back: later ones of its own stream (channel and symbol; other "
    "streams pass), or every later one on the connection (head-of-line, as TCP would).",
    choices=("stream", "connection"),
)
"""The parameter of the modes that hold messages (delay, slot, throttle, bandwidth, stall)."""


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

    def stream_of(self, data: bytes) -> Hashable:
        """The stream ``data`` belongs to: (channel, symbol) on ws; on tcp, or with ``order =
        connection``, one stream for the whole connection (None)."""
        if self.scope.layer != "ws" or self.fault.spec.params.get("order") == "connection":
            return None
        fields = self.scope.describe(data)
        return fields.get("channel"), fields.get("symbol")

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

    def retune(self, previous: FaultSpec) -> None:
        """A PATCH changed the fault's parameters from ``previous`` and kept the fault going: an effect
        that read a parameter once (a rate, a distribution) reads it again here. Modes that leave their
        ``restarted_by`` unset are started over instead, so their effects never see this."""

    def stop(self) -> None:
        """Stop acting: cancel timers and drop what is held (the connection is gone)."""
        self.stopped = True


class _Entry:
    """A held message: due when, held since when, in what order it came, and whether it waits only
    behind others (the fault did not hit it) rather than for a time of its own."""

    __slots__ = ("arrival", "data", "due", "since", "waits")

    def __init__(self, due: float, arrival: int, data: bytes, since: float, waits: bool) -> None:
        self.due = due
        self.arrival = arrival
        self.data = data
        self.since = since
        self.waits = waits


class HoldingEffect(StreamEffect):
    """An effect that holds messages until a time (delay, throttle, slot, bandwidth).

    Held messages of a stream are released in the order they came, each no earlier than its due time;
    one timer waits for the first of them. A message the fault does not hit waits behind the held ones
    of its stream (with ``order = connection``: behind every held one), so the order is kept, and is
    audited as ``wait`` when it goes; a message of a stream with nothing held passes at once.
    """

    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._queues: dict[Hashable, deque[_Entry]] = {}
        self._held_count = 0
        self._arrivals = count()
        self._timer: IDelayedCall | None = None

    @property
    def held(self) -> int:
        return self._held_count

    def send(self, data: bytes) -> None:
        if not self.stopped and self.fault.fires(self.scope, data):
            self.inject(data)
        elif self._queues and (stream := self.stream_of(data)) in self._queues:
            now = self.clock.seconds()  # due at once, but released only after what is held before it
            self._enqueue(stream, _Entry(now, next(self._arrivals), data, now, True))
        else:
            self.downstream(data)

    def hold(self, data: bytes, due: float) -> None:
        """Keep ``data`` until the clock reads ``due`` (and everything held before it in its stream has
        gone), at most ``[failures] max_fault_duration`` from now (a throttle's or a thin link's queue
        may grow longer)."""
        now = self.clock.seconds()
        due = min(due, now + self.fault.spec.max_duration_ms / 1000)
        self._enqueue(self.stream_of(data), _Entry(due, next(self._arrivals), data, now, False))

    def _enqueue(self, stream: Hashable, entry: _Entry) -> None:
        queue = self._queues.get(stream)
        if queue is None:
            queue = self._queues[stream] = deque()
        queue.append(entry)
        self._held_count += 1
        if len(queue) == 1 and (self._timer is None or entry.due < self._timer.getTime()):
            self._arm()

    def release_due(self) -> None:
        """Send on every held message that is due, in order, and wait for the next."""
        self._timer = None
        now = self.clock.seconds()
        while True:
            first = None
            for stream, queue in self._queues.items():
                head = queue[0]
                if head.due <= now and (
                    first is None or (head.due, head.arrival) < (first[1].due, first[1].arrival)
                ):
                    first = (stream, head)
            if first is None:
                break
            self._pop(first[0])
            self._pass(first[1], now)
        if self._queues and self._timer is None and not self.stopped:
            self._arm()

    def _pop(self, stream: Hashable) -> None:
        queue = self._queues[stream]
        queue.popleft()
        self._held_count -= 1
        if not queue:
            del self._queues[stream]

    def _pass(self, entry: _Entry, now: float) -> None:
        """Send ``entry`` on; one that only waited behind held ones is audited with how long it did."""
        if entry.waits and now > entry.since:
            self.record("wait", entry.data, hit=False, wait_ms=round((now - entry.since) * 1000, 3))
        self.downstream(entry.data)

    def _arm(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        due = min(queue[0].due for queue in self._queues.values())
        self._timer = self.clock.callLater(max(0.0, due - self.clock.seconds()), self.release_due)

    def _take(self) -> list[_Entry]:
        """Remove and return everything held, in the order it came, cancelling the timer."""
        self._cancel()
        entries = sorted((entry for queue in self._queues.values() for entry in queue), key=_arrival)
        self._queues = {}
        self._held_count = 0
        return entries

    def take_held(self) -> Iterable[bytes]:
        """Remove and return everything held, in the order it came, cancelling the timer."""
        return [entry.data for entry in self._take()]

    def flush(self) -> None:
        now = self.clock.seconds()
        for entry in self._take():
            self._pass(entry, now)

    def stop(self) -> None:
        super().stop()
        self._cancel()
        self._queues = {}
        self._held_count = 0

    def _cancel(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None


def _arrival(entry: _Entry) -> int:
    return entry.arrival


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
