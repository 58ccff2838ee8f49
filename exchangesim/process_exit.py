"""How the twistd daemon's process ends: 0 after a stop on SIGTERM, or a status of its own (74 when
its journal could not be written) where twistd would exit 0.

twistd offers no way to choose the exit status (twisted/twisted#11335, open since 2004): it exits 0,
or, when a signal stopped the reactor, kills itself with that signal, which it reads from the reactor's
private ``_exitSignal``. So SIGTERM is handled here, through the public ``signal`` module, as a request
to stop in order that leaves no signal to re-raise; and a status of our own is set with ``os._exit``
once Python is exiting, the one thing that can replace a status Python has already settled on
(``sys.exit`` in an ``atexit`` handler is ignored). By then twistd has removed its pid file and
flushed its log; only the ``atexit`` handlers registered before this one are skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from types import FrameType

from twisted.internet.error import ReactorNotRunning
from twisted.internet.interfaces import IReactorCore, IReactorFromThreads
from twisted.logger import Logger

__all__ = ["exit_with_status_at_exit", "stop_in_order", "stop_on_sigterm"]

log = Logger()


def stop_on_sigterm(reactor: IReactorCore) -> None:
    """Once ``reactor`` runs (so after it installed its own handlers), SIGTERM stops it in order and the
    process exits 0, as supervisors expect; a SIGTERM while it stops is logged and changes nothing."""

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # A handler runs between any two bytecodes of the reactor's loop: the stop is handed to the loop,
        # as Twisted's own handler does.
        IReactorFromThreads(reactor).callFromThread(stop_in_order, reactor, "SIGTERM")

    reactor.callWhenRunning(signal.signal, signal.SIGTERM, on_sigterm)


def stop_in_order(reactor: IReactorCore, reason: str) -> None:
    """Stop ``reactor`` (its services stop first), unless it is stopping already."""
    try:
        reactor.stop()
    except ReactorNotRunning:
        log.info("{reason}: already stopping", reason=reason)
    else:
        log.info("{reason}: stopping in order", reason=reason)


def exit_with_status_at_exit(status: int) -> None:
    """Make ``status`` the process's exit status, at the very end of it (see the module's note)."""
    atexit.register(_exit, status)


def _exit(status: int) -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(ValueError, OSError):  # closed, or its descriptor gone
                stream.flush()
    os._exit(status)
