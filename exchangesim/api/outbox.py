"""The one send path of a WebSocket connection: a bounded queue, flushed once per reactor turn.

Streams encode each message once and push the bytes to every subscriber's outbox. An outbox writes
what it holds when the reactor next turns (one frame per message, or one ``BATCH`` frame carrying all
of them when the client asked for batching), or at once when it is the answer to a request
(``push_and_write``); it stops writing while the transport says its buffers are full, and closes a
client that falls further behind than its limit instead of growing memory; what faults hold back for
the connection counts toward that limit too (``room_beside``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import islice

from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

__all__ = ["FlushScheduler", "Outbox"]

CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
FLUSH_CHUNK = 20  # outboxes written in one reactor turn: a tick that falls due meanwhile runs between
BATCH_LIMIT = 1000  # messages in one BATCH frame at most
BATCH_BYTES = 60_000  # and its bytes: frames stay below clients' size limits (64 KiB is a common one)
_BATCH_HEAD, _BATCH_TAIL = b'{"type":"BATCH","messages":[', b"]}"


class FlushScheduler:
    """Flushes every outbox that received messages at the next reactor turn, ``FLUSH_CHUNK`` a turn."""

    log = Logger()

    def __init__(self, reactor: IReactorTime) -> None:
        self._reactor = reactor
        self._dirty: dict[Outbox, None] = {}  # insertion-ordered set
        self._scheduled = False

    def mark(self, outbox: Outbox) -> None:
        """Flush ``outbox`` at the next turn."""
        self._dirty[outbox] = None
        if not self._scheduled:
            self._scheduled = True
            self._reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        dirty = self._dirty
        chunk = list(islice(dirty, FLUSH_CHUNK))
        for outbox in chunk:
            del dirty[outbox]
        if dirty:
            self._scheduled = True
            self._reactor.callLater(0, self._flush)
        for outbox in chunk:
            try:
                outbox.flush()
            except Exception:  # one broken connection must not hold up the others
                self.log.failure("failed writing to a WebSocket client; closing it")
                outbox.abort()


@implementer(IPushProducer)
class Outbox:
    """Queued messages of one connection; ``send_frame`` writes one text frame to the client."""

    log = Logger()

    def __init__(
        self,
        scheduler: FlushScheduler,
        send_frame: Callable[[bytes], None],
        close: Callable[[int, str], None],
        limit: int,
        peer: str = "",
    ) -> None:
        self._scheduler = scheduler
        self._peer = peer
        self._send_frame = send_frame
        self._close = close
        self._limit = limit
        self._queue: deque[bytes] = deque()
        self._paused = False
        self._closed = False
        self.batch = False

    @property
    def queued(self) -> int:
        """Messages waiting to be written."""
        return len(self._queue)

    def push(self, message: bytes) -> None:
        """Queue one encoded JSON message; a client already ``limit`` messages behind is closed."""
        if self._closed:
            return
        if len(self._queue) >= self._limit:
            self._overflow(0)
            return
        queue = self._queue
        if not queue and not self._paused:  # marked once per batch; resumeProducing marks a paused one
            self._scheduler.mark(self)
        queue.append(message)

    def push_and_write(self, message: bytes) -> None:
        """Queue one message and write what is queued now rather than at the next turn: the answer a
        client waits for. While the transport is paused it waits in the queue, as ``push`` leaves it."""
        if not self._queue and not self._paused and not self._closed:
            self._send_frame(message)  # nothing waits before it, so it needs no queue and no flush turn
            return
        self.push(message)
        self.flush()

    def room_beside(self, held: int) -> bool:
        """Whether one more message fits beside ``held`` ones that faults hold back for this connection
        (a 10-hour delay must not grow memory either); if not, the client is closed as a slow one."""
        if self._closed:
            return False
        if len(self._queue) + held < self._limit:
            return True
        self._overflow(held)
        return False

    def _overflow(self, held: int) -> None:
        queued = len(self._queue)
        self._closed = True
        self._queue.clear()
        where = " queued" if not held else " queued or held by faults"
        self.log.warn(
            "closing WebSocket client {peer} with 1013: {queued} messages queued and {held} held by faults"
            " reached ws_send_queue_limit ({limit})",
            peer=self._peer,
            queued=queued,
            held=held,
            limit=self._limit,
        )
        self._close(CLOSE_TRY_AGAIN_LATER, f"too slow: more than {self._limit} messages{where}")

    def flush(self) -> None:
        """Write everything queued, unless the transport asked us to pause."""
        if self._paused or self._closed or not self._queue:
            return
        queue, self._queue = self._queue, deque()
        if self.batch and len(queue) > 1:
            batch: list[bytes] = []
            size = 0
            for message in queue:
                if batch and (len(batch) == BATCH_LIMIT or size + len(message) > BATCH_BYTES):
                    self._send_frame(_BATCH_HEAD + b",".join(batch) + _BATCH_TAIL)
                    batch, size = [], 0
                batch.append(message)
                size += len(message) + 1
            self._send_frame(_BATCH_HEAD + b",".join(batch) + _BATCH_TAIL)
        else:
            for message in queue:
                self._send_frame(message)

    def abort(self) -> None:
        """Writing failed: drop what is queued and close the client (1011) rather than leave it open
        and silent; a transport already gone may refuse the close frame too."""
        self.discard()
        try:
            self._close(CLOSE_INTERNAL_ERROR, "the server failed writing to this connection")
        except Exception:
            self.log.failure("failed closing WebSocket client {peer} after a failed write", peer=self._peer)

    def discard(self) -> None:
        """The connection is gone: drop what is queued and accept nothing more."""
        self._closed = True
        self._queue.clear()

    # IPushProducer: the transport pauses us while its buffers are full.
    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if self._queue:
            self._scheduler.mark(self)

    def stopProducing(self) -> None:
        self.discard()
