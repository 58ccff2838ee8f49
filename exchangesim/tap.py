"""``twistd exchangesim``: command-line options and the service twistd runs."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorCore
from twisted.python import usage
from twisted.python.failure import Failure

from .config import ConfigError, SettingError, load_config, seal
from .persistence.directory import PersistenceError
from .service import ExchangeService

__all__ = ["Options", "makeService"]


class Options(usage.Options):
    """Options of ``twistd exchangesim``; the configuration is read and checked while parsing them."""

    optParameters = [
        ["listen", None, None, "Twisted endpoint to listen on (overrides [server] endpoint), e.g. tcp:0."],
        ["port-file", None, None, "Write the port the daemon bound to this file once it listens."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["config"] = []

    def opt_config(self, path: str) -> None:
        """INI file (or the seed's .json) to read; repeat to layer files, later ones winning.
        Without it the packaged defaults apply."""
        self["config"].append(path)

    def postOptions(self) -> None:
        # Errors end the process with the whole report, without twistd's usage text or a traceback.
        try:
            config = load_config(self["config"])
        except ConfigError as error:
            raise SystemExit(f"exchangesim: {error}") from None
        if self["listen"] is not None:
            try:
                config.server.endpoint = self["listen"]
            except SettingError as error:
                raise SystemExit(f"exchangesim: --listen {self['listen']!r}: {error.reason}") from None
        self["settings"] = seal(config)


#: Exit status after the journal could not be written (sysexits' EX_IOERR): a supervisor sees a failure.
JOURNAL_FAILED_EXIT = 74


class _DaemonService(ExchangeService):
    """The service under twistd: failing to listen or to recover ends the process with the reason, a
    journal that cannot be written stops it with status 74, and a stop on SIGTERM exits 0."""

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        failures: list[Failure] = []
        self.web.listening.addErrback(failures.append)
        if failures:
            raise SystemExit(
                f"exchangesim: cannot listen on {self.web.description}: {failures[0].getErrorMessage()}"
            )

    def startService(self) -> None:
        try:
            super().startService()
        except PersistenceError as error:
            raise SystemExit(f"exchangesim: {error}") from None
        except OSError as error:  # the first snapshot or journal segment could not be written
            path = self.config.persistence.path
            raise SystemExit(f"exchangesim: cannot write [persistence] path {path}: {error}") from None

    def journal_failed(self, error: Exception) -> None:
        reactor: Any = self.venue.clock  # under twistd, the reactor itself
        reactor.addSystemEventTrigger("after", "shutdown", _exit_journal_failed)
        reactor.callLater(0, reactor.stop)

    def stopService(self) -> Deferred[None]:
        stopped = super().stopService()
        stopped.addCallback(self._exit_zero)
        return stopped

    def _exit_zero(self, result: None) -> None:
        # twistd re-raises the signal that stopped the reactor, so the exit status would say "killed by
        # SIGTERM"; a shutdown that completed in order exits 0 instead (DESIGN §10.14), as supervisors
        # other than systemd (containers, scripts) expect. SIGINT keeps twistd's behaviour.
        reactor: Any = self.venue.clock
        if getattr(reactor, "_exitSignal", None) == signal.SIGTERM:
            reactor._exitSignal = None
        return result


def _exit_journal_failed() -> None:
    # twistd ends a process whose reactor stopped with status 0 and offers no other; once the services
    # have stopped in order, this one ends with JOURNAL_FAILED_EXIT, so systemd's Restart=on-failure
    # (and any supervisor) sees the failure and starts it again, recovering once the disk is fixed.
    # twistd's own last steps are skipped: a --pidfile stays, and the next twistd start finds it stale.
    for stream in (sys.__stdout__, sys.__stderr__):  # twistd logs to the original ones
        if stream is not None:
            stream.flush()
    os._exit(JOURNAL_FAILED_EXIT)


def makeService(options: Any, reactor: IReactorCore | None = None) -> ExchangeService:
    """Build the daemon's service from parsed ``Options``; ``reactor`` is the test seam."""
    if reactor is None:
        from twisted.internet import reactor
    return _DaemonService(options["settings"], reactor, port_file=options["port-file"])
