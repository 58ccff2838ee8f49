"""``twistd exchangesim``: command-line options and the service twistd runs."""

from __future__ import annotations

import errno
import gc
import platform
import sys
from typing import Any

from twisted.copyright import version as twisted_version
from twisted.internet.interfaces import IReactorCore
from twisted.python import usage
from twisted.python.failure import Failure

from . import __version__
from .config import ConfigError, SettingError, seal
from .config_checks import load_config
from .persistence.directory import PersistenceError, StateDirectory
from .persistence.recovery import SettingsChangedError
from .process_exit import exit_with_status_at_exit, stop_in_order, stop_on_sigterm
from .service import ExchangeService

__all__ = ["CONFIG_ERROR_EXIT", "JOURNAL_FAILED_EXIT", "Options", "makeService"]

#: Exit status of a configuration that cannot be used (sysexits' EX_CONFIG), distinct from a crash's 1,
#: so a supervisor can tell that restarting will not help (the systemd unit's RestartPreventExitStatus).
CONFIG_ERROR_EXIT = 78


class ConfigurationExit(SystemExit):
    """Ends the process with ``CONFIG_ERROR_EXIT``; ``message`` (already printed to stderr) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(CONFIG_ERROR_EXIT)
        self.message = message


def _refuse(message: str) -> ConfigurationExit:
    print(message, file=sys.stderr, flush=True)
    return ConfigurationExit(message)


class Options(usage.Options):
    """Options of ``twistd exchangesim``; the configuration is read and checked while parsing them."""

    optParameters = [
        ["listen", None, None, "Twisted endpoint to listen on (overrides [server] endpoint), e.g. tcp:0."],
        ["port-file", None, None, "Write the port the daemon bound to this file once it listens."],
    ]
    optFlags = [
        [
            "fresh",
            None,
            "Start afresh: move the saved state ([persistence] path) aside to PATH.<UTC time> first;"
            " nothing is deleted.",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["config"] = []

    def opt_config(self, path: str) -> None:
        """INI file (or the seed's .json) to read; repeat to layer files, later ones winning.
        Without it the packaged defaults apply."""
        self["config"].append(path)

    def opt_version(self) -> None:
        """Print exchangesim's version (and Twisted's and Python's) and exit."""
        python = platform.python_version()
        print(f"exchangesim {__version__} (Twisted {twisted_version}, Python {python})")
        sys.exit(0)

    def postOptions(self) -> None:
        # Errors end the process with the whole report, without twistd's usage text or a traceback,
        # and with CONFIG_ERROR_EXIT: starting again will not help until the configuration changes.
        try:
            config = load_config(self["config"])
        except ConfigError as error:
            raise _refuse(f"exchangesim: {error}") from None
        if self["listen"] is not None:
            try:
                config.server.endpoint = self["listen"]
            except SettingError as error:
                raise _refuse(f"exchangesim: --listen {self['listen']!r}: {error.reason}") from None
        self["settings"] = seal(config)


#: Exit status after the journal could not be written (sysexits' EX_IOERR): a supervisor sees a failure.
JOURNAL_FAILED_EXIT = 74


class _DaemonService(ExchangeService):
    """The service under twistd: failing to listen or to recover ends the process with the reason, a
    journal that cannot be written stops it with status 74, and a stop on SIGTERM exits 0 (DESIGN
    §10.14), as supervisors other than systemd (containers, scripts) expect; SIGINT keeps twistd's
    status (killed by the signal)."""

    def __init__(self, *args: Any, listen: str | None = None, fresh: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listen_option = listen
        self._fresh = fresh

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        failures: list[Failure] = []
        self.web.listening.addErrback(failures.append)  # fails too when the admin port cannot listen
        if failures:
            if self.web.port is None or self.admin is None:
                description, setting = self.web.description, "endpoint"
            else:
                description, setting = self.admin.description, "admin_endpoint"
            raise SystemExit(self._cannot_listen(description, setting, failures[0]))

    def _cannot_listen(self, description: str, setting: str, failure: Failure) -> str:
        """Why the daemon cannot listen, naming the setting (or option) that chose the address and how to
        choose another."""
        error = failure.value
        cause = getattr(error, "socketError", None)
        reason = getattr(cause, "strerror", None) or failure.getErrorMessage().rstrip(".")
        if getattr(cause, "errno", None) == errno.EADDRINUSE:
            address = f"{getattr(error, 'interface', '') or '*'}:{getattr(error, 'port', '?')}"
            reason += f": another process is listening on {address}"
        if setting == "endpoint" and self._listen_option is not None:
            origin, change = f"--listen {description}", "choose another port with --listen"
        else:
            origin = f"[server] {setting} = {description}"
            change = f"choose another port in [server] {setting}"
            if setting == "endpoint":
                change += " or with --listen, e.g. --listen tcp:9000:interface=127.0.0.1 (make run PORT=9000)"
        return f"exchangesim: cannot listen on {origin}: {reason}; {change}"

    def startService(self) -> None:
        stop_on_sigterm(self.venue.clock)  # under twistd, the reactor itself
        if self._fresh:
            self._move_state_aside()
        try:
            super().startService()
        except SettingsChangedError as error:  # a configuration error too: restarting will not help
            raise _refuse(f"exchangesim: {error}") from None
        except PersistenceError as error:
            raise SystemExit(f"exchangesim: {error}") from None
        except OSError as error:  # the first snapshot or journal segment could not be written
            path = self.config.persistence.path
            raise SystemExit(f"exchangesim: cannot write [persistence] path {path}: {error}") from None
        # What exists now (modules, configuration, the recovered state) lives as long as the process:
        # frozen out of the collector's way, a full collection no longer stalls the reactor for tens of
        # milliseconds scanning it (60 ms measured at 12 liquid symbols, the longest tick lag of a run).
        gc.freeze()

    def _move_state_aside(self) -> None:
        """--fresh: the saved state moves aside, whole, to a folder beside it; nothing is deleted."""
        persistence = self.config.persistence
        if not persistence.enabled:
            self.log.info("--fresh: [persistence] enabled = false, so there is no saved state to move aside")
            return
        try:
            moved = StateDirectory.move_aside(persistence.path)
        except PersistenceError as error:
            raise SystemExit(f"exchangesim: --fresh: {error}") from None
        if moved is None:
            self.log.info("--fresh: no saved state in {path}; starting afresh", path=persistence.path)
        else:
            self.log.info(
                "--fresh: moved the saved state aside to {moved} (nothing deleted); starting afresh",
                moved=str(moved),
            )

    def journal_failed(self, error: Exception) -> None:
        # Once the services have stopped in order, the process ends with JOURNAL_FAILED_EXIT, so systemd's
        # Restart=on-failure (and any supervisor) sees the failure and starts it again, recovering once
        # the disk is fixed.
        reactor: Any = self.venue.clock  # under twistd, the reactor itself
        reactor.addSystemEventTrigger("after", "shutdown", exit_with_status_at_exit, JOURNAL_FAILED_EXIT)
        reactor.callLater(0, stop_in_order, reactor, "the journal cannot be written")


def makeService(options: Any, reactor: IReactorCore | None = None) -> ExchangeService:
    """Build the daemon's service from parsed ``Options``; ``reactor`` is the test seam."""
    if reactor is None:
        from twisted.internet import reactor
    return _DaemonService(
        options["settings"],
        reactor,
        port_file=options["port-file"],
        listen=options["listen"],
        fresh=bool(options["fresh"]),
    )
