"""Graceful shutdown: stop accepting, send WebSocket clients a 1001, let requests finish, all bounded.

``drain`` is the part of ``ExchangeService.stopService`` that happens before the services stop (the
market, the journal's flush): it runs on the injected clock, so a test drives it with ``task.Clock``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from twisted.internet.defer import Deferred, DeferredList, maybeDeferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.web.server import Request

from .api.ws_connection import FaultyWebSocket

__all__ = ["CLOSE_TIMEOUT_S", "DRAIN_TIMEOUT_S", "drain"]

DRAIN_TIMEOUT_S = 3.0
"""How long requests and WebSocket close handshakes get; the rest of the 5 s goes to the services."""
CLOSE_TIMEOUT_S = 1.0
"""How long the connections left after the drain get to write what they hold and close."""

log = Logger()


def drain(
    clock: IReactorTime,
    stop_listening: Callable[[], Deferred[None] | None],
    websockets: Iterable[FaultyWebSocket],
    in_flight: Iterable[Request],
    timeout: float = DRAIN_TIMEOUT_S,
) -> Deferred[bool]:
    """Stop listening, close every WebSocket with 1001, and wait for them and the requests in flight.

    Fires ``True`` when everything finished, ``False`` when ``timeout`` seconds passed first.
    """
    websockets, in_flight = list(websockets), list(in_flight)
    log.info(
        "stopping: no new connections; closing {websockets} WebSocket clients with 1001,"
        " waiting for {requests} requests in flight (at most {timeout:g} s)",
        websockets=len(websockets),
        requests=len(in_flight),
        timeout=timeout,
    )
    waits: list[Deferred[object]] = [maybeDeferred(stop_listening)]
    for connection in websockets:
        connection.go_away()
        waits.append(connection.is_closed)
    waits.extend(request.notifyFinish() for request in in_flight)
    finished: Deferred[bool] = Deferred()
    overdue = clock.callLater(timeout, _fire, finished, False)
    DeferredList(waits, consumeErrors=True).addCallback(lambda _: _fire(finished, True, overdue))
    finished.addCallback(_report, websockets, in_flight, timeout)
    return finished


def _fire(finished: Deferred[bool], everything: bool, overdue: IDelayedCall | None = None) -> None:
    if overdue is not None and overdue.active():
        overdue.cancel()
    if not finished.called:
        finished.callback(everything)


def _report(
    everything: bool, websockets: list[FaultyWebSocket], in_flight: list[Request], timeout: float
) -> bool:
    if not everything:
        log.warn(
            "stopping: after {timeout:g} s, {websockets} WebSocket clients had not closed and {requests}"
            " requests had not finished; closing them",
            timeout=timeout,
            websockets=sum(1 for connection in websockets if not connection.is_closed.called),
            requests=sum(1 for request in in_flight if not request.finished),
        )
    return everything
