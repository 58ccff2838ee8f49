"""A WebSocket connection under failure injection: one outbox as its send path, faults both ways.

``FaultyWebSocket`` is the base of every protocol here: it opens the connection's ``Outbox`` and
``FaultyConnection`` (registered with the ``FaultController``, so ws-layer faults act on it), limits
inbound messages per second, closes a client idle past ``[server] idle_timeout_s`` that holds no
subscription, and hands each inbound message, once faults let it through, to ``handle``. Subclasses say
how faults see their messages (``describe``) and whether they hold a subscription (``subscribed``).
"""

from __future__ import annotations

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from ..config import ServerConfig
from ..failures.answers import FaultErrorShape
from ..failures.connections import FaultyConnection
from ..failures.controller import FaultController
from .outbox import FlushScheduler, Outbox
from .streams import fields_of

__all__ = [
    "CLOSE_GOING_AWAY",
    "CLOSE_POLICY_VIOLATION",
    "FaultyWebSocket",
    "FaultyWebSocketFactory",
]

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
IDLE_SWEEPS = 4  # sweeps per idle timeout


class FaultyWebSocketFactory(WebSocketServerFactory):
    """A factory over the clock and the faults: one flush scheduler, the ``[server]`` WebSocket limits,
    and the open connections."""

    error_shape: FaultErrorShape | None = None
    """How faults answer a request they refuse on these connections: the dialect's, set where the
    daemon is wired (None: they answer none)."""

    def __init__(self, clock: IReactorTime, faults: FaultController, server: ServerConfig) -> None:
        super().__init__(reactor=clock)
        self.clock = clock
        self.faults = faults
        self.server = server
        self.scheduler = FlushScheduler(clock)
        self.connections: set[FaultyWebSocket] = set()
        limit = server.ws_max_message_bytes
        # failByDrop=False: an oversized or invalid frame gets a close frame with a code and reason
        # (1009, 1007) rather than a dropped connection.
        self.setProtocolOptions(maxMessagePayloadSize=limit, maxFramePayloadSize=limit, failByDrop=False)
        self.idle_timeout = float(server.idle_timeout_s)
        self._idle_sweep = LoopingCall(self.close_idle)
        self._idle_sweep.clock = clock

    def startFactory(self) -> None:
        # One sweep for all connections rather than a timer each: idle ones close within 1.25 timeouts.
        self._idle_sweep.start(self.idle_timeout / IDLE_SWEEPS, now=False)

    def stopFactory(self) -> None:
        if self._idle_sweep.running:
            self._idle_sweep.stop()

    def close_idle(self) -> None:
        """Close (1000) each connection that sent nothing for ``idle_timeout`` and holds no subscription."""
        since = self.clock.seconds() - self.idle_timeout
        reason = f"idle: nothing sent and no subscription for {self.idle_timeout:g} s"
        for connection in [c for c in self.connections if c.heard_at <= since and not c.subscribed()]:
            connection.close_with(CLOSE_NORMAL, reason)


class FaultyWebSocket(WebSocketServerProtocol):
    """One client connection; subclasses implement ``handle`` and may extend ``opened`` and ``closed``."""

    # Not ``log``: Autobahn keeps its own logger there, filtered to info; a twisted Logger in its
    # place would print Autobahn's debug lines (one per frame) into the daemon's log.
    logger = Logger()
    factory: FaultyWebSocketFactory
    describe = staticmethod(fields_of)
    """How faults see a message: channel, symbol, seq (``LabeledMessage`` fields by default)."""

    def onOpen(self) -> None:
        try:
            factory = self.factory
            limit = factory.server.ws_send_queue_limit
            self.outbox = Outbox(self.factory.scheduler, self._write, self.close_with, limit, self.peer)
            self.link = FaultyConnection(
                "ws",
                self.peer,
                {"out": self.outbox.push, "in": self._receive},
                self.describe,
                self.close_cleanly,
                lambda: self.dropConnection(abort=True),
                lambda: self.outbox.queued,
                self.factory.error_shape,
            )
            factory.faults.connect(self.link)
            # Twisted web's channel registered itself as the producer; the outbox takes over.
            self.transport.unregisterProducer()
            self.transport.registerProducer(self.outbox, True)
            self._allowance = float(factory.server.ws_max_messages_per_second)
            self._allowance_at = self.heard_at = self.factory.clock.seconds()
            self.opened()
            self.factory.connections.add(self)  # once open: the idle sweep asks it about subscriptions
        except Exception:
            self.logger.failure("failed opening a WebSocket connection from {peer}", peer=self.peer)
            self.dropConnection(abort=True)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.heard_at = self.factory.clock.seconds()
        if not self._within_rate():
            self.close_with(CLOSE_POLICY_VIOLATION, "too many messages per second")
        elif isBinary:
            self.binary_frame()
        elif self._room_for_one_more():
            self.link.pipelines["in"].send(payload)

    def _receive(self, payload: bytes) -> None:
        """An inbound message, once the ws layer's faults let it through."""
        try:
            self.handle(payload)
        except Exception:
            self.logger.failure("failed handling a WebSocket message from {peer}", peer=self.peer)
            self.close_with(1011, "the server failed handling a message")

    def onPing(self, payload: bytes) -> None:
        self.heard_at = self.factory.clock.seconds()
        super().onPing(payload)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.connections.discard(self)
        if getattr(self, "outbox", None) is not None:
            self.factory.faults.disconnect(self.link)
            self.outbox.discard()
            self.closed()

    # -- for subclasses ------------------------------------------------------------------------------
    def opened(self) -> None:
        """The connection is open and registered."""

    def closed(self) -> None:
        """The connection is gone: stop feeding it."""

    def handle(self, payload: bytes) -> None:
        raise NotImplementedError

    def subscribed(self) -> bool:
        """Whether the connection holds a subscription (then it is never idle)."""
        return False

    def binary_frame(self) -> None:
        """A binary frame arrived: every protocol here speaks JSON text."""
        self.close_with(1003, "send JSON text frames")

    def send(self, message: bytes) -> None:
        """Queue one encoded message, through the ws layer's outbound faults."""
        link = self.link  # per message and subscriber: _room_for_one_more, inlined
        if not link.faulted or self.outbox.room_beside(link.held):
            link.pipelines["out"].send(message)

    def answer(self, message: bytes) -> None:
        """Send the answer to a request: as ``send``, but while no fault acts on the connection (the
        outbound pipeline is then the outbox itself) it is written in this reactor turn, not the next."""
        if self.link.faulted:
            self.send(message)
        else:
            self.outbox.push_and_write(message)

    def _room_for_one_more(self) -> bool:
        """Whether the send queue and what faults hold (both ways) leave room for one more message
        within ``ws_send_queue_limit``; a connection past it is closed with 1013."""
        link = self.link
        return not link.faulted or self.outbox.room_beside(link.held)

    def _write(self, message: bytes) -> None:
        if self.state != self.STATE_OPEN:  # closing: the client sent its close frame meanwhile
            return
        # A prepared message is framed once and goes straight to the transport, without the per-message
        # path of sendMessage (its payload limit, ws_max_message_bytes, bounds what clients send; a
        # deep book snapshot may be larger). Autobahn compresses it instead where a client negotiated it.
        self.sendPreparedMessage(self.factory.prepareMessage(message))

    def close_with(self, code: int, reason: str) -> None:
        """Close with a close code and reason; nothing more is sent."""
        self.outbox.discard()
        self.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8")[:123], isReply=False)

    def close_cleanly(self, code: int, reason: str) -> None:
        """A clean close (a fault's): what the outbox holds is written first."""
        self.outbox.flush()
        self.close_with(code, reason)

    def go_away(self) -> None:
        """The server is shutting down: what is queued goes out, then a 1001 close."""
        self.close_cleanly(CLOSE_GOING_AWAY, "the server is shutting down")

    def _within_rate(self) -> bool:
        """A token bucket over inbound messages at ``ws_max_messages_per_second``, bursting one second."""
        rate = self.factory.server.ws_max_messages_per_second
        now = self.factory.clock.seconds()
        self._allowance = min(float(rate), self._allowance + (now - self._allowance_at) * rate)
        self._allowance_at = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True
